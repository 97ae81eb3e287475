import assert from "node:assert/strict";
import { test } from "node:test";
import type { RequestTimings } from "../engine/types.js";
import { percentilesOf, RecentRequests } from "./engine-snapshot.js";

const timings = (requestId: string, overrides: Partial<RequestTimings> = {}): RequestTimings => ({
  requestId,
  finishReason: "stop",
  numPromptTokens: 10,
  numCachedPromptTokens: 0,
  numGenerationTokens: 3,
  queueTimeMs: 1,
  timeToFirstTokenMs: 20,
  interTokenLatenciesMs: [5, 7],
  endToEndMs: 40,
  ...overrides,
});

test("percentiles are nearest-rank and null without values", () => {
  assert.equal(percentilesOf([]), null);
  assert.deepEqual(percentilesOf([3]), { p50: 3, p90: 3, p99: 3 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(percentilesOf(hundred), { p50: 50, p90: 90, p99: 99 });
});

test("the ring keeps the newest requests, newest first, with the mean inter-token gap", () => {
  const recent = new RecentRequests(2, () => 1000);
  recent.add(timings("a"));
  recent.add(timings("b", { interTokenLatenciesMs: [] }));
  recent.add(timings("c"));
  const latest = recent.latest(10);
  assert.deepEqual(latest.map((request) => request.requestId), ["c", "b"]);
  assert.equal(latest[0].meanInterTokenMs, 6);
  assert.equal(latest[1].meanInterTokenMs, null);
  assert.equal(latest[0].finishedAt, 1000);
  assert.deepEqual(recent.latest(1).map((request) => request.requestId), ["c"]);
});

test("the summary covers only requests finished inside the window", () => {
  let now = 0;
  const recent = new RecentRequests(100, () => now);
  recent.add(timings("old", { timeToFirstTokenMs: 1000, endToEndMs: 5000, interTokenLatenciesMs: [900] }));
  now = 60_001;
  recent.add(timings("new", { timeToFirstTokenMs: null, endToEndMs: 10, interTokenLatenciesMs: [] }));
  recent.add(timings("newer", { timeToFirstTokenMs: 30, endToEndMs: 50, interTokenLatenciesMs: [2, 4] }));
  const summary = recent.summary(60_000);
  assert.equal(summary.numRequests, 2);
  assert.deepEqual(summary.timeToFirstTokenMs, { p50: 30, p90: 30, p99: 30 });
  assert.deepEqual(summary.endToEndMs, { p50: 10, p90: 50, p99: 50 });
  assert.deepEqual(summary.interTokenMs, { p50: 2, p90: 4, p99: 4 });
});

test("a long reply's gaps are sampled, not kept whole", () => {
  const recent = new RecentRequests(10, () => 0);
  recent.add(timings("long", { interTokenLatenciesMs: Array.from({ length: 10_000 }, () => 1) }));
  assert.equal(recent.summary(1000).interTokenMs?.p99, 1);
  assert.equal(recent.latest(1)[0].meanInterTokenMs, 1);
});
