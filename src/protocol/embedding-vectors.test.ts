import assert from "node:assert/strict";
import { test } from "node:test";
import { fromBase64, shapeVector, toBase64 } from "./embedding-vectors.js";

test("normalize: unit L2 norm, direction kept", () => {
  const shaped = shapeVector(Float32Array.of(3, 4), { dimensions: null, normalize: true });
  assert.deepEqual([...shaped], [Math.fround(0.6), Math.fround(0.8)]);
});

test("dimensions: the first values, renormalized; without normalize only truncated", () => {
  const vector = Float32Array.of(3, 4, 12);
  assert.deepEqual([...shapeVector(vector, { dimensions: 2, normalize: true })], [Math.fround(0.6), Math.fround(0.8)]);
  assert.deepEqual([...shapeVector(vector, { dimensions: 2, normalize: false })], [3, 4]);
  assert.deepEqual([...vector], [3, 4, 12], "the runner's vector is not modified");
});

test("a zero vector stays zero instead of NaN", () => {
  assert.deepEqual([...shapeVector(new Float32Array(3), { dimensions: null, normalize: true })], [0, 0, 0]);
});

test("base64 is little-endian float32 and round-trips exactly", () => {
  const vector = Float32Array.of(1, -2.5, 1e-30, Math.fround(Math.PI));
  const text = toBase64(vector);
  assert.equal(Buffer.from(text, "base64").readFloatLE(4), -2.5);
  assert.deepEqual(fromBase64(text), vector);
  assert.equal(toBase64(Float32Array.of(1)), "AACAPw==");
});
