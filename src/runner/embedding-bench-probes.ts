/**
 * What scripts/bench-embeddings.mjs compares, on one loaded model:
 * - node-llama-cpp's own LlamaEmbeddingContext (one input per call);
 * - pagoda's LlamaEmbeddingRunner (one decode per input, what the server runs);
 * - one llama.cpp decode holding a whole batch as separate sequences: what
 *   batched embedding would cost if the addon returned every sequence's
 *   vector (it returns sequence 0's only, which this probe hands back so the
 *   bench can check it against the same input decoded alone).
 * Measurement only; the server never uses `sharedDecode`.
 */
import { getLlama, LlamaLogLevel, type LlamaEmbeddingContext, type Token } from "node-llama-cpp";
import { type AddonContext, asInternals } from "./addon-types.js";
import { readEmbeddingTraits } from "./embedding-traits.js";
import { LlamaEmbeddingRunner } from "./llama-embedding-runner.js";

export interface EmbeddingBenchProbes {
  dimensions: number;
  trainContextLength: number;
  /** Token ids from the vocabulary's ordinary range, with the model's begin/end special tokens. */
  specialTokens: { begin: number | null; end: number | null };
  runner: LlamaEmbeddingRunner;
  nodeLlamaCppEmbed(tokens: readonly number[]): Promise<readonly number[]>;
  sharedDecode(inputs: readonly (readonly number[])[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export async function loadEmbeddingBenchProbes(
  modelPath: string,
  options: { threads: number; maxBatchTokens: number; maxSequences: number },
): Promise<EmbeddingBenchProbes> {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: options.threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const trainContextLength = model.trainContextSize;
  const { pooling } = readEmbeddingTraits(model);
  if (pooling !== "mean" && pooling !== "cls" && pooling !== "last") throw new Error(`${modelPath} is not an embedding model with mean, cls or last pooling`);
  const runner = await LlamaEmbeddingRunner.create(llama, model, { maxInputTokens: trainContextLength, threads: options.threads, pooling });
  let nodeLlamaCppContext: LlamaEmbeddingContext | null = null;
  const { bindings, addonModel } = asInternals(llama, model);
  const shared: AddonContext = new bindings.AddonContext(addonModel, {
    contextSize: options.maxSequences * trainContextLength,
    batchSize: options.maxBatchTokens,
    sequences: options.maxSequences,
    threads: options.threads,
    embeddings: true,
    flashAttention: false, // as LlamaEmbeddingRunner
  });
  if (!(await shared.init())) throw new Error("llama.cpp could not create the shared-decode context");
  const isWordPiece = String(model.vocabularyType) === "wpm";
  return {
    dimensions: model.embeddingVectorSize,
    trainContextLength,
    specialTokens: { begin: model.tokens.bos as number | null, end: (isWordPiece ? model.tokens.sep : null) as number | null },
    runner,
    async nodeLlamaCppEmbed(tokens) {
      nodeLlamaCppContext ??= await model.createEmbeddingContext({ contextSize: trainContextLength, batchSize: trainContextLength, threads: options.threads });
      return (await nodeLlamaCppContext.getEmbeddingFor(tokens as Token[])).vector;
    },
    async sharedDecode(inputs) {
      if (inputs.length > options.maxSequences) throw new Error(`at most ${options.maxSequences} inputs per shared decode`);
      shared.initBatch(inputs.reduce((sum, tokens) => sum + tokens.length, 0));
      inputs.forEach((tokens, sequenceId) => shared.addToBatch(sequenceId, 0, Uint32Array.from(tokens), Uint32Array.of(tokens.length - 1)));
      await shared.decodeBatch();
      return Float32Array.from(shared.getEmbedding(inputs[0].length));
    },
    async close() {
      await nodeLlamaCppContext?.dispose();
      await shared.dispose();
      await runner.close();
      await model.dispose();
      await llama.dispose();
    },
  };
}
