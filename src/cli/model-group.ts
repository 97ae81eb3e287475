/**
 * One served model and its LoRA adapters, as a unit the model registry loads
 * and unloads: the weights once, a context (KV cache, slots) and an engine for
 * the base model and one more of each per adapter. llama.cpp applies adapters
 * per context and one decode runs one context, so base and adapter requests
 * are batched separately (each engine batches its own requests) and take
 * turns on the CPU.
 *
 * Metrics outlive loads: a model's counters continue across unload and reload.
 */
import { readFile, stat } from "node:fs/promises";
import { UsageError } from "../errors.js";
import { Engine } from "../engine/engine.js";
import type { EngineStats } from "../engine/types.js";
import { RecentRequests, type ModelSnapshot } from "../metrics/engine-snapshot.js";
import type { AdapterLoad, ModelMetricsSource, RequestObserver, VllmMetrics } from "../metrics/prometheus.js";
import { readGgufInfoSync } from "../models/gguf-reader.js";
import type { GgufMetadata } from "../models/gguf-types.js";
import { isKvPoolWorthIt, resolveKvPoolCells } from "../engine/kv-pool.js";
import { findUnifiedKvAddon } from "../runner/native-addon.js";
import { ChatTemplate } from "../templates/chat-template.js";
import type { RegistryEntry } from "../serving/model-registry.js";
import type { ModelCard } from "../protocol/model-list.js";
import type { LoadedModels, ServedModel } from "../serving/model-router.js";
import { PromptBuilder } from "../protocol/prompts.js";
import { OpenAIServing } from "../protocol/serving.js";
import { TokenizationServing } from "../protocol/tokenization.js";
import { LlamaRunner } from "../runner/llama-runner.js";
import { EmbeddingsServing } from "../protocol/embeddings.js";
import { poolingOverrides, setUpEmbeddings, type EmbeddingSetup } from "./embedding-setup.js";
import type { ServerToolOptions } from "../protocol/tool-choice.js";
import { resolveToolOptions } from "./tool-options.js";
import { type ServeConfig } from "./serve-config.js";
import { defaultMaxModelLenWithoutPool, resolveMaxModelLen } from "./context-length.js";
import type { ServedModelSpec } from "./served-models.js";

/** What every engine of a group is loaded with, from the serve flags (not the engine's own EngineConfig). */
type ModelGroupOptions = Pick<ServeConfig, "allowLongMaxModelLen" | "kvPool" | "kvCacheMemory" | "kvCacheTokens" | "maxWaitingRequests" | "maxStepMs" | "enablePrefixCaching" | "schedulingPolicy" | "maxLogprobs" | "pooling" | "toolCallParser" | "reasoningParser">;

/** The base model or one adapter: its names, and its engine (and runner) while loaded. */
class ServedUnit {
  /** For the dashboard: outlives loads, as the metrics do. */
  readonly recent = new RecentRequests();
  engine: Engine | null = null;
  runner: LlamaRunner | null = null;
  /** Token totals of engines already unloaded, so counters never go back. */
  private carried = { preemptionsTotal: 0, promptTokensTotal: 0, generationTokensTotal: 0, prefixCacheQueriedTokens: 0, prefixCacheHitTokens: 0 };

  constructor(
    readonly names: readonly string[],
    readonly loraPath: string | null,
  ) {}

  stats(): EngineStats {
    const live = this.engine?.stats();
    const carried = this.carried;
    return {
      numRunning: live?.numRunning ?? 0,
      numWaiting: live?.numWaiting ?? 0,
      numSlotsInUse: live?.numSlotsInUse ?? 0,
      numSlots: live?.numSlots ?? 0,
      kvCacheUsage: live?.kvCacheUsage ?? 0,
      preemptionsTotal: carried.preemptionsTotal + (live?.preemptionsTotal ?? 0),
      promptTokensTotal: carried.promptTokensTotal + (live?.promptTokensTotal ?? 0),
      generationTokensTotal: carried.generationTokensTotal + (live?.generationTokensTotal ?? 0),
      prefixCacheQueriedTokens: carried.prefixCacheQueriedTokens + (live?.prefixCacheQueriedTokens ?? 0),
      prefixCacheHitTokens: carried.prefixCacheHitTokens + (live?.prefixCacheHitTokens ?? 0),
    };
  }

