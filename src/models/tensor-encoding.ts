/**
 * Float32 values -> ggml tensor bytes (F32, F16, Q8_0), mirroring ggml's reference
 * code so our files hold what llama.cpp's own quantizer would have written.
 */
import { ggmlTypeLayout, type GgmlTypeName } from "./gguf-types.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number, round-to-nearest-even (what F16C hardware and ggml do). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: shift the full 24-bit significand down; below 2^-25 it rounds to zero.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Q8_0 blocks of 32 values: f16 scale d = max|x|/127, then 32 int8 q = round(x/d).
 * Follows ggml's quantize_row_q8_0_ref, including computing in float32 with the
 * unrounded d and C's roundf (halves away from zero), so the bytes match llama.cpp's
 * quantizer.
 */
export function quantizeQ8_0(values: Float32Array, out: Buffer, outOffset = 0): void {
  if (values.length % 32 !== 0) throw new Error(`Q8_0 needs a multiple of 32 values, got ${values.length}`);
  // Typed-array stores, not Buffer.write*: this loop runs ~500M times for the bench model.
  const q = new Int8Array(out.buffer, out.byteOffset, out.length);
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  let o = outOffset;
  for (let b = 0; b < values.length; b += 32) {
    let amax = 0;
    for (let j = b; j < b + 32; j++) {
      const a = Math.abs(values[j]);
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const dBits = float32ToFloat16Bits(d);
    out[o] = dBits & 0xff;
    out[o + 1] = dBits >>> 8;
    const base = o + 2 - b;
    for (let j = b; j < b + 32; j++) {
      // roundf without a data-dependent branch (random signs made the branch mispredict
      // half the time, 3x slower): round |x| half-up, then negate via the sign bit.
      const r = (Math.abs(Math.fround(values[j] * id)) + 0.5) | 0;
      const sign = bits[j] >> 31;
      q[base + j] = (r ^ sign) - sign;
    }
    o += 34;
  }
}

export function dequantizeQ8_0(bytes: Buffer): Float32Array {
  const blocks = bytes.length / 34;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const d = float16BitsToFloat32(bytes.readUInt16LE(b * 34));
    for (let j = 0; j < 32; j++) out[b * 32 + j] = d * bytes.readInt8(b * 34 + 2 + j);
  }
  return out;
}

/** Encode values (whole blocks) as the given tensor type, little-endian. */
export function encodeTensorValues(type: GgmlTypeName, values: Float32Array): Buffer {
  const { blockSize, blockBytes } = ggmlTypeLayout[type];
  const out = Buffer.allocUnsafe((values.length / blockSize) * blockBytes);
  switch (type) {
    case "F32":
      // Float32Array is host-endian; every platform Node ships on is little-endian.
      Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out);
      break;
    case "F16":
      for (let i = 0; i < values.length; i++) {
        const bits = float32ToFloat16Bits(values[i]);
        out[i * 2] = bits & 0xff;
        out[i * 2 + 1] = bits >>> 8;
      }
      break;
    case "Q8_0":
      quantizeQ8_0(values, out);
      break;
  }
  return out;
}
