import assert from "node:assert/strict";
import { test } from "node:test";
import { commonPrefixLength, SlotPool } from "./slot-pool.js";

test("empty slots are handed out lowest id first", () => {
  const pool = new SlotPool(3, true);
  assert.deepEqual(pool.acquire([1, 2]), { slotId: 0, numReusableTokens: 0 });
  assert.deepEqual(pool.acquire([3, 4]), { slotId: 1, numReusableTokens: 0 });
  assert.equal(pool.numInUse, 2);
  assert.equal(pool.numFree, 1);
});

test("the slot holding the longest prefix wins, keeping the last prompt token to compute", () => {
  const pool = new SlotPool(3, true);
  pool.acquire([9]);
  pool.acquire([9]);
  pool.release(0, [1, 2, 3, 4]);
  pool.release(1, [1, 2, 7]);
  assert.deepEqual(pool.acquire([1, 2, 3, 4, 5]), { slotId: 0, numReusableTokens: 4 });
  assert.deepEqual(pool.acquire([1, 2, 7]), { slotId: 1, numReusableTokens: 2 });
});

test("without a match, an empty slot is preferred over evicting a cached one, then the least recently released", () => {
  const pool = new SlotPool(3, true);
  for (let i = 0; i < 3; i++) pool.acquire([i]);
  pool.release(2, [5, 5]);
  pool.release(0, [6, 6]);
  pool.release(1, []);
  assert.equal(pool.acquire([8])!.slotId, 1, "the empty slot");
  assert.equal(pool.acquire([8])!.slotId, 2, "then the least recently released");
});

test("with prefix caching off, nothing is reused", () => {
  const pool = new SlotPool(1, false);
  pool.acquire([1]);
  pool.release(0, [1, 2, 3]);
  assert.deepEqual(pool.acquire([1, 2, 3, 4]), { slotId: 0, numReusableTokens: 0 });
});

test("no free slot means null", () => {
  const pool = new SlotPool(1, true);
  pool.acquire([1]);
  assert.equal(pool.acquire([1]), null);
});

test("commonPrefixLength", () => {
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
});
