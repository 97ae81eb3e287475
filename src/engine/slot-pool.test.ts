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

const grant = (slotId: number, numReusableTokens: number, copyFromSlotId: number | null = null, park: { toSlotId: number; numTokens: number } | null = null) => ({
  slotId,
  numReusableTokens,
  copyFromSlotId,
  park,
});

test("running sequences are packed into the lowest free slot ids", () => {
  const pool = new SlotPool(3, true);
  assert.deepEqual(pool.acquire([1, 2], holder([])), grant(0, 0));
  assert.deepEqual(pool.acquire([3, 4], holder([])), grant(1, 0));
  assert.equal(pool.numInUse, 2);
  assert.equal(pool.numFree, 1);
  pool.release(0);
  assert.equal(pool.acquire([5], holder([]))!.slotId, 0);
});

test("a slot whose whole cache is the prompt's prefix is reused in place", () => {
  const pool = new SlotPool(2, true);
  seed(pool, [range(0, 40)]);
  assert.deepEqual(pool.acquire([...range(0, 40), 7], holder([])), grant(0, 40));
});

test("the last prompt token is always left to compute", () => {
  const pool = new SlotPool(1, true);
  seed(pool, [range(0, 40)]);
  assert.equal(pool.acquire(range(0, 40), holder([]))!.numReusableTokens, 39);
});

test("a prefix held in a higher slot is copied down; the low slot's own cache is parked in an empty slot", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [range(0, 40), range(100, 140)]);
  assert.deepEqual(pool.acquire([...range(100, 140), 7], holder([])), grant(0, 40, 1, { toSlotId: 2, numTokens: 40 }));
  assert.equal(pool.longestCachedPrefix(range(0, 40)), 40, "the parked cache is still found");
});

test("a partial match is used in place after parking the whole cache; the original is found again", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [[...range(0, 30), 500, 501]]);
  assert.deepEqual(pool.acquire([...range(0, 30), 900, 901], holder([])), grant(0, 30, null, { toSlotId: 1, numTokens: 32 }));
  assert.deepEqual(pool.acquire([...range(0, 30), 500, 501, 502], holder([])), grant(1, 32));
});

test("a running sequence's computed prefix is copied: one system prompt serves every user", () => {
  const pool = new SlotPool(4, true);
  const system = range(0, 100);
  pool.acquire([...system, 1], holder([...system, 1, 55, 56], 101));
  for (const user of [2, 3, 4]) assert.deepEqual(pool.acquire([...system, user], holder([])), grant(user - 1, 100, 0));
});

test("short matches in another slot are recomputed rather than copied", () => {
  const pool = new SlotPool(3, true);
  seed(pool, [range(200, 220), [...range(0, 5), 77, 78]]);
  assert.deepEqual(pool.acquire([...range(0, 5), 9], holder([])), grant(0, 0, null, { toSlotId: 2, numTokens: 20 }));
});

test("a cache is parked only over an older one; the oldest is evicted", () => {
  const pool = new SlotPool(2, true);
  seed(pool, [range(0, 20), range(50, 70)]);
  assert.deepEqual(pool.acquire([9, 9], holder([])), grant(0, 0), "slot 0 was released first: it goes");
  assert.equal(pool.longestCachedPrefix(range(50, 70)), 20);
  assert.equal(pool.longestCachedPrefix(range(0, 20)), 0);
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

test("with prefix caching off, nothing is reused or parked, and nothing is worth waiting for", () => {
  const pool = new SlotPool(2, false);
  seed(pool, [range(0, 40)]);
  assert.deepEqual(pool.acquire(range(0, 41), holder(range(0, 41), 1)), grant(0, 0));
  assert.equal(pool.longestPendingPrefix(range(0, 41)), 0);
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

test("a waiting prompt is compared with the slots token by token only when a slot changes; an owner's new tokens extend a match that reached its end", () => {
  let numReads = 0;
  const counted = (tokens: number[]) => new Proxy(tokens, { get: (target, key, receiver) => (typeof key === "string" && /^\d+$/.test(key) && numReads++, Reflect.get(target, key, receiver)) });
  const pool = new SlotPool(4, true);
  const owner = holder(counted(range(0, 40)), 40);
  pool.acquire([-1], owner);
  seed2(pool, counted(range(0, 20)));
  const waiting = range(0, 60);
  assert.equal(pool.longestCachedPrefix(waiting), 40);
  assert.equal(pool.longestPendingPrefix(waiting), 40);
  assert.ok(numReads > 0);
  numReads = 0;
  for (let step = 0; step < 10; step++) {
    assert.equal(pool.longestCachedPrefix(waiting), 40);
    assert.equal(pool.longestPendingPrefix(waiting), 40);
  }
  assert.equal(numReads, 0, "no rescan while nothing changed");
  (owner.tokens as number[]).push(40, 41, 99);
  (owner as { numComputed: number }).numComputed = 43;
  assert.equal(pool.longestCachedPrefix(waiting), 42, "the owner's generated tokens extend the match");
  assert.ok(numReads <= 3 + 2, `${numReads} reads to extend`);
  pool.release(0);
  assert.equal(pool.longestCachedPrefix(waiting), 42, "the released slot keeps the match as its cache");
  assert.equal(pool.longestPendingPrefix(waiting), 0, "no owner after release");
});

/** Puts `tokens` in the next free slot as a released cache. */
function seed2(pool: SlotPool, tokens: number[]): void {
  const { slotId } = pool.acquire([-1], holder(tokens))!;
  pool.release(slotId);
}
