/**
 * Deterministic random numbers for weights. Not Math.random: the same spec must
 * produce byte-identical files on every machine, so the model cache can key by spec.
 */

/** mulberry32: 32-bit state, fast in JS thanks to Math.imul, plenty for random weights. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to derive a per-tensor seed so a tensor's values don't depend on tensor order. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const byte of Buffer.from(text, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/**
 * Fills `out` with zero-mean values of the given standard deviation. The sum of two
 * uniforms (a triangular distribution) is normal-ish and much cheaper than Box-Muller,
 * which matters at ~500M values for the bench model.
 */
export function fillNormalish(out: Float32Array, random: () => number, std: number): void {
  const scale = std * Math.sqrt(6); // var(u1 + u2 - 1) = 1/6
  for (let i = 0; i < out.length; i++) out[i] = (random() + random() - 1) * scale;
}
