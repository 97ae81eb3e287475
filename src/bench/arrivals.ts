/**
 * Request arrival times for `--request-rate`: a Poisson process, i.e. independent
 * exponential gaps with mean 1/rate seconds (vLLM's default, burstiness 1), from a
 * seeded PRNG so a run's schedule is reproducible. Rate Infinity sends all at once.
 */
import { mulberry32 } from "../models/mulberry32.js";

/** One exponential sample with the given rate (per second), in milliseconds, by inversion. */
export function exponentialGapMs(random: () => number, ratePerS: number): number {
  // random() is in [0, 1); 1 - u is in (0, 1], so the log is finite.
  return (-Math.log(1 - random()) / ratePerS) * 1000;
}

/**
 * Offsets in ms from the benchmark start at which each of `count` requests is sent.
 * The first request goes at 0 (as vLLM sends its first one right away); each next one
 * after an exponential gap.
 */
export function arrivalOffsetsMs(count: number, ratePerS: number, seed: number): number[] {
  if (!(ratePerS > 0)) throw new RangeError(`request rate must be > 0 (or Infinity), got ${ratePerS}`);
  const offsets: number[] = [];
  if (ratePerS === Infinity) {
    for (let i = 0; i < count; i++) offsets.push(0);
    return offsets;
  }
  const random = mulberry32(seed ^ 0x5eed);
  let t = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) t += exponentialGapMs(random, ratePerS);
    offsets.push(t);
  }
  return offsets;
}

/** Parses `--request-rate`: a positive number, or `inf`. */
export function parseRequestRate(text: string): number {
  if (/^(inf|infinity)$/i.test(text.trim())) return Infinity;
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`--request-rate must be a positive number or 'inf', got '${text}'`);
  return rate;
}