  detach(): void {
    const { numRunning, numWaiting, numSlotsInUse, numSlots, kvCacheUsage, ...totals } = this.stats();
    this.carried = totals;
    this.engine = null;
    this.runner = null;
  }
}

const embeddingsOff = { batcher: null, isEmbeddingOnly: false, endToken: null, dimensions: 0, maxInputTokens: 0 };

export class LoadedModelGroup implements LoadedModels {
  private readonly servings: Map<string, ServedModel>;
  readonly runners: LlamaRunner[];
  readonly engines: Engine[];

  constructor(
    servings: ReadonlyMap<string, ServedModel>,
    runners: readonly LlamaRunner[],
    engines: readonly Engine[],
    /** For the banner: what the GGUF says it is, and where the chat template came from. */
    readonly description: string,
    /** Null when the model has none (chat requests get a 400). */
    readonly chatTemplate: ChatTemplate | null,
    /** The base model's /v1/embeddings setup (its own llama.cpp context when on). */
    readonly embeddings: EmbeddingSetup,
    /** The tool-call and reasoning parsers its chat answers go through. */
    readonly toolOptions: ServerToolOptions,
  ) {
    this.servings = new Map(servings);
    this.runners = [...runners];
    this.engines = [...engines];
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== null;
  }

  /** A LoRA adapter loaded at run time joins the loaded model. */
  addUnit(name: string, served: ServedModel, runner: LlamaRunner, engine: Engine): void {
    this.servings.set(name, served);
    this.runners.push(runner);
    this.engines.push(engine);
  }

  /** Takes a runtime adapter out; the caller stops its engine and closes its runner. */
  removeUnit(name: string, runner: LlamaRunner, engine: Engine): void {
    this.servings.delete(name);
    this.runners.splice(this.runners.indexOf(runner), 1);
    this.engines.splice(this.engines.indexOf(engine), 1);
  }

  servedModel(name: string): ServedModel {
    const served = this.servings.get(name);
    if (!served) throw new Error(`model group has no name '${name}'`);
    return served;
  }

  async stopEngines(): Promise<void> {
    await Promise.all(this.engines.map((engine) => engine.stop()));
  }

  /** Closes the runners, adapters first (they live on the base model's weights), and the embedding context. */
  async close(): Promise<void> {
    await this.embeddings.close();
    for (const runner of [...this.runners].reverse()) await runner.close();
  }
}

export class ModelGroup {
  private readonly units: ServedUnit[];
  /** Runtime adapters unloaded: their token totals still count in the model's counters. */
  private readonly retiredUnits: ServedUnit[] = [];
  private requestObserver: RequestObserver | null = null;

  private constructor(
    readonly spec: ServedModelSpec,
    readonly path: string,
    readonly maxModelLen: number,
    /** Cells of the KV pool the sequences share; null: none (node-llama-cpp's prebuilt addon), a fixed share per slot. */
    readonly kvPoolCells: number | null,
    readonly sizeBytes: number,
    private readonly options: ModelGroupOptions,
    private readonly log: (line: string) => void,
  ) {
    this.units = [
      new ServedUnit(spec.names, null),
      ...spec.loraModules.map((lora) => new ServedUnit([lora.name], lora.path)),
    ];
  }

  /** Reads what /v1/models and the budget need (context length, file sizes) without loading the weights. */
  static async create(spec: ServedModelSpec, path: string, options: ModelGroupOptions, log: (line: string) => void): Promise<ModelGroup> {
    const sizeOf = async (file: string) => {
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw new UsageError(`no model file at ${file}`);
      return info.size;
    };
    const sizes = await Promise.all([path, ...spec.loraModules.map((lora) => lora.path)].map(sizeOf));
    const { metadata } = readGgufInfoSync(path, { skipArrays: true });
    const isKvPoolAvailable = options.kvPool && "path" in findUnifiedKvAddon();
    const maxModelLen = resolveMaxModelLen({
      requested: spec.maxModelLen,
      trainContextLength: trainContextLengthOf(metadata),
      allowLong: options.allowLongMaxModelLen,
      isKvPoolAvailable,
      modelName: spec.names[0] ?? path,
    });
    const poolCells = isKvPoolAvailable ? kvPoolCellsFor(metadata, maxModelLen, spec.maxNumSeqs, options) : null;
    const kvPoolCells = poolCells !== null && isKvPoolWorthIt(poolCells, maxModelLen, spec.maxNumSeqs) ? poolCells : null;
    return new ModelGroup(spec, path, maxModelLen, kvPoolCells, sizes.reduce((a, b) => a + b, 0), options, log);
  }

