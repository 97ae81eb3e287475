import assert from "node:assert/strict";
import { test } from "node:test";
import { benchMetrics, interTokenLatencies, mean, percentile, requestMetrics, summarize, tpotMs, type RequestTiming } from "./stats.js";

const close = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);

test("percentile interpolates linearly between closest ranks, like numpy's default", () => {
  const values = [15, 20, 35, 40, 50]; // np.percentile(values, [0, 25, 50, 90, 99, 100])
  assert.equal(percentile(values, 0), 15);
  assert.equal(percentile(values, 25), 20); // rank 1
  assert.equal(percentile(values, 50), 35); // rank 2
  close(percentile(values, 90), 46); // rank 3.6: 40 + 0.6 * 10
  close(percentile(values, 99), 49.6); // rank 3.96: 40 + 0.96 * 10
  assert.equal(percentile(values, 100), 50);
  close(percentile([1, 2, 3, 4], 50), 2.5); // even count: mean of the middle two
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), RangeError);
});

test("percentile does not depend on input order", () => {
  assert.equal(percentile([50, 15, 40, 20, 35], 25), 20);
});

test("summarize: mean, population std, median, p90, p99, min, max", () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.count, 8);
  assert.equal(s.mean, 5);
  assert.equal(s.std, 2); // the textbook example: population std 2
  assert.equal(s.median, 4.5);
  close(s.p90, 7.6); // rank 6.3: 7 + 0.3 * 2
  close(s.p99, 8.86); // rank 6.93: 7 + 0.93 * 2
  assert.equal(s.min, 2);
  assert.equal(s.max, 9);
  assert.ok(Number.isNaN(summarize([]).mean));
  assert.ok(Number.isNaN(mean([])));
});

test("TPOT excludes the first token; undefined for fewer than two tokens", () => {
  assert.equal(tpotMs(1100, 100, 11), 100); // (1100 - 100) / 10
  assert.equal(tpotMs(500, 100, 1), undefined);
  assert.equal(tpotMs(500, undefined, 5), undefined);
});

test("ITL is the gaps between consecutive content chunks", () => {
  assert.deepEqual(interTokenLatencies([100, 130, 150, 200]), [30, 20, 50]);
  assert.deepEqual(interTokenLatencies([100]), []);
  assert.deepEqual(interTokenLatencies([]), []);
});

const timing = (startMs: number, chunks: number[], endMs: number, outputTokens: number, isSuccess = true): RequestTiming => ({
  isSuccess,
  startMs,
  endMs,
  contentChunkTimesMs: chunks,
  promptTokens: 10,
  outputTokens,
});

test("requestMetrics: TTFT from the first content chunk, E2E to the stream end", () => {
  const m = requestMetrics(timing(1000, [1200, 1250, 1310], 1320, 3));
  assert.equal(m.ttftMs, 200);
  assert.equal(m.e2eMs, 320);
  assert.equal(m.tpotMs, 60); // (320 - 200) / 2
  assert.deepEqual(m.itlsMs, [50, 60]);
  assert.equal(requestMetrics(timing(0, [], 50, 0)).ttftMs, undefined);
});

test("benchMetrics aggregates successful requests and counts failures", () => {
  const m = benchMetrics(
    [
      timing(0, [100, 150, 200], 200, 3), // ttft 100, tpot 50, itl 50 50, e2e 200
      timing(0, [300, 320, 340, 360, 380], 400, 5), // ttft 300, tpot 25, itl 20 x4, e2e 400
      timing(0, [], 10, 0, false),
    ],
    2000,
  );
  assert.equal(m.completed, 2);
  assert.equal(m.failed, 1);
  assert.equal(m.durationS, 2);
  assert.equal(m.totalInputTokens, 20);
  assert.equal(m.totalOutputTokens, 8);
  assert.equal(m.requestThroughput, 1);
  assert.equal(m.outputThroughput, 4);
  assert.equal(m.totalTokenThroughput, 14);
  assert.equal(m.ttftMs.mean, 200);
  assert.equal(m.ttftMs.median, 200);
  close(m.ttftMs.p90, 280); // 100 + 0.9 * 200
  assert.equal(m.tpotMs.mean, 37.5);
  assert.equal(m.itlMs.count, 6);
  close(m.itlMs.mean, 180 / 6);
  assert.equal(m.itlMs.median, 20);
  assert.equal(m.e2eMs.max, 400);
});
