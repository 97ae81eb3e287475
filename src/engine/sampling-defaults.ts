/** Engine sampling params with vLLM's defaults, for callers that build requests without the wire (benchmarks, tests). */
import type { SamplingParams } from "./types.js";

export function samplingParams(overrides: Partial<SamplingParams> = {}): SamplingParams {
  return {
    n: 1,
    maxTokens: 16,
    temperature: 1,
    topP: 1,
    topK: 0,
    minP: 0,
    presencePenalty: 0,
    frequencyPenalty: 0,
    repetitionPenalty: 1,
    seed: undefined,
    stop: [],
    stopTokenIds: [],
    ignoreEos: false,
    includeStopStringInOutput: false,
    logitBias: new Map(),
    minTokens: 0,
    allowedTokenIds: null,
    logprobs: null,
    promptLogprobs: null,
    badWords: [],
    skipSpecialTokens: true,
    grammar: null,
    ...overrides,
  };
}
