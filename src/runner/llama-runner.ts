/**
 * ModelRunner over llama.cpp through node-llama-cpp's native addon layer.
 *
 * node-llama-cpp's high-level sequences schedule decodes themselves and miss
 * steps (see docs/decisions/0001-batch-level-runner.md); pagoda's engine owns
 * every step instead, so this runner drives the addon's batch API directly:
 * initBatch -> addToBatch per slot -> decodeBatch -> sampleToken. That API is
 * internal to node-llama-cpp, which is why its version is pinned exactly and
 * everything touching it lives in this folder.
 */
import { LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import { loadLlama, trimNativeHeap, type LoadedLlama } from "./native-addon.js";
import type { BatchItem, ItemResult, ModelInfo, ModelRunner, SequenceSampler } from "../engine/model-runner.js";
import type { TokenLogprob } from "../engine/types.js";
import { LlamaSampling, type LlamaSequenceSampler } from "./llama-sampling.js";
import { LlamaTokenizer } from "./llama-tokenizer.js";
import { GrammarStates, type GrammarVocabulary } from "./grammar-states.js";
import { controlTokensBannedUnderGrammar, vocabularyBytes } from "./utf8-token-guard.js";
import { LlamaEmbeddingRunner, type LlamaEmbeddingRunnerOptions } from "./llama-embedding-runner.js";
import { readEmbeddingTraits, type EmbeddingTraits } from "./embedding-traits.js";
import { type AddonContext, type AddonModelLora, type Internals, asInternals } from "./addon-types.js";
import { mergePieceResult, splitIntoMicroBatches } from "./micro-batches.js";
import { DecodeGrouping } from "./decode-grouping.js";
import { serverLog } from "../logger.js";

export interface LlamaRunnerOptions {
  modelPath: string;
  /** Slots (concurrent sequences). */
  numSlots: number;
  /** KV cells per slot, given the context length the model was trained with. */
  resolveSlotCapacity: (trainContextLength: number) => number;
  /**
   * Cells of one KV pool all slots share (llama.cpp's unified KV cache), or
   * null for a fixed share per slot. Used only when the loaded addon can do it
   * (see native-addon.ts); otherwise each slot gets `slotCapacity` cells.
   */
  kvPoolCells?: number | null;
  /** Largest number of tokens one forward pass takes. */
  maxBatchTokens: number;
  threads: number;
  /** Called with 0..1 while the weights load. */
  onLoadProgress?: (fraction: number) => void;
  /** GGUF metadata overrides at load, e.g. `{ llama: { pooling_type: 1 } }` for `--pooling`. */
  metadataOverrides?: Record<string, Record<string, number>>;
}

/**
 * Tokens per llama_decode (llama.cpp's n_ubatch default, which llama-server
 * uses): a step with more runs as several decodes. The context's batch, and
 * the compute buffer that grows with it times the KV cells, stays this size.
 */
const maxMicroBatchTokens = 512;

const logLevels: Record<string, LlamaLogLevel> = { error: LlamaLogLevel.error, warn: LlamaLogLevel.warn, info: LlamaLogLevel.info };

/**
 * One llama.cpp backend per process, shared by every loaded model: disposing a
 * Llama tears down the backend under any other model still using it.
 */
let sharedLlama: { llama: Promise<LoadedLlama>; numUsers: number } | null = null;

async function acquireLlama(threads: number): Promise<LoadedLlama> {
  if (!sharedLlama) {
    // Explicit threads: node-llama-cpp's default (max(4, cores)) makes ggml's
    // spin barriers collapse on small machines.
    const llama = loadLlama({ maxThreads: threads, logLevel: logLevels[process.env.PAGODA_LLAMA_LOG ?? "error"] ?? LlamaLogLevel.error });
    sharedLlama = { llama, numUsers: 0 };
    void llama.then((loaded) => serverLog.info(`native addon: ${loaded.description}`), () => {});
  }
  sharedLlama.numUsers++;
  const loaded = await sharedLlama.llama;
  if (loaded.llama.maxThreads < threads) loaded.llama.maxThreads = threads;
  return loaded;
}

async function releaseLlama(): Promise<void> {
  if (!sharedLlama || --sharedLlama.numUsers > 0) return;
  const { llama } = sharedLlama;
  sharedLlama = null;
  await (await llama).llama.dispose();
}

interface ContextShape {
  numSlots: number;
  slotCapacity: number;
  /** One unified KV cache of this many cells, or null: `slotCapacity` cells per slot. */
  kvPoolCells: number | null;
  maxBatchTokens: number;
  threads: number;
}

export class LlamaRunner implements ModelRunner {
  private readonly tokenizer: LlamaTokenizer;
  private readonly sampling: LlamaSampling;
  private readonly grammars: GrammarStates;
  private readonly decodeGrouping = new DecodeGrouping();

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: AddonContext,
    readonly info: ModelInfo,
    private readonly shape: ContextShape,
    /** Set on a runner made by `withLoraAdapter`: it shares its base's weights and owns only its context and adapter. */
    private readonly lora: AddonModelLora | null,
  ) {
    this.tokenizer = new LlamaTokenizer(model);
    const internals = asInternals(llama, model);
    this.grammars = new GrammarStates(internals, () => readGrammarVocabulary(model, info.endOfGenerationTokens));
    this.sampling = new LlamaSampling(context, () => new internals.bindings.AddonSampler(internals.addonModel), info.vocabSize, info.endOfGenerationTokens, this.grammars);
  }

  get numSlots(): number {
    return this.shape.numSlots;
  }

  get slotCapacity(): number {
    return this.shape.slotCapacity;
  }

  get kvPoolCells(): number | null {
    return this.shape.kvPoolCells;
  }

  static async load(options: LlamaRunnerOptions): Promise<LlamaRunner> {
    if (process.env.UV_THREADPOOL_SIZE !== "1") {
      serverLog.warn("UV_THREADPOOL_SIZE is not 1, so llama.cpp's native calls run beside its decodes on the same cores (decoding measured ~25% slower); start pagoda through bin/pagoda.cjs");
    }
    const { llama, supportsUnifiedKv } = await acquireLlama(options.threads);
    try {
      const model = await llama.loadModel({
        modelPath: options.modelPath,
        onLoadProgress: options.onLoadProgress,
        ...(options.metadataOverrides ? { metadataOverrides: options.metadataOverrides as never } : {}),
      });
      const shape = {
        numSlots: options.numSlots,
        slotCapacity: options.resolveSlotCapacity(model.trainContextSize),
        kvPoolCells: supportsUnifiedKv ? (options.kvPoolCells ?? null) : null,
        maxBatchTokens: options.maxBatchTokens,
        threads: options.threads,
      };
      const context = await createContext(asInternals(llama, model), shape, options.modelPath).catch(async (error: unknown) => {
        await model.dispose();
        throw error;
      });
      const runner = new LlamaRunner(llama, model, context, readModelInfo(model), shape, null);
      dropBpeMerges(model);
      trimNativeHeap();
      return runner;
    } catch (error) {
      await releaseLlama();
      throw error;
    }
  }

  /**
   * A runner for a GGUF LoRA adapter on this runner's loaded weights: its own
   * context (KV cache, slots) with the adapter applied to every decode. llama.cpp
   * applies adapters per context, so base and adapter requests cannot share a batch.
   * Close it before its base.
   */
  async withLoraAdapter(loraPath: string): Promise<LlamaRunner> {
    const internals = asInternals(this.llama, this.model);
    const lora = new internals.bindings.AddonModelLora(internals.addonModel, loraPath);
    await internals.addonModel.loadLora(lora);
    const context = await createContext(internals, this.shape, loraPath).catch(async (error: unknown) => {
      await lora.dispose();
      throw error;
    });
    context.setLoras([lora], [1]);
    return new LlamaRunner(this.llama, this.model, context, this.info, this.shape, lora);
  }

  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[] {
    return this.tokenizer.tokenize(text, options);
  }

  detokenize(tokens: readonly number[], options: { renderSpecialTokens?: boolean } = {}): string {
    return this.tokenizer.detokenize(tokens, options);
  }

  /** The vocabulary's strings of tokens, for /tokenize's `token_strs` (not part of ModelRunner: the engine never needs them). */
  tokenPieces(tokens: readonly number[]): string[] {
    return this.tokenizer.tokenPieces(tokens);
  }

  createSampler(): SequenceSampler {
    return this.sampling.createSequenceSampler();
  }

  checkGrammar(grammar: string): void {
    this.grammars.check(grammar);
  }

  async execute(items: readonly BatchItem[]): Promise<ItemResult[]> {
    const isDecodeOnly = items.every((item) => item.tokens.length === 1);
    const mode = this.decodeGrouping.modeFor(items.length, isDecodeOnly);
    const startedMs = performance.now();
    const results = mode === "per-row" ? await this.executeRowByRow(items) : await this.executeInMicroBatches(items);
    this.decodeGrouping.observe(items.length, isDecodeOnly, mode, performance.now() - startedMs);
    return results;
  }

  private async executeRowByRow(items: readonly BatchItem[]): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    for (const item of items) results.push(...(await this.executeMicroBatch([item])));
    return results;
  }

  private async executeInMicroBatches(items: readonly BatchItem[]): Promise<ItemResult[]> {
    const microBatchTokens = Math.min(this.shape.maxBatchTokens, maxMicroBatchTokens);
    if (items.reduce((sum, item) => sum + item.tokens.length, 0) <= microBatchTokens) return this.executeMicroBatch(items);
    const results: ItemResult[] = items.map(() => ({}));
    for (const pieces of splitIntoMicroBatches(items, microBatchTokens)) {
      const partial = await this.executeMicroBatch(pieces.map(({ item }) => item));
      pieces.forEach(({ origin }, i) => mergePieceResult(results[origin], partial[i]));
    }
    return results;
  }

  private async executeMicroBatch(items: readonly BatchItem[]): Promise<ItemResult[]> {
    const ordered = items.map((item, index) => ({ item, index })).sort((a, b) => a.item.slotId - b.item.slotId);
    const numTokens = items.reduce((sum, item) => sum + item.tokens.length, 0);
    this.context.initBatch(numTokens);
    const logitIndexes: Array<Map<number, number>> = items.map(() => new Map());
    for (const { item, index } of ordered) {
      const positions = logitPositions(item);
      const batchIndexes = this.context.addToBatch(item.slotId, item.startPosition, Uint32Array.from(item.tokens), Uint32Array.from(positions));
      positions.forEach((position, i) => logitIndexes[index].set(position, batchIndexes[i]));
    }
    await this.context.decodeBatch();
    // Each sequence's own samplers can run at once; logprobs queue on shared ones.
    // A sequence whose sampling fails fails alone, never its batch.
    const sampled = await Promise.allSettled(
      items.map((item, index) =>
        item.sample
          ? this.sampling.sample({
              batchLogitIndex: logitIndexes[index].get(item.tokens.length - 1)!,
              sampler: item.sample.sampler as LlamaSequenceSampler,
              config: item.sample.config,
              promptTokens: item.sample.promptTokens,
              outputTokens: item.sample.penaltyTokens,
              tokenWindow: item.sample.tokenWindow,
            })
          : Promise.resolve(undefined),
      ),
    );
    return Promise.all(
      items.map(async (item, index): Promise<ItemResult> => {
        const outcome = sampled[index];
        if (outcome.status === "rejected") return { error: outcome.reason };
        try {
          return await this.resultOf(item, logitIndexes[index], outcome.value);
        } catch (error) {
          return { error };
        }
      }),
    );
  }

  private async resultOf(item: BatchItem, logitIndexes: Map<number, number>, token: number | undefined): Promise<ItemResult> {
    const result: ItemResult = {};
    if (item.promptLogprobs) {
      const { numTop, nextTokens } = item.promptLogprobs;
      const promptLogprobs: Array<Promise<TokenLogprob>> = [];
      nextTokens.forEach((next, position) => {
        if (next !== undefined) promptLogprobs.push(this.sampling.logprob(logitIndexes.get(position)!, next, numTop));
      });
      result.promptLogprobs = await Promise.all(promptLogprobs);
    }
    if (token === undefined) return result;
    result.token = token;
    const numLogprobs = item.sample?.numLogprobs ?? null;
    if (numLogprobs !== null) result.logprob = await this.sampling.logprob(logitIndexes.get(item.tokens.length - 1)!, token, numLogprobs);
    return result;
  }

  truncateSlot(slotId: number, fromPosition: number): void {
    this.context.removeTokenCellsFromSequence(slotId, fromPosition, -1);
  }

  async copySlotPrefix(fromSlotId: number, toSlotId: number, numTokens: number): Promise<void> {
    // In a unified KV cache the copy adds the target to the source's cells and
    // keeps whatever the target held (separate streams are overwritten whole):
    // clear it first, or a position would have two cells.
    this.context.removeTokenCellsFromSequence(toSlotId, 0, -1);
    await this.context.copySequenceStateFromOtherSequence(toSlotId, fromSlotId);
    this.context.removeTokenCellsFromSequence(toSlotId, numTokens, -1);
  }

  /** What the GGUF says about pooling and causality. */
  embeddingTraits(): EmbeddingTraits {
    return readEmbeddingTraits(this.model);
  }

  /** An embedding runner on the same loaded model, with its own context. */
  createEmbeddingRunner(options: LlamaEmbeddingRunnerOptions): Promise<LlamaEmbeddingRunner> {
    return LlamaEmbeddingRunner.create(this.llama, this.model, options);
  }

  async close(): Promise<void> {
    this.sampling.dispose();
    await this.context.dispose();
    if (this.lora) {
      await this.lora.dispose();
      return;
    }
    await this.model.dispose();
    await releaseLlama();
    trimNativeHeap();
  }
}