  get names(): string[] {
    return this.units.flatMap((unit) => unit.names);
  }

  /** --pooling; the built-in model embeds with mean pooling by default, so every README example works on a bare `npm start`. */
  private get pooling(): string | null {
    return this.options.pooling ?? (this.spec.source === null ? "mean" : null);
  }

  cards(): ModelCard[] {
    const [base] = this.units;
    return this.units.flatMap((unit) =>
      unit.names.map((id) => ({
        id,
        root: unit.loraPath ?? base.names[0],
        parent: unit.loraPath ? base.names[0] : null,
        maxModelLen: this.maxModelLen,
      })),
    );
  }

  /** Registers this model's series (adapters count under the base model, as in vLLM). */
  attachMetrics(metrics: VllmMetrics): void {
    this.requestObserver = metrics.addModel(this.spec.names[0], this.metricsSource());
  }

  private metricsSource(): ModelMetricsSource {
    return {
      stats: () => sumStats([...this.units, ...this.retiredUnits].map((unit) => unit.stats())),
      tokensPerSlot: this.maxModelLen,
      isPrefixCachingEnabled: this.options.enablePrefixCaching,
      adapters: () =>
        this.units
          .filter((unit) => unit.loraPath !== null && unit.engine !== null)
          .map((unit): AdapterLoad => ({ name: unit.names[0], ...unit.stats() })),
    };
  }

  /** The dashboard's view of each unit: stats, recent requests, latency over `windowMs`. */
  snapshot(isLoaded: boolean, windowMs: number, maxRecent: number): ModelSnapshot[] {
    const [base] = this.units;
    return this.units.map((unit) => ({
      name: unit.names[0],
      aliases: unit.names.slice(1),
      parent: unit.loraPath ? base.names[0] : null,
      isLoaded,
      maxModelLen: this.maxModelLen,
      maxNumSeqs: this.spec.maxNumSeqs,
      threads: this.spec.threads,
      fileBytes: this.sizeBytes,
      stats: unit.stats(),
      latency: unit.recent.summary(windowMs),
      recentRequests: unit.recent.latest(maxRecent),
    }));
  }

  registryEntry(): RegistryEntry<LoadedModelGroup> {
    return { names: this.names, sizeBytes: this.sizeBytes, load: () => this.load(), unload: (loaded) => this.unload(loaded) };
  }

  /** The adapter names given at start (--lora-modules or the config file), which stay for the server's life. */
  get startupAdapterNames(): string[] {
    return this.spec.loraModules.map((lora) => lora.name);
  }

  /**
   * A LoRA adapter loaded at run time on this model, which must be loaded (the
   * caller holds a lease): served from now on, and reloaded with the model.
   */
  async addAdapter(name: string, path: string, loaded: LoadedModelGroup): Promise<ModelCard> {
    this.log(`pagoda: loading LoRA adapter ${name} from ${path} on ${this.spec.names[0]}`);
    const runner = await loaded.runners[0].withLoraAdapter(path);
    const unit = new ServedUnit([name], path);
    const { engine, served } = this.serveUnit(unit, runner, loaded.chatTemplate, embeddingsOff, loaded.toolOptions);
    loaded.addUnit(name, served, runner, engine);
    this.units.push(unit);
    return this.cards().find((card) => card.id === name)!;
  }

  /** Unloads a runtime adapter: its requests in flight are aborted (finish_reason "abort"). */
  async removeAdapter(name: string, loaded: LoadedModelGroup | null): Promise<void> {
    const index = this.units.findIndex((unit) => unit.loraPath !== null && unit.names[0] === name);
    if (index < 0) throw new Error(`no adapter named '${name}' on ${this.spec.names[0]}`);
    const [unit] = this.units.splice(index, 1);
    const { engine, runner } = unit;
    if (loaded && engine && runner) {
      loaded.removeUnit(name, runner, engine);
      await engine.stop();
      unit.detach();
      await runner.close();
    }
    this.retiredUnits.push(unit);
    this.log(`pagoda: unloaded LoRA adapter ${name}`);
  }

