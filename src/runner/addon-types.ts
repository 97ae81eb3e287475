/**
 * The slice of node-llama-cpp's native addon pagoda drives directly. It is
 * internal to node-llama-cpp (its dist/bindings/AddonTypes.d.ts, not exported),
 * so it is re-stated here for the exact version pinned in package.json;
 * `asInternals` checks at load that the pieces exist.
 */

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
}

export interface AddonContext {
  init(): Promise<boolean>;
  dispose(): Promise<void>;
  initBatch(size: number): void;
  /** Returns the batch logit index of each requested token index. */
  addToBatch(sequenceId: number, firstTokenSequenceIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(batchLogitIndex: number, sampler: AddonSampler): Promise<number>;
  removeTokenCellsFromSequence(sequenceId: number, startPos: number, endPos: number): boolean;
  /** Copies the source sequence's whole KV stream over the target's. */
  copySequenceStateFromOtherSequence(targetSequenceId: number, sourceSequenceId: number): Promise<number>;
}

export interface BindingModule {
  AddonContext: new (model: unknown, params: AddonContextParams) => AddonContext;
  AddonSampler: (new (model: unknown) => AddonSampler) & {
    acceptGrammarEvaluationStateToken(state: AddonGrammarEvaluationState, token: number): void;
  };
  AddonGrammar: new (grammar: string, params?: { addonExports?: unknown; rootRuleName?: string }) => AddonGrammar;
  AddonGrammarEvaluationState: new (model: unknown, grammar: AddonGrammar) => AddonGrammarEvaluationState;
}

export interface Internals {
  bindings: BindingModule;
  addonModel: unknown;
}
