import assert from "node:assert/strict";
import { test } from "node:test";
import { commonPrefixLength, SlotPool, type KvHolder } from "./slot-pool.js";

/** A running sequence whose whole token list is computed. */
const holder = (tokens: number[], numComputed = tokens.length): KvHolder => ({ tokens, numComputed });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Fills slot `slotId` (acquired in order) with `tokens` and releases it. */
function seed(pool: SlotPool, contents: number[][]): void {
  contents.forEach((tokens) => pool.acquire([-1, -2], holder(tokens)));
  contents.forEach((_, slotId) => pool.release(slotId));
}

test("empty slots are handed out lowest id first", () => {
  const pool = new SlotPool(3, true);
  assert.deepEqual(pool.acquire([1, 2], holder([])), { slotId: 0, numReusableTokens: 0, copyFromSlotId: null });
  assert.deepEqual(pool.acquire([3, 4], holder([])), { slotId: 1, numReusableTokens: 0, copyFromSlotId: null });
  assert.equal(pool.numInUse, 2);
  assert.equal(pool.numFree, 1);
});

test("a free slot whose whole cache is the prompt's prefix is taken in place", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [range(0, 40), range(100, 140)]);
  assert.deepEqual(pool.acquire([...range(100, 140), 7], holder([])), { slotId: 1, numReusableTokens: 40, copyFromSlotId: null });
});

test("the last prompt token is always left to compute", () => {
  const pool = new SlotPool(1, true);
  seed(pool, [range(0, 40)]);
  assert.equal(pool.acquire(range(0, 40), holder([]))!.numReusableTokens, 39);
});

test("a partial match is copied into an empty slot, keeping the cached one intact", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [[...range(0, 30), 500, 501]]);
  const grant = pool.acquire([...range(0, 30), 900, 901], holder([]));
  assert.deepEqual(grant, { slotId: 1, numReusableTokens: 30, copyFromSlotId: 0 });
  const again = pool.acquire([...range(0, 30), 500, 501, 502], holder([]));
  assert.deepEqual(again, { slotId: 0, numReusableTokens: 32, copyFromSlotId: null }, "the original is still cached");
});

test("a running sequence's computed prefix is copied: one system prompt serves every user", () => {
  const pool = new SlotPool(4, true);
  const system = range(0, 100);
  pool.acquire([...system, 1], holder([...system, 1, 55, 56], 101));
  for (const user of [2, 3, 4]) {
    assert.deepEqual(pool.acquire([...system, user], holder([])), { slotId: user - 1, numReusableTokens: 100, copyFromSlotId: 0 });
  }
});

test("short matches are recomputed rather than copied", () => {
  const pool = new SlotPool(2, true);
  seed(pool, [[...range(0, 5), 77, 78]]);
  assert.deepEqual(pool.acquire([...range(0, 5), 9], holder([])), { slotId: 1, numReusableTokens: 0, copyFromSlotId: null });
});

test("with one free slot left, a partial match is taken in place", () => {
  const pool = new SlotPool(2, true);
  seed(pool, [[...range(0, 30), 500], [8, 8]]);
  pool.acquire([8, 8, 8], holder([]));
  assert.deepEqual(pool.acquire([...range(0, 30), 900], holder([])), { slotId: 0, numReusableTokens: 30, copyFromSlotId: null });
});

test("without a match, empty slots go first, then the least recently released", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [[5, 5], [6, 6], []]);
  assert.equal(pool.acquire([8], holder([]))!.slotId, 2, "the empty slot");
  assert.equal(pool.acquire([8], holder([]))!.slotId, 0, "then the least recently released");
});

test("pending prefixes count tokens running sequences have not computed yet", () => {
  const pool = new SlotPool(2, true);
  const prompt = range(0, 200);
  pool.acquire(prompt, holder(prompt, 50));
  assert.equal(pool.longestCachedPrefix(prompt), 50);
  assert.equal(pool.longestPendingPrefix(prompt), 200);
});

test("released slots remember exactly their computed tokens", () => {
  const pool = new SlotPool(1, true);
  pool.acquire([1], holder([1, 2, 3, 4], 3));
  pool.release(0);
  assert.equal(pool.longestCachedPrefix([1, 2, 3, 4]), 3);
});

test("with prefix caching off, nothing is reused", () => {
  const pool = new SlotPool(2, false);
  seed(pool, [range(0, 40)]);
  assert.deepEqual(pool.acquire(range(0, 41), holder([])), { slotId: 0, numReusableTokens: 0, copyFromSlotId: null });
});

test("no free slot means null", () => {
  const pool = new SlotPool(1, true);
  pool.acquire([1], holder([]));
  assert.equal(pool.acquire([1], holder([])), null);
});

test("commonPrefixLength", () => {
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 3], 1), 1);
});
