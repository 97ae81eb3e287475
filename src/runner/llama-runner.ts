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
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from "node-llama-cpp";
import type { BatchItem, ModelInfo, ModelRunner, SamplerConfig, SequenceSampler } from "../engine/model-runner.js";
import { LlamaTokenizer } from "./llama-tokenizer.js";
import type { AddonContext, AddonGrammarEvaluationState, AddonSampler, AddonSamplerConfig, BindingModule, Internals } from "./addon-types.js";
import { GrammarStates, type GrammarHolder } from "./grammar-states.js";
import { vocabularyBytes } from "./utf8-token-guard.js";

export interface LlamaRunnerOptions {
  modelPath: string;
  /** Slots (concurrent sequences). */
  numSlots: number;
  /** KV cells per slot, given the context length the model was trained with. */
  resolveSlotCapacity: (trainContextLength: number) => number;
  /** Largest number of tokens one forward pass takes. */
  maxBatchTokens: number;
  threads: number;
}

const logLevels: Record<string, LlamaLogLevel> = { error: LlamaLogLevel.error, warn: LlamaLogLevel.warn, info: LlamaLogLevel.info };

class LlamaSequenceSampler implements SequenceSampler, GrammarHolder {
  grammarText: string | null = null;
  grammarState: AddonGrammarEvaluationState | null = null;
  utf8State = 0;
  utf8NumTokens = 0;
  constructor(readonly native: AddonSampler) {}
  dispose(): void {
    this.native.dispose();
  }
}

export class LlamaRunner implements ModelRunner {
  private readonly tokenizer: LlamaTokenizer;
  private readonly grammars: GrammarStates;

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: AddonContext,
    readonly info: ModelInfo,
    readonly numSlots: number,
    readonly slotCapacity: number,
  ) {
    this.tokenizer = new LlamaTokenizer(model);
    this.grammars = new GrammarStates(asInternals(llama, model), () => readTokenBytes(model));
  }

  static async load(options: LlamaRunnerOptions): Promise<LlamaRunner> {
    if (process.env.UV_THREADPOOL_SIZE !== "1") {
      console.warn("pagoda: UV_THREADPOOL_SIZE is not 1, so llama.cpp's OpenMP teams compete for cores; start pagoda through bin/pagoda.cjs");
    }
    // Explicit threads: node-llama-cpp's default (max(4, cores)) makes ggml's
    // spin barriers collapse on small machines.
    const llama = await getLlama({
      gpu: false,
      build: "never",
      maxThreads: options.threads,
      logLevel: logLevels[process.env.PAGODA_LLAMA_LOG ?? "error"] ?? LlamaLogLevel.error,
    });
    const model = await llama.loadModel({ modelPath: options.modelPath });
    const internals = asInternals(llama, model);
    const slotCapacity = options.resolveSlotCapacity(model.trainContextSize);
    const context = new internals.bindings.AddonContext(internals.addonModel, {
      contextSize: options.numSlots * slotCapacity,
      batchSize: options.maxBatchTokens,
      sequences: options.numSlots,
      threads: options.threads,
      // As llama-server: llama.cpp enables flash attention where the backend supports it.
      flashAttention: "auto",
    });
    if (!(await context.init())) throw new Error(`llama.cpp could not create a context for ${options.modelPath}`);
    return new LlamaRunner(llama, model, context, readModelInfo(model), options.numSlots, slotCapacity);
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
    const internals = asInternals(this.llama, this.model);
    return new LlamaSequenceSampler(new internals.bindings.AddonSampler(internals.addonModel));
  }

  checkGrammar(grammar: string): void {
    this.grammars.check(grammar);
  }

  async execute(items: readonly BatchItem[]): Promise<Array<number | undefined>> {
    const ordered = items.map((item, index) => ({ item, index })).sort((a, b) => a.item.slotId - b.item.slotId);
    const numTokens = items.reduce((sum, item) => sum + item.tokens.length, 0);
    this.context.initBatch(numTokens);
    const logitIndexes = new Map<number, number>();
    for (const { item, index } of ordered) {
      const wanted = item.sample ? Uint32Array.of(item.tokens.length - 1) : new Uint32Array(0);
      const batchIndexes = this.context.addToBatch(item.slotId, item.startPosition, Uint32Array.from(item.tokens), wanted);
      if (item.sample) logitIndexes.set(index, batchIndexes[0]);
    }
    await this.context.decodeBatch();
    return Promise.all(
      items.map(async (item, index) => {
        if (!item.sample) return undefined;
        const sampler = (item.sample.sampler as LlamaSequenceSampler).native;
        const grammarConfig = this.grammars.nativeConfigFor(item.sample.sampler as LlamaSequenceSampler, item.sample.config, item.sample.penaltyTokens);
        sampler.applyConfig({ ...toNativeConfig(item.sample.config, item.sample.penaltyTokens), ...grammarConfig });
        const token = await this.context.sampleToken(logitIndexes.get(index)!, sampler);
        if (token === -1) throw new Error("llama.cpp sampled no token");
        return token;
      }),
    );
  }

  truncateSlot(slotId: number, fromPosition: number): void {
    this.context.removeTokenCellsFromSequence(slotId, fromPosition, -1);
  }

  async copySlotPrefix(fromSlotId: number, toSlotId: number, numTokens: number): Promise<void> {
    await this.context.copySequenceStateFromOtherSequence(toSlotId, fromSlotId);
    this.context.removeTokenCellsFromSequence(toSlotId, numTokens, -1);
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

function asInternals(llama: Llama, model: LlamaModel): Internals {
  const bindings = (llama as unknown as { _bindings?: BindingModule })._bindings;
  const addonModel = (model as unknown as { _model?: unknown })._model;
  if (!bindings?.AddonContext || !bindings.AddonSampler || !addonModel) {
    throw new Error("node-llama-cpp's internals changed: pagoda needs the exact version pinned in package.json");
  }
  return { bindings, addonModel };
}

function toNativeConfig(config: SamplerConfig, penaltyTokens: readonly number[]): AddonSamplerConfig {
  const hasPenalties = config.presencePenalty !== 0 || config.frequencyPenalty !== 0 || config.repetitionPenalty !== 1;
  // Filters that are off are left out entirely: llama.cpp turns top_k 0 into a
  // sort of the whole vocabulary on every token.
  return {
    temperature: config.temperature,
    ...(config.topK > 0 ? { topK: config.topK } : {}),
    ...(config.topP < 1 ? { topP: config.topP } : {}),
    ...(config.minP > 0 ? { minP: config.minP } : {}),
    seed: config.seed,
    // The same LogitBias object step after step: AddonSampler compares the
    // arrays' contents and keeps its chain when they are unchanged.
    ...(config.logitBias !== null ? { tokenBiasKeys: config.logitBias.tokenIds, tokenBiasValues: config.logitBias.biases } : {}),
    ...(hasPenalties
      ? {
          repeatPenalty: config.repetitionPenalty,
          repeatPenaltyPresencePenalty: config.presencePenalty,
          repeatPenaltyFrequencyPenalty: config.frequencyPenalty,
          repeatPenaltyTokens: Uint32Array.from(penaltyTokens),
          repeatPenaltyMaxTokens: Math.max(1, penaltyTokens.length),
        }
      : {}),
  };
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

function readTokenBytes(model: LlamaModel): Array<Uint8Array | null> | null {
  const tokenizer = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { model?: unknown; tokens?: unknown[]; token_type?: unknown[] } } }).tokenizer?.ggml;
  return vocabularyBytes(tokenizer?.model, tokenizer?.tokens ?? [], tokenizer?.token_type ?? []);
}
