/**
 * GET /metrics, black-box: vLLM's metric names and `model_name` label, in
 * Prometheus text 0.0.4 that a small strict parser here accepts (every sample
 * under a TYPE'd family, histograms cumulative and ending in +Inf = _count).
 * Three known requests (5 tokens each, ignore_eos, so finish "length") move the
 * counters and histogram counts by exactly what they should; gauges are back at 0.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readSse, useServer, type TestServer } from "./server-harness.js";

const servedName = "metrics-model";
const maxTokens = 5;

let server: TestServer;

useServer({ args: ["--served-model-name", servedName, "--max-model-len", "512", "--max-num-seqs", "3"] }, (served) => ({ server } = served));

interface Scrape {
  /** Sample value by series, e.g. `vllm:foo_total{model_name="m"}`. */
  samples: Map<string, number>;
  /** Family name -> TYPE. */
  types: Map<string, string>;
}

/** A series with its labels sorted by name, so label order (which Prometheus ignores) does not matter here either. */
function canonical(series: string): string {
  const match = /^([^{]+)(?:\{(.*)\})?$/.exec(series);
  assert.ok(match, series);
  const [, name, labels] = match;
  if (labels === undefined) return name;
  const pairs = labels.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
  return `${name}{${pairs.sort().join(",")}}`;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/;

function parseMetrics(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === "HELP") helps.add(comment[2]);
      else {
        assert.ok(["counter", "gauge", "histogram"].includes(comment[3]), line);
        assert.ok(helps.has(comment[2]), `TYPE before HELP for ${comment[2]}`);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    const match = sampleLine.exec(line);
    assert.ok(match, `not a sample line: ${JSON.stringify(line)}`);
    const [, name, labels = "", value] = match;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(family), `sample ${name} has no TYPE`);
    if (family !== name) assert.equal(types.get(family), "histogram", `${name} belongs to a histogram`);
    const series = canonical(`${name}${labels}`);
    assert.ok(!samples.has(series), `duplicate series ${series}`);
    const number = value === "+Inf" ? Infinity : /^nan$/i.test(value) ? NaN : Number(value);
    // prom-client's event-loop lag reads NaN until its first sample (Prometheus parses "Nan"); vLLM's series never may.
    assert.ok(!Number.isNaN(number) || (/^nan$/i.test(value) && !name.startsWith("vllm:")), line);
    samples.set(series, number);
  }
  return { samples, types };
}

async function scrape(): Promise<Scrape> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

const m = `{model_name="${servedName}"}`;

function value(scrape: Scrape, series: string): number {
  const v = scrape.samples.get(canonical(series));
  assert.ok(v !== undefined, `${series} missing; have:\n${[...scrape.samples.keys()].join("\n")}`);
  return v;
}

/** Checks a histogram's shape: cumulative buckets, ascending le, +Inf last and equal to _count. */
function checkHistogram(scrape: Scrape, name: string): void {
  assert.equal(scrape.types.get(name), "histogram", name);
  const buckets = [...scrape.samples.entries()]
    .filter(([series]) => series.startsWith(`${name}_bucket{`))
    .map(([series, count]) => {
      assert.ok(series.startsWith(`${name}_bucket{le="`) && series.endsWith(`",model_name="${servedName}"}`), series);
      return { le: Number(/le="([^"]+)"/.exec(series)![1].replace("+Inf", "Infinity")), count };
    });
  assert.ok(buckets.length >= 2, `${name} has buckets`);
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i].le > buckets[i - 1].le, `${name} le ascending`);
    assert.ok(buckets[i].count >= buckets[i - 1].count, `${name} buckets cumulative`);
  }
  assert.equal(buckets.at(-1)!.le, Infinity, `${name} ends with le="+Inf"`);
  assert.equal(buckets.at(-1)!.count, value(scrape, `${name}_count${m}`), `${name} +Inf bucket = _count`);
  value(scrape, `${name}_sum${m}`);
}

const histograms = [
  "vllm:time_to_first_token_seconds",
  "vllm:inter_token_latency_seconds",
  "vllm:e2e_request_latency_seconds",
  "vllm:request_queue_time_seconds",
  "vllm:request_prompt_tokens",
  "vllm:request_generation_tokens",
];

test("/metrics exposes vLLM's families with the model_name label, before any request", async () => {
  const s = await scrape();
  for (const name of ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"]) {
    assert.equal(s.types.get(name), "gauge", name);
    assert.equal(value(s, `${name}${m}`), 0);
  }
  for (const name of ["vllm:prompt_tokens_total", "vllm:generation_tokens_total", "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total"]) {
    assert.equal(s.types.get(name), "counter", name);
    value(s, `${name}${m}`);
  }
  assert.equal(s.types.get("vllm:request_success_total"), "counter");
  for (const reason of ["stop", "length", "abort"]) {
    assert.equal(value(s, `vllm:request_success_total{model_name="${servedName}",finished_reason="${reason}"}`), 0);
  }
  for (const name of histograms) checkHistogram(s, name);
  // vLLM's bucket bounds, as prometheus_client writes them.
  assert.ok(s.samples.has(canonical(`vllm:time_to_first_token_seconds_bucket{model_name="${servedName}",le="0.001"}`)));
  assert.ok(s.samples.has(canonical(`vllm:time_to_first_token_seconds_bucket{model_name="${servedName}",le="2560.0"}`)));
  assert.ok(s.samples.has(canonical(`vllm:inter_token_latency_seconds_bucket{model_name="${servedName}",le="80.0"}`)));
  assert.ok(s.samples.has(canonical(`vllm:e2e_request_latency_seconds_bucket{model_name="${servedName}",le="7680.0"}`)));
  assert.ok(s.samples.has(canonical(`vllm:request_prompt_tokens_bucket{model_name="${servedName}",le="500.0"}`)), "1-2-5 buckets up to --max-model-len");
  assert.ok(!s.samples.has(canonical(`vllm:request_prompt_tokens_bucket{model_name="${servedName}",le="1000.0"}`)), "none past --max-model-len");
});

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

