import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineSnapshot, ModelSnapshot } from "../metrics/engine-snapshot.js";
import { SeriesHistory } from "./dashboard-series.js";

const model = (generated: number, queried: number, hits: number): ModelSnapshot => ({
  name: "m",
  aliases: [],
  parent: null,
  isLoaded: true,
  maxModelLen: 128,
  maxNumSeqs: 4,
  threads: 1,
  fileBytes: 1,
  stats: { numRunning: 2, numWaiting: 1, numSlotsInUse: 2, numSlots: 4, kvCacheUsage: 0.5, preemptionsTotal: 0, promptTokensTotal: 0, generationTokensTotal: generated, prefixCacheQueriedTokens: queried, prefixCacheHitTokens: hits },
  latency: { numRequests: 1, windowMs: 60_000, timeToFirstTokenMs: { p50: 1, p90: 2, p99: 3 }, interTokenMs: null, endToEndMs: null },
  recentRequests: [],
});
const snapshot = (time: number, m: ModelSnapshot): EngineSnapshot => ({ time, version: "x", models: [m], memoryBudget: { maxLoadedModels: null, maxLoadedBytes: null } });

test("rates come from the difference to the previous snapshot; the first point has none", () => {
  const history = new SeriesHistory(10);
  history.add(snapshot(1000, model(100, 0, 0)));
  history.add(snapshot(3000, model(300, 50, 25)));
  const [first, second] = history.of("m");
  assert.equal(first.generationTokensPerSecond, null);
  assert.equal(first.prefixHitRate, null);
  assert.equal(second.generationTokensPerSecond, 100);
  assert.equal(second.prefixHitRate, 0.5);
  assert.equal(second.ttftP90, 2);
  assert.equal(second.itlP50, null);
  assert.deepEqual(history.columns("m", ["running", "waiting"]), [[1, 3], [2, 2], [1, 1]]);
});

test("only the newest points are kept", () => {
  const history = new SeriesHistory(2);
  for (let i = 1; i <= 5; i++) history.add(snapshot(i * 1000, model(i, 0, 0)));
  assert.deepEqual(history.of("m").map((point) => point.t), [4, 5]);
  assert.deepEqual(history.of("other"), []);
});
