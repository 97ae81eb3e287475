import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Xoshiro128StarStar } from "./xoshiro128-star-star.js";
import {
  applyBiasesAndPenalties,
  candidatesFromLogits,
  draw,
  filteredDistribution,
  logSumExpScaled,
  type Candidates,
  type FilterParams,
} from "./vllm-sampler.js";

// Reference: vLLM v1's sampler written out from its formulas on whole vectors
// (vllm/v1/sample/sampler.py, ops/topk_topp_sampler.py, ops/penalties.py).
function referenceProbs(logits: number[], params: FilterParams): number[] {
  let x = logits.map((l) => l / params.temperature);
  const softmax = (v: number[]) => {
    const max = Math.max(...v);
    const e = v.map((l) => Math.exp(l - max));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((p) => p / s);
  };
  if (params.minP > 0) {
    const p = softmax(x);
    const threshold = params.minP * Math.max(...p);
    x = x.map((l, i) => (p[i] < threshold ? -Infinity : l));
  }
  if (params.topK > 0) {
    const kth = [...x].sort((a, b) => b - a)[Math.min(params.topK, x.length) - 1];
    x = x.map((l) => (l < kth ? -Infinity : l));
  }
  if (params.topP < 1) {
    const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]); // ascending
    const p = softmax(x);
    let cumulative = 0;
    const masked = new Set<number>();
    order.forEach((token, rank) => {
      cumulative += p[token];
      if (cumulative <= 1 - params.topP && rank < order.length - 1) masked.add(token);
    });
    x = x.map((l, i) => (masked.has(i) ? -Infinity : l));
  }
  return softmax(x);
}

function asDense(distribution: { tokens: number[]; probs: number[] } | null, size: number): number[] {
  assert.ok(distribution);
  const dense = new Array<number>(size).fill(0);
  distribution.tokens.forEach((token, i) => (dense[token] = distribution.probs[i]));
  return dense;
}

function assertClose(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-6, `token ${i}: ${value} vs ${expected[i]}`));
}

const vectors = [
  [2.0, 1.0, 0.5, 0.1, -1.0, -3.0],
  [0.3, 0.29, 0.28, 0.1, 0.0, -0.2, -0.5, -2.0],
  [5.0, -5.0, 4.0, 3.5, 0.0, 1.0, 2.0, 2.5, -1.0, 0.5],
];
const settings: FilterParams[] = [
  { temperature: 1, minP: 0, topK: 0, topP: 1 },
  { temperature: 0.5, minP: 0, topK: 0, topP: 0.9 },
  { temperature: 2, minP: 0, topK: 0, topP: 0.5 },
  { temperature: 0.7, minP: 0.1, topK: 0, topP: 1 },
  { temperature: 1.3, minP: 0.05, topK: 3, topP: 0.8 },
  { temperature: 1, minP: 0, topK: 2, topP: 1 },
  { temperature: 0.8, minP: 0.2, topK: 0, topP: 0.7 },
];

describe("filteredDistribution (vLLM order: temperature, min_p, top_k, top_p)", () => {
  for (const [v, logits] of vectors.entries()) {
    for (const params of settings) {
      it(`vector ${v}, ${JSON.stringify(params)}: equals the reference`, () => {
        const candidates = candidatesFromLogits(Float32Array.from(logits), params.temperature);
        assertClose(asDense(filteredDistribution(candidates, params), logits.length), referenceProbs(Array.from(Float32Array.from(logits)), params));
      });
    }
  }

  it("from the top few candidates plus the whole normalizer: the same distribution, or null when they do not reach", () => {
    const logits = Float32Array.from(vectors[2]);
    for (const params of settings.filter((s) => s.topP < 1 || s.topK > 0)) {
      const full = candidatesFromLogits(logits, params.temperature);
      const expected = referenceProbs(Array.from(logits), params);
      for (let m = 1; m <= logits.length; m++) {
        const truncated: Candidates = {
          tokens: Array.from(full.tokens).slice(0, m),
          logits: Array.from(full.logits).slice(0, m),
          isComplete: m === logits.length,
          logNormalizer: full.logNormalizer,
        };
        const result = filteredDistribution(truncated, params);
        if (result !== null) assertClose(asDense(result, logits.length), expected);
        else assert.ok(m < logits.length, "the whole vocabulary always suffices");
      }
    }
  });

  it("temperature changes what top_p keeps (llama.cpp's order would not)", () => {
    const logits = Float32Array.from([2, 1, 0]);
    const cold = filteredDistribution(candidatesFromLogits(logits, 0.25), { temperature: 0.25, minP: 0, topK: 0, topP: 0.9 });
    const hot = filteredDistribution(candidatesFromLogits(logits, 4), { temperature: 4, minP: 0, topK: 0, topP: 0.9 });
    assert.deepEqual(cold?.tokens, [0]);
    assert.deepEqual(hot?.tokens, [0, 1, 2]);
  });

  it("banned tokens (-Infinity) are never kept", () => {
    const logits = Float32Array.from([1, -Infinity, 0.5]);
    const d = filteredDistribution(candidatesFromLogits(logits, 1), { temperature: 1, minP: 0, topK: 0, topP: 1 });
    assert.deepEqual(d?.tokens, [0, 2]);
  });
});

describe("applyBiasesAndPenalties", () => {
  it("repetition over prompt and output, frequency and presence over output only", () => {
    const logits = Float32Array.from([2, -2, 1, 1, 0.5]);
    applyBiasesAndPenalties(logits, new Map([[4, 1]]), { repetitionPenalty: 2, frequencyPenalty: 0.5, presencePenalty: 0.25 }, [0, 1], [2, 2, 1]);
    // token 0: prompt only -> 2/2; token 1: prompt+output, negative -> -2*2, then -0.5*1-0.25
    // token 2: output twice -> 1/2 - 0.5*2 - 0.25; token 3 untouched; token 4 biased +1
    assertClose(Array.from(logits), [1, -4.75, -0.75, 1, 1.5]);
  });
});

describe("draw", () => {
  it("the same seed draws the same tokens; the frequencies follow the probabilities", () => {
    const distribution = { tokens: [7, 8, 9], probs: [0.5, 0.3, 0.2] };
    const a = new Xoshiro128StarStar(42);
    const b = new Xoshiro128StarStar(42);
    const counts = new Map<number, number>();
    for (let i = 0; i < 20000; i++) {
      const token = draw(distribution, a);
      assert.equal(token, draw(distribution, b));
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    assert.ok(Math.abs(counts.get(7)! / 20000 - 0.5) < 0.02);
    assert.ok(Math.abs(counts.get(9)! / 20000 - 0.2) < 0.02);
  });

  it("logSumExpScaled matches the direct sum", () => {
    const values = [3, 1, 0.5];
    const direct = Math.log(values.reduce((s, v) => s + Math.exp((v - 3) / 0.7), 0));
    assert.ok(Math.abs(logSumExpScaled(values, 0.7) - direct) < 1e-12);
  });
});
