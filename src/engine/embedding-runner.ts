/**
 * What the embedding batcher needs from a model backend: token ids in, one
 * pooled vector per input out. `src/runner/` implements it over llama.cpp;
 * tests use a fake. Vectors are the model's raw pooled states: normalizing
 * and truncating them is the protocol's job.
 */

/** llama.cpp's pooling types a runner can serve. */
export type EmbeddingPooling = "mean" | "cls" | "last";

export interface EmbeddingModelInfo {
  /** Length of every vector. */
  dimensions: number;
  /** The longest input (in tokens, special tokens included) one vector can be computed from. */
  maxInputTokens: number;
  pooling: EmbeddingPooling;
}

export interface EmbeddingRunner {
  readonly info: EmbeddingModelInfo;
  /**
   * One vector per input, in order. Each input's vector must not depend on
   * which other inputs share the call, so batching never changes a result.
   */
  embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
