import assert from "node:assert/strict";
import { test } from "node:test";
import { arrivalOffsetsMs, parseRequestRate } from "./arrivals.js";

test("the same seed gives the same schedule; another seed another one", () => {
  const a = arrivalOffsetsMs(50, 4, 7);
  assert.deepEqual(arrivalOffsetsMs(50, 4, 7), a);
  assert.notDeepEqual(arrivalOffsetsMs(50, 4, 8), a);
});

test("offsets start at 0 and never decrease", () => {
  const offsets = arrivalOffsetsMs(1000, 10, 1);
  assert.equal(offsets[0], 0);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] >= offsets[i - 1]);
});

test("the mean gap is close to 1/rate", () => {
  // 20,000 exponential gaps: the standard error of the mean is 1/rate/sqrt(20000),
  // about 0.7% of it; allow 5% (7 standard errors). The seed is fixed, so this is
  // deterministic anyway.
  for (const rate of [0.5, 4, 100]) {
    const n = 20_001;
    const offsets = arrivalOffsetsMs(n, rate, 42);
    const meanGapMs = offsets[n - 1] / (n - 1);
    const expectedMs = 1000 / rate;
    assert.ok(Math.abs(meanGapMs - expectedMs) < 0.05 * expectedMs, `rate ${rate}: mean gap ${meanGapMs} ms, expected ${expectedMs}`);
  }
});

test("the gaps look exponential: about 1 - 1/e of them are shorter than the mean", () => {
  const n = 20_001;
  const offsets = arrivalOffsetsMs(n, 2, 3);
  let shorter = 0;
  for (let i = 1; i < n; i++) if (offsets[i] - offsets[i - 1] < 500) shorter++;
  const fraction = shorter / (n - 1);
  assert.ok(Math.abs(fraction - (1 - Math.exp(-1))) < 0.03, `fraction ${fraction}`);
});

test("rate inf sends everything at once", () => {
  assert.deepEqual(arrivalOffsetsMs(3, Infinity, 0), [0, 0, 0]);
  assert.deepEqual(arrivalOffsetsMs(0, 1, 0), []);
  assert.throws(() => arrivalOffsetsMs(3, 0, 0), RangeError);
});

test("parseRequestRate accepts positive numbers and inf", () => {
  assert.equal(parseRequestRate("inf"), Infinity);
  assert.equal(parseRequestRate("Infinity"), Infinity);
  assert.equal(parseRequestRate("2.5"), 2.5);
  assert.throws(() => parseRequestRate("0"), RangeError);
  assert.throws(() => parseRequestRate("-1"), RangeError);
  assert.throws(() => parseRequestRate("fast"), RangeError);
});
