/** The engine's request and output types: camelCase, wire-independent. */

export interface SamplingParams {
  /** Number of choices generated from the one prompt. */
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  /** 0 disables top-k. */
  topK: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
  /** undefined: a fresh random seed per choice. */
  seed: number | undefined;
  stop: readonly string[];
  stopTokenIds: readonly number[];
  ignoreEos: boolean;
  includeStopStringInOutput: boolean;
  /** Added to the logits of these token ids before sampling (OpenAI `logit_bias`, already clamped to [-100, 100]). */
  logitBias: ReadonlyMap<number, number>;
  /** Until a choice has this many tokens, EOS/end-of-generation tokens and `stopTokenIds` cannot be sampled (vLLM). */
  minTokens: number;
  /** When set, only these token ids can be sampled (vLLM `allowed_token_ids`). */
  allowedTokenIds: readonly number[] | null;
  /** llama.cpp GBNF (root rule `root`) every sampled token must follow; null: unconstrained. */
  grammar: string | null;
  /** Log-probabilities of each sampled token plus this many most likely alternatives; null: none. */
  logprobs: number | null;
  /** Log-probabilities of each prompt token (after the first) plus this many alternatives; null: none. */
  promptLogprobs: number | null;
  /** Token sequences that may never be generated (vLLM `bad_words`, already tokenized). */
  badWords: ReadonlyArray<readonly number[]>;
  /** false: special tokens (e.g. `<|im_end|>`) are written into the output text (vLLM's `skip_special_tokens`). */
  skipSpecialTokens: boolean;
}

/**
 * SamplingParams with vLLM's defaults (the neutral value of every field), with
 * `overrides` on top: the one sampling-default factory. protocol/sampling-params.ts
 * fills unset wire fields from it; benchmarks and engine tests build requests
 * with it. It lives beside the type, not in protocol/, because the engine's
 * tests need it and the engine never imports protocol/.
 */
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

/** A token's log-probability under the model's raw distribution (log-softmax of the logits, before any sampling filter). */
export interface TokenLogprob {
  token: number;
  logprob: number;
  /** The most likely tokens at that position, most likely first. */
  top: Array<{ token: number; logprob: number }>;
}

export interface GenerateRequest {
  requestId: string;
  promptTokens: readonly number[];
  params: SamplingParams;
  /** Lower runs first under the priority policy (vLLM's convention); 0 by default. */
  priority?: number;
}

export type SchedulingPolicy = "fcfs" | "priority";

export type FinishReason = "stop" | "length" | "abort";

/** What one step produced for one choice; deltas since the previous output. */
export interface ChoiceOutput {
  index: number;
  text: string;
  tokenIds: number[];
  /** One per token of `tokenIds` when the request asked for logprobs, else null. */
  logprobs: TokenLogprob[] | null;
  finishReason: FinishReason | null;
  /** The stop string or stop token id that ended the choice, when one did. */
  stopReason: string | number | null;
}

export interface RequestOutput {
  requestId: string;
  choices: ChoiceOutput[];
  numPromptTokens: number;
  /** Prompt tokens whose KV came from the prefix cache (first choice). */
  numCachedPromptTokens: number;
  /** Completion tokens so far, summed over choices. */
  numCompletionTokens: number;
  /** Prompt logprobs (null for the first token), once the prompt is computed, when asked for. */
  promptLogprobs: Array<TokenLogprob | null> | null;
}

export interface EngineStats {
  numRunning: number;
  numWaiting: number;
  numSlotsInUse: number;
  numSlots: number;
  /** vLLM's kv_cache_usage_perc, 0-1: pool cells held by running sequences over the pool (slots in use over slots without a pool). */
  kvCacheUsage: number;
  /** Sequences whose KV was dropped to make room, to be recomputed (vLLM's num_preemptions). */
  preemptionsTotal: number;
  promptTokensTotal: number;
  generationTokensTotal: number;
  prefixCacheQueriedTokens: number;
  prefixCacheHitTokens: number;
}

/** Timings of one finished request, for metrics and request logs (milliseconds). */
export interface RequestTimings {
  requestId: string;
  finishReason: FinishReason;
  numPromptTokens: number;
  numCachedPromptTokens: number;
  numGenerationTokens: number;
  /** Arrival to first scheduled step. */
  queueTimeMs: number;
  /** Arrival to first generated token. */
  timeToFirstTokenMs: number | null;
  /** Gaps between consecutive tokens of the first choice. */
  interTokenLatenciesMs: number[];
  /** Arrival to finish. */
  endToEndMs: number;
}