async function createContext(internals: Internals, shape: ContextShape, path: string): Promise<AddonContext> {
  const context = new internals.bindings.AddonContext(internals.addonModel, {
    contextSize: shape.kvPoolCells ?? shape.numSlots * shape.slotCapacity,
    ...(shape.kvPoolCells !== null ? { kvUnified: true } : {}),
    batchSize: Math.min(shape.maxBatchTokens, maxMicroBatchTokens),
    sequences: shape.numSlots,
    threads: shape.threads,
    // As llama-server: llama.cpp enables flash attention where the backend supports it.
    flashAttention: "auto",
  });
  if (!(await context.init())) throw new Error(`llama.cpp could not create a context for ${path}`);
  return context;
}

/** Positions of an item whose logits are needed: those with a next token to score, and the last when sampling. */
function logitPositions(item: BatchItem): number[] {
  const positions: number[] = [];
  const nextTokens = item.promptLogprobs?.nextTokens ?? [];
  const last = item.tokens.length - 1;
  for (let position = 0; position <= last; position++) {
    if (nextTokens[position] !== undefined || (position === last && item.sample)) positions.push(position);
  }
  return positions;
}


function readModelInfo(model: LlamaModel): ModelInfo {
  const metadata = model.fileInfo.metadata as unknown as {
    general?: { name?: string; architecture?: string };
    tokenizer?: { chat_template?: string; ggml?: { tokens?: unknown[] } };
  };
  const vocabSize = metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  const endOfGenerationTokens = new Set<number>();
  for (let token = 0; token < vocabSize; token++) if (model.isEogToken(token as never)) endOfGenerationTokens.add(token);
  const { tokens } = model;
  return {
    trainContextLength: model.trainContextSize,
    vocabSize,
    endOfGenerationTokens,
    bosToken: tokens.bos,
    eosToken: tokens.eos,
    addBosToken: tokens.shouldPrependBosToken,
    bosText: tokens.bosString ?? "",
    eosText: tokens.eosString ?? "",
    chatTemplate: metadata.tokenizer?.chat_template ?? null,
    description: [metadata.general?.name, metadata.general?.architecture].filter(Boolean).join(", "),
  };
}

/**
 * node-llama-cpp keeps the whole GGUF metadata as JS objects for the model's
 * life. The BPE merges in it (151k strings, ~6 MB of heap on a Qwen2
 * vocabulary) are read by llama.cpp natively and by nothing in JS, node-llama-cpp
 * 3.22.1 included (pinned in addon-types.ts), so they go.
 */
function dropBpeMerges(model: LlamaModel): void {
  const tokenizer = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { merges?: unknown } } }).tokenizer?.ggml;
  if (tokenizer) delete tokenizer.merges;
}

function readGrammarVocabulary(model: LlamaModel, endOfGenerationTokens: ReadonlySet<number>): GrammarVocabulary {
  const tokenizer = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { model?: unknown; tokens?: unknown[]; token_type?: unknown[] } } }).tokenizer?.ggml;
  const tokenTypes = tokenizer?.token_type ?? [];
  return {
    tokenBytes: vocabularyBytes(tokenizer?.model, tokenizer?.tokens ?? [], tokenTypes),
    bannedTokens: controlTokensBannedUnderGrammar(tokenTypes, endOfGenerationTokens),
  };
}