  private async load(): Promise<LoadedModelGroup> {
    const name = this.spec.names[0];
    const startedMs = performance.now();
    this.log(`pagoda: loading model ${name} from ${this.path}`);
    let loggedQuarter = 0;
    const base = await LlamaRunner.load({
      modelPath: this.path,
      numSlots: this.spec.maxNumSeqs,
      resolveSlotCapacity: () => this.maxModelLen,
      kvPoolCells: this.kvPoolCells,
      maxBatchTokens: this.spec.maxNumBatchedTokens,
      threads: this.spec.threads,
      metadataOverrides: poolingOverrides(this.path, this.pooling),
      onLoadProgress: (fraction) => {
        const quarter = Math.floor(fraction * 4);
        if (quarter <= loggedQuarter) return;
        loggedQuarter = quarter;
        this.log(`pagoda: loading model ${name}: ${quarter * 25}%`);
      },
    });
    const runners = [base];
    let embeddings: EmbeddingSetup | null = null;
    try {
      embeddings = await setUpEmbeddings(base, {
        pooling: this.pooling,
        maxInputTokens: this.maxModelLen,
        maxBatchTokens: this.spec.maxNumBatchedTokens,
        threads: this.spec.threads,
        maxWaitingRequests: this.options.maxWaitingRequests,
      });
      for (const unit of this.units.slice(1)) {
        this.log(`pagoda: loading LoRA adapter ${unit.names[0]} from ${unit.loraPath} on ${name}`);
        runners.push(await base.withLoraAdapter(unit.loraPath!));
      }
      const templateSource = this.spec.chatTemplate ? await readFile(this.spec.chatTemplate, "utf8") : base.info.chatTemplate;
      const chatTemplate = templateSource
        ? new ChatTemplate(templateSource, { bosToken: base.info.bosText, eosToken: base.info.eosText })
        : null;
      const toolOptions = resolveToolOptions(this.options, templateSource ?? null);
      const servings = new Map<string, ServedModel>();
      const engines = this.units.map((unit, i) => {
        // Adapters serve generation only; the base model serves embeddings too when they are on.
        const unitEmbeddings = i === 0 ? embeddings! : embeddingsOff;
        const { engine, served } = this.serveUnit(unit, runners[i], chatTemplate, unitEmbeddings, toolOptions);
        for (const unitName of unit.names) servings.set(unitName, served);
        return engine;
      });
      this.log(`pagoda: loaded model ${name} in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
      if (embeddings.batcher !== null) this.log(`pagoda: embeddings from ${name}: ${embeddings.summary}`);
      return new LoadedModelGroup(servings, runners, engines, base.info.description, chatTemplate, embeddings, toolOptions);
    } catch (error) {
      await embeddings?.close();
      for (const runner of runners.reverse()) await runner.close();
      throw error;
    }
  }

  private serveUnit(
    unit: ServedUnit,
    runner: LlamaRunner,
    chatTemplate: ChatTemplate | null,
    embeddings: Pick<EmbeddingSetup, "batcher" | "isEmbeddingOnly" | "endToken" | "dimensions" | "maxInputTokens">,
    toolOptions: ServerToolOptions,
  ): { engine: Engine; served: ServedModel } {
    const config = this.options;
    const engine = new Engine(runner, {
      onRequestFinished: (timings) => {
        this.requestObserver?.observeRequest(timings);
        unit.recent.add(timings);
      },
      maxNumBatchedTokens: this.spec.maxNumBatchedTokens,
      maxStepMs: config.maxStepMs,
      maxWaitingRequests: config.maxWaitingRequests,
      enablePrefixCaching: config.enablePrefixCaching,
      schedulingPolicy: config.schedulingPolicy === "priority" ? "priority" : "fcfs",
    });
    unit.engine = engine;
    unit.runner = runner;
    const prompts = new PromptBuilder(runner, chatTemplate, {
      vocabSize: runner.info.vocabSize,
      bosToken: runner.info.bosToken,
      addBosToken: runner.info.addBosToken,
      endToken: embeddings.endToken,
    });
    const serving = new OpenAIServing(engine, prompts, {
      isPriorityScheduling: config.schedulingPolicy === "priority",
      maxModelLen: this.maxModelLen,
      maxLogprobs: config.maxLogprobs,
      isEmbeddingModel: embeddings.isEmbeddingOnly,
      tools: toolOptions,
    });
    const tokenization = new TokenizationServing(prompts, { maxModelLen: this.maxModelLen });
    const embeddingsServing = new EmbeddingsServing(embeddings.batcher, prompts, {
      dimensions: embeddings.dimensions,
      maxInputTokens: embeddings.maxInputTokens,
      endToken: embeddings.endToken,
    });
    return { engine, served: { serving, tokenization, embeddings: embeddingsServing } };
  }

  private async unload(loaded: LoadedModelGroup): Promise<void> {
    await loaded.stopEngines();
    for (const unit of this.units) unit.detach();
    await loaded.close();
  }
}

function trainContextLengthOf(metadata: GgufMetadata): number {
  return architectureNumber(metadata, "context_length") ?? defaultMaxModelLenWithoutPool;
}

function architectureNumber(metadata: GgufMetadata, key: string): number | null {
  const architecture = metadata.get("general.architecture");
  const entry = architecture?.type === "string" ? metadata.get(`${architecture.value}.${key}`) : undefined;
  return entry && typeof entry.value === "number" ? entry.value : null;
}

/** KV bytes of one token at llama.cpp's default F16 cache: K and V of every layer's KV heads. */
function kvBytesPerToken(metadata: GgufMetadata): number {
  const layers = architectureNumber(metadata, "block_count") ?? 1;
  const heads = architectureNumber(metadata, "attention.head_count") ?? 1;
  const kvHeads = architectureNumber(metadata, "attention.head_count_kv") ?? heads;
  const headDim = (architectureNumber(metadata, "embedding_length") ?? 4096) / heads;
  const keyLength = architectureNumber(metadata, "attention.key_length") ?? headDim;
  const valueLength = architectureNumber(metadata, "attention.value_length") ?? headDim;
  return layers * kvHeads * (keyLength + valueLength) * 2;
}

/** The pool's size; one that cannot hold a single --max-model-len sequence is refused, as vLLM does. */
function kvPoolCellsFor(metadata: GgufMetadata, maxModelLen: number, maxNumSeqs: number, config: ModelGroupOptions): number {
  const bytesPerCell = kvBytesPerToken(metadata);
  const cells = resolveKvPoolCells({ kvCacheTokens: config.kvCacheTokens, kvCacheMemoryBytes: config.kvCacheMemory, bytesPerCell, maxModelLen, maxNumSeqs });
  if (cells < maxModelLen) {
    throw new UsageError(
      `the KV cache pool holds ${cells} tokens (${bytesPerCell} bytes each), fewer than one --max-model-len ${maxModelLen} sequence; ` +
        `raise --kv-cache-memory / --kv-cache-tokens or lower --max-model-len`,
    );
  }
  return cells;
}

function sumStats(all: readonly EngineStats[]): EngineStats {
  const sum = (read: (stats: EngineStats) => number) => all.reduce((total, stats) => total + read(stats), 0);
  return {
    numRunning: sum((s) => s.numRunning),
    numWaiting: sum((s) => s.numWaiting),
    numSlotsInUse: sum((s) => s.numSlotsInUse),
    numSlots: sum((s) => s.numSlots),
    // Each unit (base, adapter) has its own context: usage weighted by its slots.
    kvCacheUsage: sum((s) => s.kvCacheUsage * s.numSlots) / Math.max(1, sum((s) => s.numSlots)),
    preemptionsTotal: sum((s) => s.preemptionsTotal),
    promptTokensTotal: sum((s) => s.promptTokensTotal),
    generationTokensTotal: sum((s) => s.generationTokensTotal),
    prefixCacheQueriedTokens: sum((s) => s.prefixCacheQueriedTokens),
    prefixCacheHitTokens: sum((s) => s.prefixCacheHitTokens),
  };
}
