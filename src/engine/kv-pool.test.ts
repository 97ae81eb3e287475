import assert from "node:assert/strict";
import { test } from "node:test";
import { isKvPoolWorthIt, KvPool, resolveKvPoolCells } from "./kv-pool.js";

test("slots take cells as they grow; a growth the pool cannot hold takes nothing", () => {
  const pool = new KvPool(10, 3);
  assert.ok(pool.grow(0, 4));
  assert.ok(pool.grow(1, 5));
  assert.equal(pool.numUsed, 9);
  assert.equal(pool.usage, 0.9);
  assert.equal(pool.grow(2, 2), false);
  assert.equal(pool.numFree, 1);
  assert.equal(pool.lengthOf(2), 0);
  pool.truncate(1, 2);
  assert.equal(pool.numFree, 4);
  assert.ok(pool.grow(2, 4));
  assert.equal(pool.numFree, 0);
});

test("a copied prefix shares its cells: counted once, freed only when no slot holds it", () => {
  const pool = new KvPool(100, 3);
  pool.grow(0, 30);
  pool.copyPrefix(0, 1, 20);
  assert.equal(pool.numUsed, 30, "copying shares, it takes no cells");
  assert.equal(pool.lengthOf(1), 20);
  pool.grow(1, 5);
  assert.equal(pool.numUsed, 35);
  assert.equal(pool.numOwnedBy(0), 10);
  assert.equal(pool.numOwnedBy(1), 5);
  assert.equal(pool.numHeldBy([1]), 25);
  assert.equal(pool.numHeldBy([0, 1]), 35);
  pool.truncate(0, 0);
  assert.equal(pool.numUsed, 25, "the shared 20 stay with slot 1");
  pool.truncate(1, 0);
  assert.equal(pool.numUsed, 0);
});

test("copying into a slot that holds KV first releases what it held", () => {
  const pool = new KvPool(20, 2);
  pool.grow(0, 5);
  pool.grow(1, 8);
  pool.copyPrefix(0, 1, 3);
  assert.equal(pool.numUsed, 5);
  assert.throws(() => pool.copyPrefix(1, 0, 4), /holds 3 positions/);
});

test("any order of grow, copy and truncate keeps free + held == the pool (a cell freed once, never twice)", () => {
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pool = new KvPool(64, 4);
  for (let step = 0; step < 2000; step++) {
    const slot = random(4);
    const op = random(3);
    if (op === 0) pool.grow(slot, random(8));
    else if (op === 1) pool.truncate(slot, random(pool.lengthOf(slot) + 1));
    else {
      const from = random(4);
      if (from !== slot) pool.copyPrefix(from, slot, random(pool.lengthOf(from) + 1));
    }
    assert.equal(pool.numHeldBy([0, 1, 2, 3]), pool.numUsed, `step ${step}`);
  }
});

test("pool size: tokens as given, bytes as the budget holds, by default at least one whole context, at most every sequence at full length", () => {
  const base = { kvCacheTokens: null, kvCacheMemoryBytes: null, bytesPerCell: 1024, maxModelLen: 32768, maxNumSeqs: 16 };
  assert.equal(resolveKvPoolCells({ ...base, kvCacheTokens: 40000 }), 40000);
  assert.equal(resolveKvPoolCells({ ...base, kvCacheTokens: 10 ** 9 }), 32768 * 16);
  assert.equal(resolveKvPoolCells({ ...base, kvCacheMemoryBytes: 64 * 1024 * 1024 }), 65536);
  assert.equal(resolveKvPoolCells({ ...base, bytesPerCell: 4096 }), 262144, "the default 1 GiB budget");
  assert.equal(resolveKvPoolCells({ ...base, bytesPerCell: 256 * 1024 }), 32768, "never below one whole context by default");
  assert.equal(resolveKvPoolCells({ ...base, bytesPerCell: 256, maxModelLen: 2048 }), 2048 * 16, "a tiny model: every sequence at full length");
});

test("a pool is used only when it holds fewer cells than every sequence at full length: one that big saves no memory and slows decoding", () => {
  assert.equal(isKvPoolWorthIt(32768, 2048, 16), false);
  assert.equal(isKvPoolWorthIt(40000, 2048, 16), false);
  assert.equal(isKvPoolWorthIt(32767, 2048, 16), true);
  assert.equal(isKvPoolWorthIt(87381, 32768, 16), true);
});
