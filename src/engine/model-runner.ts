/**
 * What the engine needs from a model backend. The engine decides which tokens
 * of which sequences go into each forward pass; a runner only executes that
 * batch and samples. `src/runner/` implements this over llama.cpp; tests use a
 * scripted fake.
 */

import type { SamplingParams, TokenLogprob } from "./types.js";

type NativeSamplingFields = "temperature" | "topP" | "topK" | "minP" | "presencePenalty" | "frequencyPenalty" | "repetitionPenalty" | "grammar";

/**
 * Additive logit biases, applied before penalties; -Infinity bans a token.
 * `tokenIds` ascending and unique. A runner may treat the same object as
 * unchanged: the engine hands the same instance while the bias set is the same.
 */
export interface LogitBias {
  readonly tokenIds: Uint32Array;
  readonly biases: Float32Array;
}

/** Sampler settings a runner applies natively: the request's, with the choice's resolved seed. */
export type SamplerConfig = Pick<SamplingParams, NativeSamplingFields> & {
  seed: number;
  /** null: no biases. */
  logitBias: LogitBias | null;
};

/** A per-sequence sampler with its own random state (same seed, same draws). */
export interface SequenceSampler {
  dispose(): void;
}

export interface BatchItem {
  /** KV slot the tokens belong to. */
  slotId: number;
  /** Position of `tokens[0]` in the slot's sequence. */
  startPosition: number;
  tokens: readonly number[];
  /** Sample one token from the logits after the last of `tokens`. */
  sample?: {
    sampler: SequenceSampler;
    config: SamplerConfig;
    /** Generated tokens so far: what presence/frequency penalties count. */
    penaltyTokens: readonly number[];
    /** The prompt: with the generated tokens, what the repetition penalty counts (vLLM). */
    promptTokens: readonly number[];
    /**
     * Prompt then generated tokens as one array, what llama.cpp's penalty
     * window takes: a view of a buffer the engine grows in place, valid for
     * this call (no copy of prompt plus output per token).
     */
    tokenWindow: Uint32Array;
    /** Return the sampled token's logprob and this many top alternatives; null: none. */
    numLogprobs: number | null;
  };
  /**
   * Return, for each position of `tokens`, the logprob of the token that
   * follows it (`nextTokens[i]`; undefined where nothing follows yet) and
   * `numTop` top alternatives: prompt logprobs.
   */
  promptLogprobs?: { numTop: number; nextTokens: ReadonlyArray<number | undefined> };
}

/** What a forward pass produced for one batch item. */
export interface ItemResult {
  /**
   * Sampling this item failed; the batch's other items are unaffected. A
   * domain error is the request's answer as it is (e.g. GrammarDeadEnd for
   * constraints no token satisfies); anything else is logged and answered 500.
   */
  error?: unknown;
  /** The sampled token, when the item asked to sample. */
  token?: number;
  logprob?: TokenLogprob;
  /** One per position of the item's tokens that has a next token, in order. */
  promptLogprobs?: TokenLogprob[];
}

export interface ModelInfo {
  /** Context length the model was trained with. */
  trainContextLength: number;
  vocabSize: number;
  /** Tokens that end generation (EOS, EOT, ...). */
  endOfGenerationTokens: ReadonlySet<number>;
  bosToken: number | null;
  eosToken: number | null;
  /** Whether the tokenizer wants BOS prepended to a raw prompt. */
  addBosToken: boolean;
  bosText: string;
  eosText: string;
  chatTemplate: string | null;
  description: string;
}

export interface ModelRunner {
  readonly info: ModelInfo;
  /** Number of KV slots (sequences) that can be live at once. */
  readonly numSlots: number;
  /** KV cells per slot: the longest sequence a slot holds. */
  readonly slotCapacity: number;
  /**
   * Set when the slots share one KV pool of this many cells (llama.cpp's
   * unified KV cache), each slot growing up to `slotCapacity` while cells
   * last; absent or null, each slot owns `slotCapacity` cells.
   */
  readonly kvPoolCells?: number | null;

  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[];
  /** Text of tokens; special tokens rendered only when asked. */
  detokenize(tokens: readonly number[], options?: { renderSpecialTokens?: boolean }): string;

  createSampler(): SequenceSampler;
  /** Throws InvalidGrammar when the backend cannot load this GBNF grammar (checked before a request is admitted). */
  checkGrammar?(grammar: string): void;
  /** One forward pass over the batch; one result per item. */
  execute(items: readonly BatchItem[]): Promise<ItemResult[]>;
  /** Drops the slot's KV from `fromPosition` onwards. */
  truncateSlot(slotId: number, fromPosition: number): void;
  /** Replaces a slot's KV with the first `numTokens` tokens' KV of another slot. */
  copySlotPrefix(fromSlotId: number, toSlotId: number, numTokens: number): Promise<void>;

  close(): Promise<void>;
}
