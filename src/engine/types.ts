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
  /** vLLM's skip_special_tokens (default true): false renders control tokens such as Mistral's `[TOOL_CALLS]` into the text. */
  skipSpecialTokens?: boolean;
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
}

export interface EngineStats {
  numRunning: number;
  numWaiting: number;
  numSlotsInUse: number;
  numSlots: number;
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
