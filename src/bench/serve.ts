/**
 * `pagoda bench serve`: a load generator for any OpenAI-compatible server, after
 * vLLM's `vllm bench serve`. Sends `--num-prompts` streaming requests, arriving as
 * a Poisson process at `--request-rate` with at most `--max-concurrency` in flight,
 * then prints throughput and TTFT/TPOT/ITL/E2E latency percentiles.
 */
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { arrivalOffsetsMs } from "./arrivals.js";
import { apiKeyHeaders, sendRequest, type RequestOptions, type RequestResult } from "./client.js";
import { loadPrompts, type BenchPrompt, type DatasetSpec } from "./datasets.js";
import { findServerTokenizer, fitPromptsToTokens } from "./token-fit.js";
import { parseBenchArgs, type BenchConfig } from "./flags.js";
import { formatReport, jsonNumbers } from "./report.js";
import { benchMetrics, interTokenLatencies, requestMetrics, type BenchMetrics, type Summary } from "./stats.js";

export { benchHelp } from "./flags.js";

/** The first model id the server lists. */
export async function firstModelId(baseUrl: string, apiKey: string | undefined): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/models`, { headers: apiKeyHeaders(apiKey) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
    throw new Error(`cannot reach ${baseUrl}/models${cause}; is the server running?`);
  }
  if (!response.ok) throw new Error(`GET ${baseUrl}/models: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  const body = (await response.json()) as { data?: Array<{ id?: unknown }> };
  const id = body.data?.[0]?.id;
  if (typeof id !== "string") throw new Error(`GET ${baseUrl}/models listed no model; pass --model`);
  return id;
}

/** Progress on stderr: one rewritten line on a TTY, else a plain line every ~10%. */
function progressReporter(total: number, startMs: number): { update(done: number, failed: number, inFlight: number): void; end(): void } {
  const isTty = process.stderr.isTTY === true;
  const step = Math.max(1, Math.ceil(total / 10));
  let lastDrawMs = 0;
  const line = (done: number, failed: number, inFlight: number) =>
    `bench: ${done}/${total} done, ${failed} failed, ${inFlight} in flight, ${((performance.now() - startMs) / 1000).toFixed(1)} s`;
  return {
    update(done, failed, inFlight) {
      if (isTty) {
        if (done < total && performance.now() - lastDrawMs < 100) return;
        lastDrawMs = performance.now();
        process.stderr.write(`\r${line(done, failed, inFlight)}\x1b[K`);
      } else if (done % step === 0 || done === total) {
        process.stderr.write(`${line(done, failed, inFlight)}\n`);
      }
    },
    end() {
      if (isTty) process.stderr.write("\n");
    },
  };
}

