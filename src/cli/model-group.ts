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
import { Engine } from "../engine/engine.js";
import type { RegistryEntry } from "../engine/model-registry.js";
import type { EngineStats } from "../engine/types.js";
import { RecentRequests, type ModelSnapshot } from "../metrics/engine-snapshot.js";
import { VllmMetrics } from "../metrics/prometheus.js";
import { readGgufInfoSync } from "../models/gguf-reader.js";
import { ChatTemplate } from "../protocol/chat-template.js";
import type { LoadedModels, ModelCard, ServedModel } from "../protocol/model-router.js";
import { PromptBuilder } from "../protocol/prompts.js";
import { OpenAIServing } from "../protocol/serving.js";
import { TokenizationServing } from "../protocol/tokenization.js";
import { LlamaRunner } from "../runner/llama-runner.js";
import type { RequestLog } from "../http/request-log.js";
import { EmbeddingsServing } from "../protocol/embeddings.js";
import { poolingOverrides, setUpEmbeddings, type EmbeddingSetup } from "./embedding-setup.js";
import type { ServerToolOptions } from "../protocol/tool-choice.js";
import { resolveToolOptions } from "./tool-options.js";
import { UsageError, type ServeConfig } from "./serve-config.js";
import type { ServedModelSpec } from "./served-models.js";

/** Without --max-model-len, a long-context model still gets a modest KV cache per slot. */
export const defaultMaxModelLen = 4096;

type EngineConfig = Pick<ServeConfig, "maxWaitingRequests" | "enablePrefixCaching" | "schedulingPolicy" | "maxLogprobs" | "pooling" | "toolCallParser" | "reasoningParser"> & {
  /** --enable-log-requests: told which request each generation belongs to, and when it finishes. */
  requestLog?: RequestLog;
};

/** The base model or one adapter: its names and metrics, and its engine while loaded. */
class ServedUnit {
  readonly metrics: VllmMetrics;
  /** For the dashboard: outlives loads, as the metrics do. */
  readonly recent = new RecentRequests();
  engine: Engine | null = null;
  /** Token totals of engines already unloaded, so counters never go back. */
  private carried = { promptTokensTotal: 0, generationTokensTotal: 0, prefixCacheQueriedTokens: 0, prefixCacheHitTokens: 0 };

  constructor(
    readonly names: readonly string[],
    readonly loraPath: string | null,
    maxModelLen: number,
  ) {
    this.metrics = new VllmMetrics({ modelName: names[0], maxModelLen });
  }

  stats(): EngineStats {
    const live = this.engine?.stats();
    const carried = this.carried;
    return {
      numRunning: live?.numRunning ?? 0,
      numWaiting: live?.numWaiting ?? 0,
      numSlotsInUse: live?.numSlotsInUse ?? 0,
      numSlots: live?.numSlots ?? 0,
      promptTokensTotal: carried.promptTokensTotal + (live?.promptTokensTotal ?? 0),
      generationTokensTotal: carried.generationTokensTotal + (live?.generationTokensTotal ?? 0),
      prefixCacheQueriedTokens: carried.prefixCacheQueriedTokens + (live?.prefixCacheQueriedTokens ?? 0),
      prefixCacheHitTokens: carried.prefixCacheHitTokens + (live?.prefixCacheHitTokens ?? 0),
    };
  }

  detach(): void {
    const { numRunning, numWaiting, numSlotsInUse, numSlots, ...totals } = this.stats();
    this.carried = totals;
    this.engine = null;
  }
}

const embeddingsOff = { batcher: null, isEmbeddingOnly: false, endToken: null, dimensions: 0, maxInputTokens: 0 };

export class LoadedModelGroup implements LoadedModels {
  constructor(
    private readonly servings: ReadonlyMap<string, ServedModel>,
    readonly runners: readonly LlamaRunner[],
    readonly engines: readonly Engine[],
    /** For the banner: what the GGUF says it is, and where the chat template came from. */
    readonly description: string,
    readonly hasChatTemplate: boolean,
    /** The base model's /v1/embeddings setup (its own llama.cpp context when on). */
    readonly embeddings: EmbeddingSetup,
    /** The tool-call and reasoning parsers its chat answers go through. */
    readonly toolOptions: ServerToolOptions,
  ) {}

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

  private constructor(
    readonly spec: ServedModelSpec,
    readonly path: string,
    readonly maxModelLen: number,
    readonly sizeBytes: number,
    private readonly engineConfig: EngineConfig,
    private readonly log: (line: string) => void,
  ) {
    this.units = [
      new ServedUnit(spec.names, null, maxModelLen),
      ...spec.loraModules.map((lora) => new ServedUnit([lora.name], lora.path, maxModelLen)),
    ];
  }

