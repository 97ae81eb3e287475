import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineStats, RequestTimings } from "../engine/types.js";
import { build125Buckets, VllmMetrics } from "./prometheus.js";

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

function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

test("build125Buckets is vLLM's build_1_2_5_buckets", () => {
  assert.deepEqual(build125Buckets(100), [1, 2, 5, 10, 20, 50, 100]);
  assert.deepEqual(build125Buckets(4096), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]);
  assert.deepEqual(build125Buckets(0), []);
});

test("engine stats render under vLLM's names with the model_name label", () => {
  const metrics = new VllmMetrics({ modelName: "m", maxModelLen: 10 });
  const text = metrics.render({ ...idle, numRunning: 2, numWaiting: 1, numSlotsInUse: 1, kvCacheUsage: 0.25, preemptionsTotal: 2, promptTokensTotal: 7, generationTokensTotal: 9, prefixCacheQueriedTokens: 5, prefixCacheHitTokens: 3 });
  assert.equal(sample(text, 'vllm:num_requests_running{model_name="m"}'), 2);
  assert.equal(sample(text, 'vllm:num_requests_waiting{model_name="m"}'), 1);
  assert.equal(sample(text, 'vllm:kv_cache_usage_perc{model_name="m"}'), 0.25);
  assert.equal(sample(text, 'vllm:num_preemptions_total{model_name="m"}'), 2);
  assert.equal(sample(text, 'vllm:prompt_tokens_total{model_name="m"}'), 7);
  assert.equal(sample(text, 'vllm:generation_tokens_total{model_name="m"}'), 9);
  assert.equal(sample(text, 'vllm:prefix_cache_queries_total{model_name="m"}'), 5);
  assert.equal(sample(text, 'vllm:prefix_cache_hits_total{model_name="m"}'), 3);
  for (const reason of ["stop", "length", "abort"]) {
    assert.equal(sample(text, `vllm:request_success_total{model_name="m",finished_reason="${reason}"}`), 0);
  }
  assert.match(text, /^# TYPE vllm:time_to_first_token_seconds histogram$/m);
  assert.equal(sample(text, 'vllm:e2e_request_latency_seconds_count{model_name="m"}'), 0);
});

test("a finished request feeds the per-request families, in seconds, one ITL sample per gap", () => {
  const metrics = new VllmMetrics({ modelName: "m", maxModelLen: 10 });
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
  metrics.observeRequest(timings);
  metrics.observeRequest({ ...timings, finishReason: "abort", numGenerationTokens: 0, timeToFirstTokenMs: null, interTokenLatenciesMs: [] });
  const text = metrics.render(idle);
  const m = '{model_name="m"}';
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="length"}'), 1);
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="abort"}'), 1);
  assert.equal(sample(text, 'vllm:request_success_total{model_name="m",finished_reason="stop"}'), 0);
  assert.equal(sample(text, `vllm:time_to_first_token_seconds_count${m}`), 1, "no TTFT for a request without tokens");
  assert.equal(sample(text, `vllm:time_to_first_token_seconds_sum${m}`), 0.03);
  assert.equal(sample(text, 'vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.02"}'), 0);
  assert.equal(sample(text, 'vllm:time_to_first_token_seconds_bucket{model_name="m",le="0.04"}'), 1);
  assert.equal(sample(text, `vllm:inter_token_latency_seconds_count${m}`), 3);
  assert.equal(sample(text, 'vllm:inter_token_latency_seconds_bucket{model_name="m",le="0.01"}'), 1);
  assert.equal(sample(text, 'vllm:inter_token_latency_seconds_bucket{model_name="m",le="0.025"}'), 2);
  assert.equal(sample(text, 'vllm:inter_token_latency_seconds_bucket{model_name="m",le="0.1"}'), 3);
  assert.equal(sample(text, `vllm:e2e_request_latency_seconds_count${m}`), 2);
  assert.equal(sample(text, `vllm:e2e_request_latency_seconds_sum${m}`), 0.8);
  assert.equal(sample(text, `vllm:request_queue_time_seconds_count${m}`), 2);
  assert.equal(sample(text, `vllm:request_prompt_tokens_sum${m}`), 6);
  assert.equal(sample(text, 'vllm:request_generation_tokens_bucket{model_name="m",le="1.0"}'), 1);
  assert.equal(sample(text, 'vllm:request_generation_tokens_bucket{model_name="m",le="5.0"}'), 2);
  assert.equal(sample(text, 'vllm:request_generation_tokens_bucket{model_name="m",le="10.0"}'), 2);
  assert.equal(sample(text, `vllm:request_generation_tokens_sum${m}`), 4);
});
