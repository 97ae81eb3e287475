import assert from "node:assert/strict";
import { test } from "node:test";
import {
  dequantizeQ8_0,
  encodeTensorValues,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  quantizeQ8_0,
} from "./tensor-encoding.js";

test("f16 conversion of exact values", () => {
  assert.equal(float32ToFloat16Bits(0), 0x0000);
  assert.equal(float32ToFloat16Bits(-0), 0x8000);
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(0.5), 0x3800);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff); // largest finite half
  assert.equal(float32ToFloat16Bits(2 ** -14), 0x0400); // smallest normal
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToFloat16Bits(Infinity), 0x7c00);
  assert.equal(float32ToFloat16Bits(1e6), 0x7c00); // overflow
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
});

test("f16 rounds to nearest, ties to even", () => {
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie, 0x3c00 is even
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie, rounds up to even
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01); // above the tie
  assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000); // subnormal tie to even (zero)
  assert.equal(float32ToFloat16Bits(3 * 2 ** -25), 0x0002);
  assert.equal(float32ToFloat16Bits(65520), 0x7c00); // rounds past the max to infinity
});

test("f16 round trip stays within half precision", () => {
  for (const x of [0.1, -0.333, 3.14159, 1234.5, -0.0001]) {
    const back = float16BitsToFloat32(float32ToFloat16Bits(x));
    assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11, `${x} -> ${back}`);
  }
});

test("Q8_0 block: d = max|x|/127 as f16, q = round(x/d) with halves away from zero", () => {
  // max |x| = 127 makes d exactly 1, so q is just x rounded, halves included.
  const x = new Float32Array(32);
  x.set([127, -127, 2.5, -2.5, 0.49, -0.51, 1.5, -1.5, 0, 100.4]);
  const out = Buffer.alloc(34);
  quantizeQ8_0(x, out);
  assert.equal(out.readUInt16LE(0), 0x3c00); // d = 1.0
  const q = [...new Int8Array(out.buffer, out.byteOffset + 2, 32)];
  assert.deepEqual(q.slice(0, 10), [127, -127, 3, -3, 0, -1, 2, -2, 0, 100]);
  assert.ok(q.slice(10).every((v) => v === 0));
});

test("Q8_0 scale from a negative maximum, and an all-zero block", () => {
  const x = new Float32Array(64);
  x[0] = -0.254; // block 0: d = 0.002
  x[1] = 0.1;
  x[2] = -0.0999;
  const out = encodeTensorValues("Q8_0", x);
  assert.equal(out.length, 68);
  const d = float16BitsToFloat32(out.readUInt16LE(0));
  assert.ok(Math.abs(d - 0.254 / 127) < 1e-6);
  assert.equal(out.readInt8(2), -127);
  assert.equal(out.readInt8(3), 50);
  assert.equal(out.readInt8(4), -50);
  assert.equal(out.readUInt16LE(34), 0); // zero block: d = 0 and q = 0
  assert.ok(out.subarray(36).every((b) => b === 0));
});

test("Q8_0 dequantizes within half a step", () => {
  const x = new Float32Array(96).map((_, i) => Math.sin(i * 0.7) * (1 + (i % 5)));
  const back = dequantizeQ8_0(encodeTensorValues("Q8_0", x));
  for (let b = 0; b < 3; b++) {
    const block = x.subarray(b * 32, b * 32 + 32);
    const step = Math.max(...block.map(Math.abs)) / 127;
    for (let j = 0; j < 32; j++) assert.ok(Math.abs(back[b * 32 + j] - block[j]) <= step * (0.5 + 127 * 2 ** -11));
  }
});

test("Q8_0 rejects partial blocks", () => {
  assert.throws(() => encodeTensorValues("Q8_0", new Float32Array(33)), /multiple of 32/);
});

test("F32 and F16 encodings are little-endian", () => {
  const f32 = encodeTensorValues("F32", new Float32Array([1.5, -2]));
  assert.equal(f32.readFloatLE(0), 1.5);
  assert.equal(f32.readFloatLE(4), -2);
  const f16 = encodeTensorValues("F16", new Float32Array([1, -2]));
  assert.deepEqual([f16.readUInt16LE(0), f16.readUInt16LE(2)], [0x3c00, 0xc000]);
});
