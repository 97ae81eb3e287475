/**
 * Engine stats and per-request timings as Prometheus text, under vLLM's metric
 * names, label (`model_name`) and histogram buckets (vLLM's
 * `vllm/v1/metrics/loggers.py`), so dashboards and gateways built for vLLM read
 * pagoda unchanged.
 *
 * Gauges and token totals are read from `engine.stats()` at scrape time; the
 * per-request families are fed by the engine's `onRequestFinished`.
 */
import type { EngineStats, FinishReason, RequestTimings } from "../engine/types.js";
import { Registry, type Counter, type Gauge, type Histogram, type Labels } from "./registry.js";

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

export interface VllmMetricsOptions {
  /** The `model_name` label: the first served model name. */
  modelName: string;
  /** Bounds the token-count histograms' buckets, as in vLLM. */
  maxModelLen: number;
}

export class VllmMetrics {
  private readonly registry = new Registry();
  private readonly labels: Labels;
  private readonly running: Gauge;
  private readonly waiting: Gauge;
  private readonly kvCacheUsage: Gauge;
  private readonly preemptions: Counter;
  private readonly promptTokens: Counter;
  private readonly generationTokens: Counter;
  private readonly prefixCacheQueries: Counter;
  private readonly prefixCacheHits: Counter;
  private readonly requestSuccess: Counter;
  private readonly promptTokensPerRequest: Histogram;
  private readonly generationTokensPerRequest: Histogram;
  private readonly timeToFirstToken: Histogram;
  private readonly interTokenLatency: Histogram;
  private readonly e2eLatency: Histogram;
  private readonly queueTime: Histogram;

  constructor(options: VllmMetricsOptions) {
    const r = this.registry;
    this.labels = { model_name: options.modelName };
    this.running = r.gauge("vllm:num_requests_running", "Number of requests in model execution batches.");
    this.waiting = r.gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.");
    this.kvCacheUsage = r.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
    this.promptTokens = r.counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.");
    this.generationTokens = r.counter("vllm:generation_tokens_total", "Number of generation tokens processed.");
    this.prefixCacheQueries = r.counter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.");
    this.prefixCacheHits = r.counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.");
    this.preemptions = r.counter("vllm:num_preemptions_total", "Cumulative number of preemption from the engine.");
    this.requestSuccess = r.counter("vllm:request_success_total", "Count of successfully processed requests.");
    const tokenBuckets = build125Buckets(options.maxModelLen);
    this.promptTokensPerRequest = r.histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokenBuckets);
    this.generationTokensPerRequest = r.histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", tokenBuckets);
    this.timeToFirstToken = r.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttftBuckets);
    this.interTokenLatency = r.histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", interTokenLatencyBuckets);
    this.e2eLatency = r.histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestLatencyBuckets);
    this.queueTime = r.histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", requestLatencyBuckets);

    // Every series exists from the start (at zero), as vLLM's do.
    for (const family of [this.running, this.waiting, this.kvCacheUsage, this.preemptions, this.promptTokens, this.generationTokens, this.prefixCacheQueries, this.prefixCacheHits]) {
      family.touch(this.labels);
    }
    for (const reason of finishReasons) this.requestSuccess.touch({ ...this.labels, finished_reason: reason });
    for (const histogram of [this.promptTokensPerRequest, this.generationTokensPerRequest, this.timeToFirstToken, this.interTokenLatency, this.e2eLatency, this.queueTime]) {
      histogram.touch(this.labels);
    }
  }

  /** One finished request (the engine's `onRequestFinished`). */
  observeRequest(timings: RequestTimings): void {
    const labels = this.labels;
    this.requestSuccess.inc({ ...labels, finished_reason: timings.finishReason });
    this.promptTokensPerRequest.observe(labels, timings.numPromptTokens);
    this.generationTokensPerRequest.observe(labels, timings.numGenerationTokens);
    if (timings.timeToFirstTokenMs !== null) this.timeToFirstToken.observe(labels, timings.timeToFirstTokenMs / 1000);
    for (const gapMs of timings.interTokenLatenciesMs) this.interTokenLatency.observe(labels, gapMs / 1000);
    this.e2eLatency.observe(labels, timings.endToEndMs / 1000);
    this.queueTime.observe(labels, timings.queueTimeMs / 1000);
  }

  /** Everything as Prometheus text 0.0.4, with the engine's current stats. */
  render(stats: EngineStats): string {
    const labels = this.labels;
    this.running.set(labels, stats.numRunning);
    this.waiting.set(labels, stats.numWaiting);
    this.kvCacheUsage.set(labels, stats.kvCacheUsage);
    this.preemptions.set(labels, stats.preemptionsTotal);
    this.promptTokens.set(labels, stats.promptTokensTotal);
    this.generationTokens.set(labels, stats.generationTokensTotal);
    this.prefixCacheQueries.set(labels, stats.prefixCacheQueriedTokens);
    this.prefixCacheHits.set(labels, stats.prefixCacheHitTokens);
    return this.registry.render();
  }
}
