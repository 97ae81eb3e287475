import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineStats, RequestTimings } from "../engine/types.js";
import { build125Buckets, VllmMetrics, withFloatBounds, type AdapterLoad, type ModelMetricsSource } from "./prometheus.js";

const idle: EngineStats = {
  numRunning: 0,
  numWaiting: 0,
  numSlotsInUse: 0,
  numSlots: 4,
  kvCacheUsage: 0,
  preemptionsTotal: 0,
  promptTokensTotal: 0,
  generationTokensTotal: 0,
  prefixCacheQueriedTokens: 0,
  prefixCacheHitTokens: 0,
};

function source(stats: () => EngineStats, adapters: () => AdapterLoad[] = () => []): ModelMetricsSource {
  return { stats, adapters, tokensPerSlot: 10, isPrefixCachingEnabled: true };
}

function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

const newMetrics = (now = () => 0) => new VllmMetrics({ maxModelLen: 10, collectProcessMetrics: false, now });

test("build125Buckets is vLLM's build_1_2_5_buckets", () => {
  assert.deepEqual(build125Buckets(100), [1, 2, 5, 10, 20, 50, 100]);
  assert.deepEqual(build125Buckets(4096), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
  assert.deepEqual(build125Buckets(0), []);
});

test("whole bucket bounds are written as prometheus_client writes them; other labels are left alone", () => {
  assert.equal(withFloatBounds('h_bucket{model_name="7",le="5"} 1\nh_bucket{le="0.025"} 1\nh_bucket{le="+Inf"} 2\nc{le="5"} 1'), 'h_bucket{model_name="7",le="5.0"} 1\nh_bucket{le="0.025"} 1\nh_bucket{le="+Inf"} 2\nc{le="5"} 1');
});

test("engine stats render under vLLM's names and their aliases, with the model_name label", async () => {
  const metrics = newMetrics();
  metrics.addModel("m", source(() => ({ ...idle, numRunning: 2, numWaiting: 1, numSlotsInUse: 1, kvCacheUsage: 0.25, preemptionsTotal: 2, promptTokensTotal: 7, generationTokensTotal: 9, prefixCacheQueriedTokens: 5, prefixCacheHitTokens: 3 })));
  const text = await metrics.render();
  assert.equal(sample(text, 'vllm:num_requests_running{model_name="m"}'), 2);
  assert.equal(sample(text, 'vllm:num_requests_waiting{model_name="m"}'), 1);
  assert.equal(sample(text, 'vllm:kv_cache_usage_perc{model_name="m"}'), 0.25);
  assert.equal(sample(text, 'vllm:gpu_cache_usage_perc{model_name="m"}'), 0.25);
  assert.equal(sample(text, 'vllm:num_preemptions_total{model_name="m"}'), 2);
  assert.equal(sample(text, 'vllm:prompt_tokens_total{model_name="m"}'), 7);
  assert.equal(sample(text, 'vllm:generation_tokens_total{model_name="m"}'), 9);
  assert.equal(sample(text, 'vllm:prefix_cache_queries_total{model_name="m"}'), 5);
  assert.equal(sample(text, 'vllm:prefix_cache_hits_total{model_name="m"}'), 3);
  assert.equal(sample(text, 'vllm:gpu_prefix_cache_queries_total{model_name="m"}'), 5);
  assert.equal(sample(text, 'vllm:gpu_prefix_cache_hits_total{model_name="m"}'), 3);
  assert.equal(sample(text, 'vllm:cache_config_info{model_name="m",block_size="10",num_gpu_blocks="4",enable_prefix_caching="true"}'), 1);
  for (const reason of ["stop", "length", "abort"]) {
    assert.equal(sample(text, `vllm:request_success_total{model_name="m",finished_reason="${reason}"}`), 0);
  }
  assert.match(text, /^# TYPE vllm:time_to_first_token_seconds histogram$/m);
  assert.equal(sample(text, 'vllm:e2e_request_latency_seconds_count{model_name="m"}'), 0);
  assert.equal(sample(text, 'vllm:request_prompt_tokens_bucket{le="10.0",model_name="m"}'), 0);
});

test("token counters follow the engine's totals across scrapes and never go down", async () => {
  const metrics = newMetrics();
  let stats = { ...idle, generationTokensTotal: 4 };
  metrics.addModel("m", source(() => stats));
  assert.equal(sample(await metrics.render(), 'vllm:generation_tokens_total{model_name="m"}'), 4);
  stats = { ...stats, generationTokensTotal: 10 };
  assert.equal(sample(await metrics.render(), 'vllm:generation_tokens_total{model_name="m"}'), 10);
  stats = { ...stats, generationTokensTotal: 3 };
  assert.equal(sample(await metrics.render(), 'vllm:generation_tokens_total{model_name="m"}'), 10);
});

test("lora_requests_info lists the loaded adapters with running and waiting requests; its value is the time of the last change", async () => {
  let nowMs = 1_000;
  const metrics = newMetrics(() => nowMs);
  let adapters: AdapterLoad[] = [];
  metrics.addModel("m", source(() => idle, () => adapters));
  assert.equal(sample(await metrics.render(), 'vllm:lora_requests_info{max_lora="0",running_lora_adapters="",waiting_lora_adapters=""}'), 1);
  adapters = [
    { name: "sql", numRunning: 1, numWaiting: 2 },
    { name: "chat", numRunning: 1, numWaiting: 0 },
    { name: "idle", numRunning: 0, numWaiting: 0 },
  ];
  nowMs = 5_000;
  let text = await metrics.render();
  assert.equal(sample(text, 'vllm:lora_requests_info{max_lora="3",running_lora_adapters="sql,chat",waiting_lora_adapters="sql"}'), 5);
  assert.equal(text.match(/^vllm:lora_requests_info\{/gm)?.length, 1, "one series: the current state");
  nowMs = 9_000;
  text = await metrics.render();
  assert.equal(sample(text, 'vllm:lora_requests_info{max_lora="3",running_lora_adapters="sql,chat",waiting_lora_adapters="sql"}'), 5, "unchanged state keeps its time");
});

test("a finished request feeds the per-request families, in seconds, one ITL sample per gap", async () => {
  const metrics = newMetrics();
  const observer = metrics.addModel("m", source(() => idle));
  const timings: RequestTimings = {
    requestId: "r",
    finishReason: "length",
    numPromptTokens: 3,
    numCachedPromptTokens: 0,
    numGenerationTokens: 4,
    queueTimeMs: 2,
    timeToFirstTokenMs: 30,
    interTokenLatenciesMs: [10, 20, 100],
    endToEndMs: 400,
  };
  observer.observeRequest(timings);
  observer.observeRequest({ ...timings, finishReason: "abort", numGenerationTokens: 0, timeToFirstTokenMs: null, interTokenLatenciesMs: [] });
  const text = await metrics.render();
  const m = '{model_name="m"}';
  const bucket = (name: string, le: string) => sample(text, `${name}_bucket{le="${le}",model_name="m"}`);
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="length"}'), 1);
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="abort"}'), 1);
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="stop"}'), 0);
  assert.equal(sample(text, `vllm:time_to_first_token_seconds_count${m}`), 1, "no TTFT for a request without tokens");
  assert.equal(sample(text, `vllm:time_to_first_token_seconds_sum${m}`), 0.03);
  assert.equal(bucket("vllm:time_to_first_token_seconds", "0.02"), 0);
  assert.equal(bucket("vllm:time_to_first_token_seconds", "0.04"), 1);
  assert.equal(sample(text, `vllm:inter_token_latency_seconds_count${m}`), 3);
  assert.equal(bucket("vllm:inter_token_latency_seconds", "0.01"), 1);
  assert.equal(bucket("vllm:inter_token_latency_seconds", "0.025"), 2);
  assert.equal(bucket("vllm:inter_token_latency_seconds", "0.1"), 3);
  assert.equal(sample(text, `vllm:e2e_request_latency_seconds_count${m}`), 2);
  assert.equal(sample(text, `vllm:e2e_request_latency_seconds_sum${m}`), 0.8);
  assert.equal(sample(text, `vllm:request_queue_time_seconds_count${m}`), 2);
  assert.equal(sample(text, `vllm:request_prompt_tokens_sum${m}`), 6);
  assert.equal(bucket("vllm:request_generation_tokens", "1.0"), 1);
  assert.equal(bucket("vllm:request_generation_tokens", "5.0"), 2);
  assert.equal(bucket("vllm:request_generation_tokens", "10.0"), 2);
  assert.equal(sample(text, `vllm:request_generation_tokens_sum${m}`), 4);
});

test("a model registers once", () => {
  const metrics = newMetrics();
  metrics.addModel("m", source(() => idle));
  assert.throws(() => metrics.addModel("m", source(() => idle)), /already registered/);
});
