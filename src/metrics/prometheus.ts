/**
 * The server's Prometheus metrics on prom-client, under vLLM's metric names,
 * labels and histogram buckets (vLLM's `vllm/v1/metrics/loggers.py`), so
 * dashboards, the Gateway API Inference Extension's endpoint picker and vLLM's
 * production-stack router read pagoda unchanged; plus prom-client's default
 * process metrics (RSS, CPU, event-loop lag, GC), which operators expect.
 *
 * One series set per served base model (`model_name` = its first name): as in
 * vLLM, requests to a LoRA adapter count under their base model, and the
 * adapters show in `vllm:lora_requests_info`. Gauges and token totals are read
 * from each model's stats at scrape time; the per-request families are fed by
 * the engines' `onRequestFinished`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EngineStats, FinishReason, RequestTimings } from "../engine/types.js";

/** vLLM's `time_to_first_token_seconds` buckets. */
export const ttftBuckets = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0,
  2560.0,
];

/** vLLM's `inter_token_latency_seconds` (formerly `time_per_output_token_seconds`) buckets. */
export const interTokenLatencyBuckets = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];

/** vLLM's `request_latency_buckets`: e2e, queue, inference, prefill and decode times. */
export const requestLatencyBuckets = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0,
];

/** vLLM's `build_1_2_5_buckets(max)`: 1, 2, 5, 10, 20, 50, ... up to `max`. */
export function build125Buckets(max: number): number[] {
  const buckets: number[] = [];
  for (let scale = 1; ; scale *= 10) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * scale;
      if (value > max) return buckets;
      buckets.push(value);
    }
  }
}

const finishReasons: readonly FinishReason[] = ["stop", "length", "abort"];

/** One LoRA adapter's share of the requests now (for `vllm:lora_requests_info`). */
export interface AdapterLoad {
  name: string;
  numRunning: number;
  numWaiting: number;
}

/** What the metrics read from one served base model at each scrape. */
export interface ModelMetricsSource {
  /** Summed over the model's contexts (base and adapters); token totals never go down. */
  stats(): EngineStats;
  /** Tokens of KV cache one sequence slot holds (the model's --max-model-len). */
  tokensPerSlot: number;
  isPrefixCachingEnabled: boolean;
  /** The adapters loaded on this model now. */
  adapters(): AdapterLoad[];
}

export interface VllmMetricsOptions {
  /** The largest --max-model-len served: bounds the token-count histograms' buckets, as in vLLM. */
  maxModelLen: number;
  /** prom-client's default process and Node.js metrics (off in unit tests). */
  collectProcessMetrics: boolean;
  /** Wall clock in ms, for `vllm:lora_requests_info`'s value (the time of its last change). */
  now?: () => number;
}

/** Feeds one model's per-request families. */
export interface RequestObserver {
  observeRequest(timings: RequestTimings): void;
}

export class VllmMetrics {
  readonly registry = new Registry();
  private readonly sources = new Map<string, ModelMetricsSource>();
  private readonly promptTokensPerRequest: Histogram;
  private readonly generationTokensPerRequest: Histogram;
  private readonly timeToFirstToken: Histogram;
  private readonly interTokenLatency: Histogram;
  private readonly e2eLatency: Histogram;
  private readonly queueTime: Histogram;
  private readonly requestSuccess: Counter;
  private readonly touchers: ((modelName: string) => void)[] = [];

  constructor(options: VllmMetricsOptions) {
    const registers = [this.registry];
    const now = options.now ?? Date.now;
    const sources = this.sources;
    const gauge = (name: string, help: string, read: (stats: EngineStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["model_name"],
        registers,
        collect() {
          for (const [modelName, source] of sources) this.set({ model_name: modelName }, read(source.stats()));
        },
      });
    const kvCacheUsage = (stats: EngineStats) => stats.kvCacheUsage;
    gauge("vllm:num_requests_running", "Number of requests in model execution batches.", (stats) => stats.numRunning);
    gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", (stats) => stats.numWaiting);
    gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kvCacheUsage);
    // The name vLLM's production-stack router still reads (vLLM renamed it in 0.10).
    gauge("vllm:gpu_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage. Alias of vllm:kv_cache_usage_perc.", kvCacheUsage);

    this.totalCounter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", (stats) => stats.promptTokensTotal);
    this.totalCounter("vllm:generation_tokens_total", "Number of generation tokens processed.", (stats) => stats.generationTokensTotal);
    this.totalCounter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.", (stats) => stats.prefixCacheQueriedTokens);
    this.totalCounter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", (stats) => stats.prefixCacheHitTokens);
    this.totalCounter("vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", (stats) => stats.preemptionsTotal);
    this.totalCounter("vllm:gpu_prefix_cache_queries_total", "Alias of vllm:prefix_cache_queries_total (vLLM's name before 0.10).", (stats) => stats.prefixCacheQueriedTokens);
    this.totalCounter("vllm:gpu_prefix_cache_hits_total", "Alias of vllm:prefix_cache_hits_total (vLLM's name before 0.10).", (stats) => stats.prefixCacheHitTokens);

