/**
 * The slice of node-llama-cpp's native addon pagoda drives directly. It is
 * internal to node-llama-cpp (its dist/bindings/AddonTypes.d.ts, not exported),
 * so it is re-stated here for the exact version pinned in package.json;
 * `asInternals` checks at load that the pieces exist.
 */
import type { Llama, LlamaModel } from "node-llama-cpp";

export interface AddonSamplerConfig {
  temperature?: number;
  minP?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  repeatPenalty?: number;
  repeatPenaltyMaxTokens?: number;
  repeatPenaltyTokens?: Uint32Array;
  repeatPenaltyPresencePenalty?: number;
  repeatPenaltyFrequencyPenalty?: number;
  tokenBiasKeys?: Uint32Array;
  tokenBiasValues?: Float32Array;
  /** Constrains sampling; sampleToken advances it with every non-EOG token it samples. */
  grammarEvaluationState?: AddonGrammarEvaluationState;
}

/** A parsed GBNF grammar; the constructor throws when llama.cpp cannot parse it. */
export interface AddonGrammar {
  isTextCompatible(text: string): boolean;
}

/** One sequence's position in a grammar (opaque native object). */
export interface AddonGrammarEvaluationState {
  readonly __brand?: "AddonGrammarEvaluationState";
}

export interface AddonSampler {
  dispose(): void;
  applyConfig(config: AddonSamplerConfig): void;
}

export interface AddonContextParams {
  contextSize: number;
  batchSize: number;
  sequences: number;
  threads: number;
  flashAttention?: boolean | "auto";
  /**
   * One KV cache shared by all sequences (llama.cpp's kv_unified). Only
   * pagoda's own build of the addon reads it (scripts/build-native.mjs); the
   * prebuilt one ignores it.
   */
  kvUnified?: boolean;
  /** Embeddings on: llama.cpp pools per the model's pooling type and outputs every token. */
  embeddings?: boolean;
}

export interface AddonContext {
  init(): Promise<boolean>;
  dispose(): Promise<void>;
  initBatch(size: number): void;
  /** Returns the batch logit index of each requested token index. */
  addToBatch(sequenceId: number, firstTokenSequenceIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(batchLogitIndex: number, sampler: AddonSampler): Promise<number>;
  /**
   * With results: `logits` true returns every candidate's [token, logit, ...]
   * after the sampler's chain; an array [tokens, includeMax, includeMin,
   * includeSelected, includeTop] returns those tokens' logits (includeMax is
   * broken in 3.22.1: it only adds a token already listed). `totalLogitWeight`
   * returns sum(exp(logit - max)) over the candidates after the chain.
   */
  sampleToken(
    batchLogitIndex: number,
    sampler: AddonSampler,
    probabilities: boolean,
    confidence: boolean,
    logits: boolean | [tokens: readonly number[], includeMax: boolean, includeMin: boolean, includeSelected: boolean, includeTop: number],
    totalLogitWeight: boolean,
  ): Promise<[token: number, probabilities: number[] | undefined, confidence: number | undefined, logits: number[] | undefined, totalLogitWeight: number | undefined]>;
  removeTokenCellsFromSequence(sequenceId: number, startPos: number, endPos: number): boolean;
  /** Copies the source sequence's whole KV stream over the target's. */
  copySequenceStateFromOtherSequence(targetSequenceId: number, sourceSequenceId: number): Promise<number>;
  /**
   * After a decode on an embeddings context: the pooled vector of sequence 0,
   * or (pooling none) the last output token's. No other sequence is reachable.
   */
  getEmbedding(inputTokensLength: number, maxVectorSize?: number): Float64Array;
  /** Applies these LoRA adapters (with their scales) to every decode of this context. */
  setLoras(loras: AddonModelLora[], scales: number[]): void;
}

/** A GGUF LoRA adapter; created on an AddonModel, loaded by `AddonModel.loadLora`. */
export interface AddonModelLora {
  readonly filePath: string;
  dispose(): Promise<void>;
}

export interface AddonModel {
  loadLora(lora: AddonModelLora): Promise<void>;
}

export interface BindingModule {
  AddonContext: new (model: unknown, params: AddonContextParams) => AddonContext;
  AddonSampler: (new (model: unknown) => AddonSampler) & {
    acceptGrammarEvaluationStateToken(state: AddonGrammarEvaluationState, token: number): void;
    /** Whether the grammar, in this state, accepts `token` next (for an end-of-generation token: whether it may end here). */
    canBeNextTokenForGrammarEvaluationState(state: AddonGrammarEvaluationState, token: number): boolean;
  };
  AddonGrammar: new (grammar: string, params?: { addonExports?: unknown; rootRuleName?: string }) => AddonGrammar;
  AddonGrammarEvaluationState: new (model: unknown, grammar: AddonGrammar) => AddonGrammarEvaluationState;
  AddonModelLora: new (model: AddonModel, filePath: string) => AddonModelLora;
}

export interface Internals {
  bindings: BindingModule;
  addonModel: AddonModel;
}

/**
 * Whether a failed `sampleToken` under a grammar state is llama.cpp finding
 * the grammar left no way on (its accept step empties the grammar stack). The
 * addon reports it only as llama.cpp's message (AddonContext.cpp passes
 * `e.what()` through), so that message is part of the pinned slice.
 */
export function isGrammarDeadEndFailure(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("Unexpected empty grammar stack after accepting piece");
}

/** The addon behind a loaded model; throws unless the pinned node-llama-cpp has the pieces pagoda uses. */
export function asInternals(llama: Llama, model: LlamaModel): Internals {
  const bindings = (llama as unknown as { _bindings?: BindingModule })._bindings;
  const addonModel = (model as unknown as { _model?: AddonModel })._model;
  if (!bindings?.AddonContext || !bindings.AddonSampler || !bindings.AddonModelLora || !addonModel) {
    throw new Error("node-llama-cpp's internals changed: pagoda needs the exact version pinned in package.json");
  }
  return { bindings, addonModel };
}