  /** Reads what /v1/models and the budget need (context length, file sizes) without loading the weights. */
  static async create(spec: ServedModelSpec, path: string, engineConfig: EngineConfig, log: (line: string) => void): Promise<ModelGroup> {
    const sizeOf = async (file: string) => {
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw new UsageError(`no model file at ${file}`);
      return info.size;
    };
    const sizes = await Promise.all([path, ...spec.loraModules.map((lora) => lora.path)].map(sizeOf));
    const maxModelLen = spec.maxModelLen ?? Math.min(trainContextLengthOf(path), defaultMaxModelLen);
    return new ModelGroup(spec, path, maxModelLen, sizes.reduce((a, b) => a + b, 0), engineConfig, log);
  }

  get names(): string[] {
    return this.units.flatMap((unit) => unit.names);
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

  renderMetrics(): string[] {
    return this.units.map((unit) => unit.metrics.render(unit.stats()));
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

  private async load(): Promise<LoadedModelGroup> {
    const name = this.spec.names[0];
    const startedMs = performance.now();
    this.log(`pagoda: loading model ${name} from ${this.path}`);
    let loggedQuarter = 0;
    const base = await LlamaRunner.load({
      modelPath: this.path,
      numSlots: this.spec.maxNumSeqs,
      resolveSlotCapacity: () => this.maxModelLen,
      maxBatchTokens: this.spec.maxNumBatchedTokens,
      threads: this.spec.threads,
      metadataOverrides: poolingOverrides(this.path, this.engineConfig.pooling),
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
        pooling: this.engineConfig.pooling,
        maxInputTokens: this.maxModelLen,
        maxBatchTokens: this.spec.maxNumBatchedTokens,
        threads: this.spec.threads,
        maxWaitingRequests: this.engineConfig.maxWaitingRequests,
      });
      for (const unit of this.units.slice(1)) {
        this.log(`pagoda: loading LoRA adapter ${unit.names[0]} from ${unit.loraPath} on ${name}`);
        runners.push(await base.withLoraAdapter(unit.loraPath!));
      }
      const templateSource = this.spec.chatTemplate ? await readFile(this.spec.chatTemplate, "utf8") : base.info.chatTemplate;
      const chatTemplate = templateSource
        ? new ChatTemplate(templateSource, { bosToken: base.info.bosText, eosToken: base.info.eosText })
        : null;
      const toolOptions = resolveToolOptions(this.engineConfig, templateSource ?? null);
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
      return new LoadedModelGroup(servings, runners, engines, base.info.description, chatTemplate !== null, embeddings, toolOptions);
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
    const config = this.engineConfig;
    const engine = new Engine(runner, {
      onRequestFinished: (timings) => {
        unit.metrics.observeRequest(timings);
        unit.recent.add(timings);
        config.requestLog?.observeEngineRequest(timings);
      },
      maxNumBatchedTokens: this.spec.maxNumBatchedTokens,
      maxWaitingRequests: config.maxWaitingRequests,
      enablePrefixCaching: config.enablePrefixCaching,
      schedulingPolicy: config.schedulingPolicy === "priority" ? "priority" : "fcfs",
    });
    unit.engine = engine;
    const prompts = new PromptBuilder(runner, chatTemplate, {
      vocabSize: runner.info.vocabSize,
      bosToken: runner.info.bosToken,
      addBosToken: runner.info.addBosToken,
      endToken: embeddings.endToken,
    });
    const renderPrompt = (tokens: readonly number[]) => prompts.tokenizer.detokenize(tokens, { renderSpecialTokens: true });
    const serving = new OpenAIServing(config.requestLog ? config.requestLog.track(engine, renderPrompt) : engine, prompts, {
      isPriorityScheduling: config.schedulingPolicy === "priority",
      servedModelNames: unit.names,
      maxModelLen: this.maxModelLen,
      maxLogprobs: config.maxLogprobs,
      createdAt: Math.floor(Date.now() / 1000),
      isEmbeddingModel: embeddings.isEmbeddingOnly,
      tools: toolOptions,
    });
    const tokenization = new TokenizationServing(prompts, { servedModelNames: unit.names, maxModelLen: this.maxModelLen });
    const embeddingsServing = new EmbeddingsServing(embeddings.batcher, prompts, {
      servedModelNames: unit.names,
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

function trainContextLengthOf(path: string): number {
  const { metadata } = readGgufInfoSync(path);
  const architecture = metadata.get("general.architecture");
  const length = architecture?.type === "string" ? metadata.get(`${architecture.value}.context_length`) : undefined;
  return length && typeof length.value === "number" ? length.value : defaultMaxModelLen;
}