async function complete(prompt: string, stream: boolean): Promise<Usage> {
  const response = await fetch(`${server.baseURL}/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: servedName,
      prompt,
      max_tokens: maxTokens,
      ignore_eos: true,
      temperature: 0,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
  });
  assert.equal(response.status, 200);
  if (!stream) {
    const body = (await response.json()) as { usage: Usage; choices: { finish_reason: string }[] };
    assert.equal(body.choices[0].finish_reason, "length");
    return body.usage;
  }
  const chunks = (await readSse(response)).filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as { usage?: Usage | null; choices: { finish_reason: string | null }[] });
  assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === "length"));
  const usage = chunks.at(-1)!.usage;
  assert.ok(usage, "the last chunk carries usage");
  return usage;
}

test("three known requests move the counters and histograms by exactly their share", async () => {
  const before = await scrape();
  const usages = [await complete("Once upon a time", false), await complete("The quick brown fox", true), await complete("Hello", false)];
  for (const usage of usages) assert.equal(usage.completion_tokens, maxTokens);
  const promptTokens = usages.reduce((sum, u) => sum + u.prompt_tokens, 0);
  const after = await scrape();
  const delta = (series: string) => value(after, series) - value(before, series);

  const success = (reason: string) => `vllm:request_success_total{model_name="${servedName}",finished_reason="${reason}"}`;
  assert.equal(delta(success("length")), 3);
  assert.equal(delta(success("stop")), 0);
  assert.equal(delta(success("abort")), 0);
  assert.equal(delta(`vllm:generation_tokens_total${m}`), 3 * maxTokens);

  for (const name of histograms) checkHistogram(after, name);
  assert.equal(delta(`vllm:time_to_first_token_seconds_count${m}`), 3);
  assert.equal(delta(`vllm:e2e_request_latency_seconds_count${m}`), 3);
  assert.equal(delta(`vllm:request_queue_time_seconds_count${m}`), 3);
  assert.equal(delta(`vllm:request_prompt_tokens_count${m}`), 3);
  assert.equal(delta(`vllm:request_generation_tokens_count${m}`), 3);
  assert.equal(delta(`vllm:inter_token_latency_seconds_count${m}`), 3 * (maxTokens - 1), "one observation per gap between tokens");
  assert.equal(delta(`vllm:request_generation_tokens_sum${m}`), 3 * maxTokens);
  assert.equal(delta(`vllm:request_prompt_tokens_sum${m}`), promptTokens);
  // 5 generated tokens land in the le="5.0" bucket, not in le="2.0".
  assert.equal(delta(`vllm:request_generation_tokens_bucket{model_name="${servedName}",le="2.0"}`), 0);
  assert.equal(delta(`vllm:request_generation_tokens_bucket{model_name="${servedName}",le="5.0"}`), 3);
  for (const name of ["vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds"]) {
    assert.ok(delta(`${name}_sum${m}`) > 0, `${name} recorded time`);
  }
  assert.ok(delta(`vllm:e2e_request_latency_seconds_sum${m}`) >= delta(`vllm:time_to_first_token_seconds_sum${m}`), "e2e covers TTFT");

  for (const name of ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"]) {
    assert.equal(value(after, `${name}${m}`), 0, `${name} back at 0`);
  }
});

test("the inference gateway's model-server protocol: cache config, LoRA info, the older names, process metrics", async () => {
  const s = await scrape();
  // One sequence slot is one block: --max-model-len tokens, --max-num-seqs of them.
  assert.equal(s.types.get("vllm:cache_config_info"), "gauge");
  assert.equal(value(s, `vllm:cache_config_info{model_name="${servedName}",block_size="512",num_gpu_blocks="3",enable_prefix_caching="true"}`), 1);
  assert.equal(s.types.get("vllm:lora_requests_info"), "gauge");
  const lora = value(s, 'vllm:lora_requests_info{max_lora="0",running_lora_adapters="",waiting_lora_adapters=""}');
  assert.ok(lora > 1.7e9 && lora < 4e9, `a timestamp in seconds: ${lora}`);
  for (const [alias, name] of [
    ["vllm:gpu_cache_usage_perc", "vllm:kv_cache_usage_perc"],
    ["vllm:gpu_prefix_cache_hits_total", "vllm:prefix_cache_hits_total"],
    ["vllm:gpu_prefix_cache_queries_total", "vllm:prefix_cache_queries_total"],
  ]) {
    assert.equal(s.types.get(alias), s.types.get(name), alias);
    assert.equal(value(s, `${alias}${m}`), value(s, `${name}${m}`), alias);
  }
  assert.ok(value(s, "process_resident_memory_bytes") > 0, "prom-client's default process metrics");
  assert.equal(s.types.get("nodejs_eventloop_lag_seconds"), "gauge");
});
