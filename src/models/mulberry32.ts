/**
 * Deterministic random numbers for weights. Not Math.random: the same spec must
 * produce byte-identical files on every machine, so the model cache can key by spec.
 * Named for its algorithm: sampling draws from a different generator
 * (sampling/xoshiro128-star-star.ts), and swapping one for the other would
 * silently change every generated model. `pagoda bench` draws its workloads from
 * `mulberry32` too, so a seed gives the prompts BENCHMARKS.md was measured with.
 */

/** mulberry32 step: 32-bit state, fast in JS thanks to Math.imul, plenty for random weights. */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Fills `out` with zero-mean values of the given standard deviation: the sum of
   * two uniforms (a triangular distribution), normal-ish and far cheaper than
   * Box-Muller. Both uniforms come from the two 16-bit halves of one draw, and the
   * generator step is inlined: this runs ~500M times for the bench model.
   */
  fillNormalish(out: Float32Array, std: number): void {
    // (k1 + k2 - 65535) / 65536 with k uniform on [0, 65535] has mean 0, variance ~1/6.
    const scale = (std * Math.sqrt(6)) / 65536;
    let s = this.state;
    for (let i = 0; i < out.length; i++) {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      t ^= t >>> 14;
      out[i] = ((t & 0xffff) + ((t >>> 16) & 0xffff) - 65535) * scale;
    }
    this.state = s;
  }
}

/** mulberry32 as a plain function of floats in [0, 1); also used by the benchmark's workload generators. */
export function mulberry32(seed: number): () => number {
  const random = new Mulberry32(seed);
  return () => random.next();
}

/** FNV-1a, to derive a per-tensor seed so a tensor's values don't depend on tensor order. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const byte of Buffer.from(text, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}
