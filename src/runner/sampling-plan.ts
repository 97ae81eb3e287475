/**
 * How a sample is drawn on llama.cpp with vLLM's meaning. llama.cpp's chain is
 * bias -> penalties -> top_k -> top_p -> min_p -> temperature -> draw; vLLM's
 * is bias -> penalties -> temperature -> min_p -> top_k -> top_p -> draw.
 *
 * - "native": the chain gives vLLM's distribution: greedy; no top_p (min_p
 *   commutes with top_k, and min_p at temperature T equals llama.cpp's min_p
 *   of min_p^T before scaling); or top_p at temperature 1 without min_p... but
 *   llama.cpp's top_p sorts the whole vocabulary (~11 ms a token on a
 *   152k vocabulary), so top_p always goes through "candidates".
 * - "candidates": llama.cpp applies biases and penalties and hands over its top
 *   M tokens plus the normalizer of the whole vocabulary at temperature T;
 *   temperature, min_p, top_k, top_p and the draw happen in TypeScript.
 * - "full": every logit comes to TypeScript (slow on big vocabularies): only
 *   when both the repetition penalty (prompt + output) and presence/frequency
 *   penalties (output only) are set, which llama.cpp's one penalty window
 *   cannot express.
 * A grammar (structured output) always takes "native": llama.cpp advances the
 * grammar with the token its chain draws, so with top_p and a temperature
 * other than 1 the filter order is llama.cpp's there.
 */
import type { AddonSamplerConfig } from "./addon-types.js";
import type { SamplerConfig } from "../engine/model-runner.js";
import { greedyTemperature } from "../sampling/vllm-sampler.js";

export type SamplingPath = "native" | "candidates" | "full";

export function samplingPathOf(config: SamplerConfig): SamplingPath {
  // llama.cpp's grammar state follows the token its own chain draws: with a grammar, the chain draws.
  if (config.grammar !== null) return "native";
  const hasOutputPenalties = config.presencePenalty !== 0 || config.frequencyPenalty !== 0;
  if (config.repetitionPenalty !== 1 && hasOutputPenalties) return "full";
  if (isGreedy(config)) return "native";
  return config.topP < 1 ? "candidates" : "native";
}

export function isGreedy(config: Pick<SamplerConfig, "temperature">): boolean {
  return config.temperature < greedyTemperature;
}

/** Penalty window longer than any sequence, so llama.cpp extends its history by one token a step instead of rebuilding it. */
const penaltyWindow = 1 << 20;

/** Biases and penalties as llama.cpp's chain takes them: shared by every path. */
/** `tokenWindow`: prompt then output tokens, of which the first `numPromptTokens` are the prompt. */
export function nativeProcessing(config: SamplerConfig, tokenWindow: Uint32Array, numPromptTokens: number): AddonSamplerConfig {
  const processing: AddonSamplerConfig = {};
  // The same LogitBias object step after step: AddonSampler compares the
  // arrays' contents and keeps its chain when they are unchanged.
  if (config.logitBias !== null) {
    processing.tokenBiasKeys = config.logitBias.tokenIds;
    processing.tokenBiasValues = config.logitBias.biases;
  }
  const hasOutputPenalties = config.presencePenalty !== 0 || config.frequencyPenalty !== 0;
  if (config.repetitionPenalty !== 1 || hasOutputPenalties) {
    // vLLM: the repetition penalty counts prompt and output, presence/frequency only the output.
    const window = config.repetitionPenalty !== 1 ? tokenWindow : tokenWindow.subarray(numPromptTokens);
    processing.repeatPenalty = config.repetitionPenalty;
    processing.repeatPenaltyPresencePenalty = config.presencePenalty;
    processing.repeatPenaltyFrequencyPenalty = config.frequencyPenalty;
    processing.repeatPenaltyTokens = window;
    processing.repeatPenaltyMaxTokens = penaltyWindow;
  }
  return processing;
}

/** The "native" path's full chain. Filters that are off are left out: llama.cpp turns top_k 0 into a sort of the whole vocabulary. */
export function nativeSamplerConfig(config: SamplerConfig, processing: AddonSamplerConfig): AddonSamplerConfig {
  if (isGreedy(config)) return { ...processing, temperature: 0, seed: config.seed };
  return {
    ...processing,
    temperature: config.temperature,
    ...(config.topK > 0 ? { topK: config.topK } : {}),
    ...(config.minP > 0 ? { minP: Math.pow(config.minP, config.temperature) } : {}),
    seed: config.seed,
  };
}
