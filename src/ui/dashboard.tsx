/** The live dashboard: counters, time-series plots and recent requests per model, from the engine snapshot stream. */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { EngineSnapshot, ModelSnapshot } from "../metrics/engine-snapshot.js";
import { api } from "./api.js";
import { Chart } from "./chart.js";
import { SeriesHistory, type Point } from "./dashboard-series.js";

const colors = ["#2f7de1", "#e1862f", "#3fa650", "#c23c3c", "#8a5cd1"];

export function Dashboard({ theme }: { theme: string }) {
  const history = useMemo(() => new SeriesHistory(300), []);
  const [snapshot, setSnapshot] = useState<EngineSnapshot | null>(null);
  const [status, setStatus] = useState("connecting");
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      try {
        for await (const next of api.snapshots(controller.signal)) {
          history.add(next as EngineSnapshot);
          setSnapshot(next as EngineSnapshot);
          setStatus("live");
        }
        throw new Error("stream ended");
      } catch (error) {
        if (controller.signal.aborted) return;
        setStatus(`disconnected (${(error as Error).message}); retrying`);
        retry = setTimeout(connect, 2000);
      }
    };
    void connect();
    return () => {
      controller.abort();
      clearTimeout(retry);
    };
  }, []);

  if (!snapshot) return <p class="muted dashboard">Dashboard: {status}…</p>;
  const model = snapshot.models.find((m) => m.name === selected) ?? snapshot.models[0];
  const columns = (keys: Array<keyof Point>) => history.columns(model.name, keys);
  const last = history.of(model.name).at(-1);
  return (
    <div class="dashboard">
      <div class="toolbar">
        <span class={`status ${status === "live" ? "live" : ""}`} data-testid="dashboard-status">
          {status}
        </span>
        {snapshot.models.length > 1 && (
          <label>
            Model{" "}
            <select value={model.name} onChange={(e) => setSelected(e.currentTarget.value)}>
              {snapshot.models.map((m) => (
                <option key={m.name} value={m.name}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div class="counters">
        <Counter label="running" value={model.stats.numRunning} testId="running" />
        <Counter label="waiting" value={model.stats.numWaiting} testId="waiting" />
        <Counter label="KV slots in use" value={`${model.stats.numSlotsInUse} / ${model.stats.numSlots}`} testId="slots" />
        <Counter label="generation tokens/s" value={formatNumber(last?.generationTokensPerSecond)} testId="generation-rate" />
        <Counter label="prompt tokens/s" value={formatNumber(last?.promptTokensPerSecond)} testId="prompt-rate" />
        <Counter label="prefix cache hit rate" value={hitRate(model)} testId="hit-rate" />
        <Counter label="requests, last minute" value={model.latency.numRequests} testId="requests-minute" />
        <Counter label="generated tokens" value={model.stats.generationTokensTotal} testId="generated-total" />
      </div>
      <div class="charts">
        <Chart theme={theme} title="requests" unit="" series={[{ label: "running", color: colors[0] }, { label: "waiting", color: colors[1] }, { label: "KV slots", color: colors[2], isDashed: true }]} data={columns(["running", "waiting", "slotsInUse"])} />
        <Chart theme={theme} title="tokens per second" unit="tok/s" series={[{ label: "prompt", color: colors[1] }, { label: "generation", color: colors[0] }]} data={columns(["promptTokensPerSecond", "generationTokensPerSecond"])} />
        <Chart theme={theme} title="prefix cache hit rate" unit="" series={[{ label: "hit rate", color: colors[2] }]} data={columns(["prefixHitRate"])} />
        <Chart theme={theme} title="time to first token" unit="ms" series={[{ label: "p50", color: colors[0] }, { label: "p90", color: colors[1] }, { label: "p99", color: colors[3] }]} data={columns(["ttftP50", "ttftP90", "ttftP99"])} />
        <Chart theme={theme} title="inter-token latency" unit="ms" series={[{ label: "p50", color: colors[0] }, { label: "p99", color: colors[3] }]} data={columns(["itlP50", "itlP99"])} />
        <Chart theme={theme} title="end-to-end latency" unit="ms" series={[{ label: "p50", color: colors[0] }, { label: "p99", color: colors[3] }]} data={columns(["e2eP50", "e2eP99"])} />
      </div>
      <p class="muted">Percentiles over requests finished in the last minute; one point per second, last five minutes.</p>
      <h2>Recent requests</h2>
      <div class="table-wrap">
        <table data-testid="recent-requests">
          <thead>
            <tr>
              <th>finished</th>
              <th>request id</th>
              <th>finish</th>
              <th>prompt</th>
              <th>cached</th>
              <th>output</th>
              <th>queue ms</th>
              <th>TTFT ms</th>
              <th>ITL ms</th>
              <th>E2E ms</th>
            </tr>
          </thead>
          <tbody>
            {model.recentRequests.slice(0, 20).map((request) => (
              <tr key={request.requestId}>
                <td>{new Date(request.finishedAt).toLocaleTimeString()}</td>
                <td class="id">{request.requestId}</td>
                <td>{request.finishReason}</td>
                <td>{request.numPromptTokens}</td>
                <td>{request.numCachedPromptTokens}</td>
                <td>{request.numGenerationTokens}</td>
                <td>{formatNumber(request.queueTimeMs)}</td>
                <td>{formatNumber(request.timeToFirstTokenMs)}</td>
                <td>{formatNumber(request.meanInterTokenMs)}</td>
                <td>{formatNumber(request.endToEndMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Models</h2>
      <div class="table-wrap">
        <table data-testid="models">
          <thead>
            <tr>
              <th>model</th>
              <th>state</th>
              <th>context</th>
              <th>slots</th>
              <th>threads</th>
              <th>file size</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.models.map((m) => (
              <tr key={m.name}>
                <td>
                  {m.name}
                  {m.aliases.length > 0 && <span class="muted"> ({m.aliases.join(", ")})</span>}
                  {m.parent && <span class="muted"> LoRA on {m.parent}</span>}
                </td>
                <td>{m.isLoaded ? "loaded" : "not loaded"}</td>
                <td>{m.maxModelLen}</td>
                <td>{m.maxNumSeqs}</td>
                <td>{m.threads}</td>
                <td>{formatBytes(m.fileBytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        pagoda {snapshot.version}. Memory budget:{" "}
        {snapshot.memoryBudget.maxLoadedModels === null && snapshot.memoryBudget.maxLoadedBytes === null
          ? "none (every model stays loaded)"
          : [snapshot.memoryBudget.maxLoadedModels !== null && `${snapshot.memoryBudget.maxLoadedModels} models`, snapshot.memoryBudget.maxLoadedBytes !== null && formatBytes(snapshot.memoryBudget.maxLoadedBytes)]
              .filter(Boolean)
              .join(", ")}
      </p>
    </div>
  );
}

function Counter({ label, value, testId }: { label: string; value: string | number; testId: string }) {
  return (
    <div class="counter">
      <div class="value" data-testid={`counter-${testId}`}>
        {value}
      </div>
      <div class="label">{label}</div>
    </div>
  );
}

function hitRate(model: ModelSnapshot): string {
  const { prefixCacheQueriedTokens: queried, prefixCacheHitTokens: hits } = model.stats;
  return queried === 0 ? "–" : `${((100 * hits) / queried).toFixed(1)}%`;
}

function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
