/**
 * EmbeddingRunner over node-llama-cpp's addon: a context with embeddings on,
 * on an already loaded model, where llama.cpp pools token states per the
 * model's pooling type (from the GGUF, or `--pooling` as a metadata override).
 *
 * One decode per input. The addon's getEmbedding reads only sequence 0's
 * pooled vector (AddonContext.cpp: `llama_get_embeddings_seq(ctx, 0)`, or the
 * last output row when pooling is none), so inputs packed into one decode as
 * several sequences would be computed and all but one thrown away; per-token
 * states are unreachable too. Decoding each input alone also makes its
 * vector independent of what it was batched with, bit for bit. The batcher
 * still groups inputs, so a future addon that returns every sequence (a
 * one-line change there) makes this one decode per batch.
 */
import type { Llama, LlamaModel } from "node-llama-cpp";
import type { EmbeddingModelInfo, EmbeddingPooling, EmbeddingRunner } from "../engine/embedding-runner.js";
import { type AddonContext, asInternals } from "./addon-types.js";

export interface LlamaEmbeddingRunnerOptions {
  /** Longest input; capped at the model's trained context (BERT has no positions beyond it). */
  maxInputTokens: number;
  threads: number;
  /** The pooling the model was loaded with (metadata or override), reported in `info`. */
  pooling: EmbeddingPooling;
}

export class LlamaEmbeddingRunner implements EmbeddingRunner {
  private constructor(
    private readonly context: AddonContext,
    readonly info: EmbeddingModelInfo,
  ) {}

  static async create(llama: Llama, model: LlamaModel, options: LlamaEmbeddingRunnerOptions): Promise<LlamaEmbeddingRunner> {
    const { bindings, addonModel } = asInternals(llama, model);
    const maxInputTokens = Math.min(options.maxInputTokens, model.trainContextSize);
    const context = new bindings.AddonContext(addonModel, {
      contextSize: maxInputTokens,
      // A non-causal model needs a whole input in one micro-batch.
      batchSize: maxInputTokens,
      sequences: 1,
      threads: options.threads,
      embeddings: true,
      // Off, as node-llama-cpp's embedding context: on CPU, bge-small-shaped
      // inputs ran ~1.4x slower with llama.cpp's flash attention on.
      flashAttention: false,
    });
    if (!(await context.init())) throw new Error("llama.cpp could not create an embedding context");
    return new LlamaEmbeddingRunner(context, { dimensions: model.embeddingVectorSize, maxInputTokens, pooling: options.pooling });
  }

  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (const tokens of inputs) vectors.push(await this.embedOne(tokens));
    return vectors;
  }

  private async embedOne(tokens: readonly number[]): Promise<Float32Array> {
    if (tokens.length === 0 || tokens.length > this.info.maxInputTokens) {
      throw new Error(`an embedding input must have 1..${this.info.maxInputTokens} tokens, not ${tokens.length}`);
    }
    // A causal model's KV of the previous input; a no-op for encoders (no KV).
    this.context.removeTokenCellsFromSequence(0, 0, -1);
    this.context.initBatch(tokens.length);
    this.context.addToBatch(0, 0, Uint32Array.from(tokens), Uint32Array.of(tokens.length - 1));
    await this.context.decodeBatch();
    return Float32Array.from(this.context.getEmbedding(tokens.length));
  }

  async close(): Promise<void> {
    await this.context.dispose();
  }
}
