import assert from "node:assert/strict";
import { test } from "node:test";
import type { SamplerConfig } from "../engine/model-runner.js";
import { nativeProcessing, nativeSamplerConfig, samplingPathOf } from "./sampling-plan.js";

const base: SamplerConfig = { temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1, seed: 7, logitBias: null, grammar: null };

test("llama.cpp's chain serves what it computes the same way as vLLM; top_p goes through candidates; mixed penalty windows through all logits", () => {
  assert.equal(samplingPathOf(base), "native");
  assert.equal(samplingPathOf({ ...base, temperature: 0, topP: 0.5 }), "native", "greedy ignores filters");
  assert.equal(samplingPathOf({ ...base, temperature: 0.7, topK: 40, minP: 0.1 }), "native", "min_p and top_k commute and survive scaling");
  assert.equal(samplingPathOf({ ...base, temperature: 0.7, topP: 0.9 }), "candidates");
  assert.equal(samplingPathOf({ ...base, topP: 0.9 }), "candidates");
  assert.equal(samplingPathOf({ ...base, repetitionPenalty: 1.2 }), "native");
  assert.equal(samplingPathOf({ ...base, repetitionPenalty: 1.2, presencePenalty: 0.5 }), "full");
});

test("min_p at temperature T is llama.cpp's min_p of min_p^T before scaling; disabled filters are left out", () => {
  const config = nativeSamplerConfig({ ...base, temperature: 0.5, minP: 0.04 }, {});
  assert.ok(Math.abs((config.minP ?? 0) - 0.2) < 1e-12);
  assert.equal(config.topK, undefined);
  assert.equal(config.topP, undefined);
  assert.deepEqual(nativeSamplerConfig({ ...base, temperature: 0 }, {}), { temperature: 0, seed: 7 });
});

test("the repetition penalty counts prompt and output; presence/frequency only the output", () => {
  const window = Uint32Array.of(1, 2, 3);
  assert.deepEqual([...nativeProcessing({ ...base, repetitionPenalty: 1.1 }, window, 2).repeatPenaltyTokens!], [1, 2, 3]);
  assert.deepEqual([...nativeProcessing({ ...base, presencePenalty: 1 }, window, 2).repeatPenaltyTokens!], [3]);
  assert.deepEqual(nativeProcessing(base, window, 2), {});
});