/** A counting semaphore; release hands the slot straight to the next waiter. */
function semaphore(limit: number | null): { acquire(): Promise<void>; release(): void; inUse(): number } {
  let inUse = 0;
  const waiters: Array<() => void> = [];
  return {
    async acquire() {
      if (limit === null || inUse < limit) {
        inUse++;
        return;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    },
    release() {
      const next = waiters.shift();
      if (next) next();
      else inUse--;
    },
    inUse: () => inUse,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface BenchRun {
  results: RequestResult[];
  durationMs: number;
}

/** Sends the prompts on the schedule; resolves when every request has finished. */
export async function runLoad(options: RequestOptions, prompts: readonly BenchPrompt[], config: Pick<BenchConfig, "maxConcurrency" | "requestRate" | "seed">): Promise<BenchRun> {
  const offsets = arrivalOffsetsMs(prompts.length, config.requestRate, config.seed);
  const slots = semaphore(config.maxConcurrency);
  const results: RequestResult[] = new Array(prompts.length);
  const startMs = performance.now();
  const progress = progressReporter(prompts.length, startMs);
  let done = 0;
  let failed = 0;
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const waitMs = startMs + offsets[i] - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    await slots.acquire();
    tasks.push(
      sendRequest(options, prompts[i]).then((result) => {
        results[i] = result;
        slots.release();
        done++;
        if (!result.isSuccess) failed++;
        progress.update(done, failed, slots.inUse());
      }),
    );
  }
  await Promise.all(tasks);
  const durationMs = performance.now() - startMs;
  progress.end();
  return { results, durationMs };
}

function flatSummary(name: string, summary: Summary): Record<string, number> {
  return {
    [`mean_${name}_ms`]: summary.mean,
    [`median_${name}_ms`]: summary.median,
    [`std_${name}_ms`]: summary.std,
    [`p90_${name}_ms`]: summary.p90,
    [`p99_${name}_ms`]: summary.p99,
  };
}

function snakeDataset(dataset: DatasetSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(dataset).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

/** The saved JSON: vLLM's aggregate field names, plus our config and per-request numbers. */
export function resultJson(config: BenchConfig, model: string, run: BenchRun, metrics: BenchMetrics): Record<string, unknown> {
  const { dataset } = config;
  const withCached = run.results.filter((r) => r.cachedTokens !== undefined);
  return {
    date: new Date().toISOString(),
    label: config.label,
    base_url: config.baseUrl,
    endpoint: config.endpoint,
    model,
    dataset: snakeDataset(dataset),
    num_prompts: config.numPrompts,
    output_len: config.outputLen,
    ignore_eos: config.isIgnoreEos,
    temperature: config.temperature,
    max_concurrency: config.maxConcurrency,
    request_rate: config.requestRate === Infinity ? "inf" : config.requestRate,
    seed: config.seed,
    warmup: config.warmup,
    client: { node: process.version, cpus: cpus().length },
    duration: metrics.durationS,
    completed: metrics.completed,
    failed: metrics.failed,
    total_input_tokens: metrics.totalInputTokens,
    total_output_tokens: metrics.totalOutputTokens,
    total_cached_tokens: withCached.length > 0 ? withCached.reduce((sum, r) => sum + (r.cachedTokens ?? 0), 0) : null,
    usage_reported: run.results.every((r) => !r.isSuccess || r.hasUsage),
    request_throughput: metrics.requestThroughput,
    output_throughput: metrics.outputThroughput,
    total_token_throughput: metrics.totalTokenThroughput,
    ...flatSummary("ttft", metrics.ttftMs),
    ...flatSummary("tpot", metrics.tpotMs),
    ...flatSummary("itl", metrics.itlMs),
    ...flatSummary("e2el", metrics.e2eMs),
    input_lens: run.results.map((r) => r.promptTokens),
    output_lens: run.results.map((r) => r.outputTokens),
    cached_tokens: run.results.map((r) => r.cachedTokens ?? null),
    finish_reasons: run.results.map((r) => r.finishReason ?? null),
    ttfts_ms: run.results.map((r) => requestMetrics(r).ttftMs ?? null),
    e2els_ms: run.results.map((r) => r.endMs - r.startMs),
    itls_ms: run.results.map((r) => interTokenLatencies(r.contentChunkTimesMs)),
    errors: run.results.map((r) => r.error ?? null),
  };
}

export interface WorkloadOutcome {
  /** The model requested: --model, or the server's first. */
  model: string;
  run: BenchRun;
  metrics: BenchMetrics;
}

/** The dataset's prompts; generated ones cut to --input-len tokens with the server's tokenizer, else left in words. */
async function loadSizedPrompts(config: BenchConfig, model: string): Promise<{ prompts: BenchPrompt[]; inputLenUnit: string | null }> {
  const prompts = await loadPrompts(config.dataset, config.numPrompts + config.warmup);
  if (config.dataset.kind === "file") return { prompts, inputLenUnit: null };
  const tokenizer = await findServerTokenizer(config.baseUrl, model, config.apiKey);
  if (!tokenizer) return { prompts, inputLenUnit: "words (the server has no /tokenize)" };
  return { prompts: await fitPromptsToTokens(tokenizer, prompts), inputLenUnit: `tokens (${tokenizer.flavour} /tokenize)` };
}

/**
 * One workload, as `bench serve` runs it: resolves the model (unless given),
 * loads the prompts, sends the warm-up requests one at a time, then the measured
 * load. Logs to stderr; never throws for failed requests (they are in `run`).
 */
export async function runWorkload(config: BenchConfig, knownModel?: string): Promise<WorkloadOutcome> {
  const model = knownModel ?? config.model ?? (await firstModelId(config.baseUrl, config.apiKey));
  const options: RequestOptions = {
    baseUrl: config.baseUrl,
    endpoint: config.endpoint,
    model,
    apiKey: config.apiKey,
    maxTokens: config.outputLen,
    temperature: config.temperature,
    isIgnoreEos: config.isIgnoreEos,
  };
  // Warm-up prompts come from the same dataset (so a shared-prefix run starts
  // with its prefix seen once, as a live server would), but are not measured.
  const { prompts: allPrompts, inputLenUnit } = await loadSizedPrompts(config, model);
  const prompts = allPrompts.slice(0, config.numPrompts);
  const concurrency = config.maxConcurrency === null ? "unlimited" : String(config.maxConcurrency);
  console.error(
    `bench: ${config.baseUrl} model=${model} endpoint=${config.endpoint} dataset=${config.dataset.kind} ` +
      `prompts=${config.numPrompts} concurrency=${concurrency} rate=${config.requestRate} output-len=${config.outputLen}` +
      (inputLenUnit ? ` input-len in ${inputLenUnit}` : ""),
  );

  if (config.warmup > 0) {
    const warmupPrompts = allPrompts.slice(config.numPrompts);
    let warmupFailed = 0;
    const started = performance.now();
    for (const prompt of warmupPrompts) {
      const result = await sendRequest(options, prompt);
      if (!result.isSuccess) {
        warmupFailed++;
        console.error(`bench: warmup request failed: ${result.error}`);
      }
    }
    console.error(`bench: warmup: ${config.warmup} requests in ${((performance.now() - started) / 1000).toFixed(1)} s, ${warmupFailed} failed`);
  }

  const run = await runLoad(options, prompts, config);
  return { model, run, metrics: benchMetrics(run.results, run.durationMs) };
}

/** On stderr: the first distinct errors of failed requests, and a note when token counts are estimates. */
export function logRunProblems(run: BenchRun): void {
  const errors = [...new Set(run.results.filter((r) => !r.isSuccess).map((r) => r.error ?? "unknown error"))];
  for (const error of errors.slice(0, 5)) console.error(`bench: failed request: ${error}`);
  if (run.results.some((r) => r.isSuccess && !r.hasUsage)) {
    console.error("bench: the server sent no usage for some requests; their token counts are estimates (prompt words, content chunks)");
  }
}

/** Writes the result JSON (resultJson, NaN/Infinity as null); returns what it wrote, parsed. */
export async function saveResult(file: string, config: BenchConfig, outcome: WorkloadOutcome): Promise<Record<string, unknown>> {
  const text = JSON.stringify(resultJson(config, outcome.model, outcome.run, outcome.metrics), jsonNumbers, 2);
  await writeFile(file, `${text}\n`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function benchCommand(args: string[]): Promise<void> {
  const config = parseBenchArgs(args, process.env);
  const outcome = await runWorkload(config);
  const { run, metrics } = outcome;
  console.log(formatReport(metrics, { maxConcurrency: config.maxConcurrency, requestRate: config.requestRate }));

  logRunProblems(run);
  if (config.saveResult) {
    await saveResult(config.saveResult, config, outcome);
    console.error(`bench: wrote ${config.saveResult}`);
  }
  if (metrics.completed === 0) throw new Error("every request failed");
}
