/**
 * vLLM v1's sampling semantics, for the runner's paths that cannot use
 * llama.cpp's chain as is (llama.cpp filters with top-p/min-p BEFORE applying
 * temperature; vLLM scales first). Order, as vLLM's sampler:
 *   logit biases / bans -> repetition penalty (prompt + output) -> frequency
 *   and presence penalties (output only) -> greedy, or temperature -> min_p ->
 *   top_k -> top_p -> draw.
 * Filters work on candidates: the most likely tokens, sorted, plus the
 * normalizer of the whole vocabulary at the request's temperature, so a runner
 * can hand over a few hundred tokens instead of the whole vocabulary.
 */
import type { Xoshiro128StarStar } from "./xoshiro128-star-star.js";

/** vLLM treats temperatures below this as greedy. */
export const greedyTemperature = 1e-5;

export interface FilterParams {
  temperature: number;
  minP: number;
  /** 0: off. */
  topK: number;
  topP: number;
}

export interface PenaltyParams {
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
}

/**
 * The most likely tokens with their processed logits (biases and penalties
 * applied), most likely first. `isComplete` when no other token has a finite logit.
 */
export interface Candidates {
  tokens: ArrayLike<number>;
  logits: ArrayLike<number>;
  isComplete: boolean;
  /** log of sum(exp((logit - maxLogit) / temperature)) over the whole vocabulary. */
  logNormalizer: number;
}

export interface Distribution {
  tokens: number[];
  /** Renormalized over the kept tokens. */
  probs: number[];
}

/**
 * The distribution vLLM samples from, after min_p, top_k and top_p, or null
 * when the candidates end before the kept set does (ask for more).
 */
export function filteredDistribution(candidates: Candidates, params: FilterParams): Distribution | null {
  const { tokens, logits, isComplete, logNormalizer } = candidates;
  const numCandidates = tokens.length;
  if (numCandidates === 0) return null;
  const maxLogit = logits[0];
  const temperature = params.temperature;
  // min_p: p >= min_p * p_max, i.e. (logit - max) / T >= ln(min_p).
  const minScaled = params.minP > 0 ? Math.log(params.minP) : -Infinity;
  let numKept = 0;
  while (numKept < numCandidates && (logits[numKept] - maxLogit) / temperature >= minScaled && logits[numKept] > -Infinity) numKept++;
  const survivorsMayContinue = numKept === numCandidates && !isComplete;
  if (params.topK > 0 && params.topK < numKept) numKept = params.topK;
  const isKeptSetKnown = !survivorsMayContinue || (params.topK > 0 && params.topK <= numCandidates);

  const probs = new Array<number>(numKept);
  let keptMass = 0;
  for (let i = 0; i < numKept; i++) {
    probs[i] = Math.exp((logits[i] - maxLogit) / temperature - logNormalizer);
    keptMass += probs[i];
  }
  if (!isKeptSetKnown && params.minP > 0) return null; // survivors beyond the candidates carry unknown mass
  // Without min_p or top_k cutting it, the kept set is the whole vocabulary: its mass is 1.
  const totalMass = isKeptSetKnown ? keptMass : 1;

  if (params.topP < 1) {
    // vLLM drops a token when the mass of it and everything less likely is <= 1 - top_p,
    // i.e. keeps it while the mass strictly above it is < top_p.
    const target = params.topP * totalMass;
    let above = 0;
    let numNucleus = 0;
    while (numNucleus < numKept && above < target) above += probs[numNucleus++];
    if (above < target && !isKeptSetKnown) return null;
    numKept = Math.max(1, numNucleus);
  } else if (!isKeptSetKnown) {
    return null;
  }
  const kept = probs.slice(0, numKept);
  const mass = kept.reduce((sum, p) => sum + p, 0);
  return { tokens: Array.from({ length: numKept }, (_, i) => tokens[i]), probs: kept.map((p) => p / mass) };
}

/** Draws one token by inverse CDF. */
export function draw(distribution: Distribution, random: Xoshiro128StarStar): number {
  const u = random.next();
  let cumulative = 0;
  for (let i = 0; i < distribution.tokens.length; i++) {
    cumulative += distribution.probs[i];
    if (u < cumulative) return distribution.tokens[i];
  }
  return distribution.tokens[distribution.tokens.length - 1];
}

/**
 * Biases and penalties on a full logits vector, in place (vLLM's order):
 * additive biases (-Infinity bans), repetition penalty on every token seen in
 * the prompt or output, then frequency and presence penalties on output counts.
 */
export function applyBiasesAndPenalties(
  logits: Float32Array,
  biases: ReadonlyMap<number, number>,
  penalties: PenaltyParams,
  promptTokens: readonly number[],
  outputTokens: readonly number[],
): void {
  for (const [token, bias] of biases) logits[token] += bias;
  if (penalties.repetitionPenalty !== 1) {
    const seen = new Set([...promptTokens, ...outputTokens]);
    const r = penalties.repetitionPenalty;
    for (const token of seen) logits[token] = logits[token] > 0 ? logits[token] / r : logits[token] * r;
  }
  if (penalties.frequencyPenalty !== 0 || penalties.presencePenalty !== 0) {
    const counts = new Map<number, number>();
    for (const token of outputTokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    for (const [token, count] of counts) logits[token] -= penalties.frequencyPenalty * count + penalties.presencePenalty;
  }
}

/** Candidates from a full processed logits vector: every token, sorted (ties by id), with the normalizer at `temperature`. */
export function candidatesFromLogits(logits: Float32Array, temperature: number): Candidates {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const sortedLogits = order.map((token) => logits[token]);
  return { tokens: order, logits: sortedLogits, isComplete: true, logNormalizer: logSumExpScaled(sortedLogits, temperature) };
}

/** log(sum(exp((x - max) / temperature))) with `values[0]` the maximum. */
export function logSumExpScaled(values: ArrayLike<number>, temperature: number): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] - values[0]) / temperature);
  return Math.log(sum);
}

/** Index of the largest logit, lowest id on ties (greedy). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}
