import assert from "node:assert/strict";
import { test } from "node:test";
import { hashString, mulberry32, Mulberry32 } from "./mulberry32.js";

/** The widely published mulberry32, to pin our sequence to the reference one. */
function referenceMulberry32(a: number): () => number {
  return () => {
    let t = (a += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("mulberry32 matches the reference sequence", () => {
  for (const seed of [0, 1, 42, 0xdeadbeef]) {
    const ours = mulberry32(seed);
    const reference = referenceMulberry32(seed);
    for (let i = 0; i < 100; i++) assert.equal(ours(), reference(), `seed ${seed} draw ${i}`);
  }
});

test("fillNormalish is deterministic, centred and has the requested std", () => {
  const a = new Float32Array(200_000);
  const b = new Float32Array(200_000);
  new Mulberry32(7).fillNormalish(a, 0.05);
  new Mulberry32(7).fillNormalish(b, 0.05);
  assert.deepEqual(a, b);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.05) < 0.001, `std ${std}`);
  assert.ok(a.every((x) => Math.abs(x) <= 0.05 * Math.sqrt(6))); // triangular: bounded tails
});

test("fill continues the stream: two halves equal one whole", () => {
  const whole = new Float32Array(64);
  new Mulberry32(3).fillNormalish(whole, 1);
  const random = new Mulberry32(3);
  const halves = new Float32Array(64);
  random.fillNormalish(halves.subarray(0, 32), 1);
  random.fillNormalish(halves.subarray(32), 1);
  assert.deepEqual(halves, whole);
});

test("hashString separates names and seeds", () => {
  assert.equal(hashString("blk.0.attn_q.weight", 1), hashString("blk.0.attn_q.weight", 1));
  assert.notEqual(hashString("blk.0.attn_q.weight", 1), hashString("blk.0.attn_k.weight", 1));
  assert.notEqual(hashString("blk.0.attn_q.weight", 1), hashString("blk.0.attn_q.weight", 2));
  assert.equal(hashString(""), 0x811c9dc5); // FNV-1a offset basis
});