    this.requestSuccess = new Counter({ name: "vllm:request_success_total", help: "Count of successfully processed requests.", labelNames: ["model_name", "finished_reason"], registers });
    this.touchers.push((modelName) => {
      for (const reason of finishReasons) this.requestSuccess.inc({ model_name: modelName, finished_reason: reason }, 0);
    });
    const histogram = (name: string, help: string, buckets: number[]) => {
      const family = new Histogram({ name, help, buckets, labelNames: ["model_name"], registers });
      // A histogram series exists from the start (all zero), as vLLM's do.
      this.touchers.push((modelName) => family.zero({ model_name: modelName }));
      return family;
    };
    const tokenBuckets = build125Buckets(options.maxModelLen);
    this.promptTokensPerRequest = histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokenBuckets);
    this.generationTokensPerRequest = histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", tokenBuckets);
    this.timeToFirstToken = histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttftBuckets);
    this.interTokenLatency = histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", interTokenLatencyBuckets);
    this.e2eLatency = histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestLatencyBuckets);
    this.queueTime = histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", requestLatencyBuckets);

    new Gauge({
      name: "vllm:cache_config_info",
      help: "Information of the KV cache config: one block is one sequence slot's context (block_size tokens), num_gpu_blocks the slots.",
      labelNames: ["model_name", "block_size", "num_gpu_blocks", "enable_prefix_caching"],
      registers,
      collect() {
        this.reset();
        for (const [modelName, source] of sources) {
          const { numSlots } = source.stats();
          this.set({ model_name: modelName, block_size: String(source.tokensPerSlot), num_gpu_blocks: String(numSlots), enable_prefix_caching: String(source.isPrefixCachingEnabled) }, 1);
        }
      },
    });
    let lastLoraLabels = "";
    let lastLoraChangeSeconds = now() / 1000;
    new Gauge({
      name: "vllm:lora_requests_info",
      help: "Running stats on LoRA requests; the value is the time of the last change, in seconds since the epoch.",
      labelNames: ["max_lora", "running_lora_adapters", "waiting_lora_adapters"],
      registers,
      collect() {
        const adapters = [...sources.values()].flatMap((source) => source.adapters());
        const labels = {
          max_lora: String(adapters.length),
          running_lora_adapters: adapters.filter((a) => a.numRunning > 0).map((a) => a.name).join(","),
          waiting_lora_adapters: adapters.filter((a) => a.numWaiting > 0).map((a) => a.name).join(","),
        };
        const key = JSON.stringify(labels);
        if (key !== lastLoraLabels) {
          lastLoraLabels = key;
          lastLoraChangeSeconds = now() / 1000;
        }
        this.reset();
        this.set(labels, lastLoraChangeSeconds);
      },
    });

    if (options.collectProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** A served base model: its series exist (at zero) from now on; returns where its requests are observed. */
  addModel(modelName: string, source: ModelMetricsSource): RequestObserver {
    if (this.sources.has(modelName)) throw new Error(`metrics for model ${modelName} are already registered`);
    this.sources.set(modelName, source);
    for (const touch of this.touchers) touch(modelName);
    const labels = { model_name: modelName };
    return {
      observeRequest: (timings) => {
        this.requestSuccess.inc({ ...labels, finished_reason: timings.finishReason });
        this.promptTokensPerRequest.observe(labels, timings.numPromptTokens);
        this.generationTokensPerRequest.observe(labels, timings.numGenerationTokens);
        if (timings.timeToFirstTokenMs !== null) this.timeToFirstToken.observe(labels, timings.timeToFirstTokenMs / 1000);
        for (const gapMs of timings.interTokenLatenciesMs) this.interTokenLatency.observe(labels, gapMs / 1000);
        this.e2eLatency.observe(labels, timings.endToEndMs / 1000);
        this.queueTime.observe(labels, timings.queueTimeMs / 1000);
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Everything as Prometheus text 0.0.4, laid out as vLLM's prometheus_client
   * writes it: bucket bounds as floats, no blank line between families.
   */
  async render(): Promise<string> {
    return withFloatBounds(await this.registry.metrics()).replace(/\n\n+/g, "\n");
  }

  /**
   * A counter over a total the engine keeps: at each scrape it grows by what the
   * total grew since the last one (prom-client counters only go up by `inc`).
   */
  private totalCounter(name: string, help: string, read: (stats: EngineStats) => number): void {
    const sources = this.sources;
    const seen = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: ["model_name"],
      registers: [this.registry],
      collect() {
        for (const [modelName, source] of sources) {
          const total = read(source.stats());
          this.inc({ model_name: modelName }, Math.max(0, total - (seen.get(modelName) ?? 0)));
          seen.set(modelName, Math.max(total, seen.get(modelName) ?? 0));
        }
      },
    });
  }
}

/**
 * prom-client writes a whole bound as `le="5"`, Python's prometheus_client (so
 * vLLM) as `le="5.0"`; Prometheus before 3.0 keeps those as different label
 * values, so a `sum by (le)` over pagoda and vLLM pods would split buckets.
 */
export function withFloatBounds(text: string): string {
  return text.replace(/(_bucket\{[^\n]*le=")(-?\d+)"/g, '$1$2.0"');
}
