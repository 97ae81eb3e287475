import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { formatReport, jsonNumbers } from "./report.js";
import { normalizeBaseUrl, parseBenchArgs } from "./flags.js";
import { benchMetrics } from "./stats.js";

test("defaults mirror vllm bench serve where it has them", () => {
  const config = parseBenchArgs(["serve"], {});
  assert.equal(config.baseUrl, "http://127.0.0.1:8000/v1");
  assert.equal(config.endpoint, "completions");
  assert.equal(config.model, null);
  assert.equal(config.numPrompts, 100);
  assert.equal(config.maxConcurrency, null);
  assert.equal(config.requestRate, Infinity);
  assert.equal(config.isIgnoreEos, false);
  assert.equal(config.temperature, 0);
  assert.deepEqual(config.dataset, { kind: "random", inputLen: 128, rangeRatio: 0, seed: 0 });
  assert.equal(config.apiKey, undefined);
  assert.equal(parseBenchArgs(["serve"], { OPENAI_API_KEY: "k" }).apiKey, "k");
});

test("flags parse into the config", () => {
  const config = parseBenchArgs(
    ["serve", "--base-url", "http://h:1/v1/", "--endpoint", "chat", "--dataset", "shared-prefix", "--prefix-len", "1000", "--input-len", "20",
      "--num-prompts", "16", "--max-concurrency", "4", "--request-rate", "2.5", "--seed", "3", "--warmup", "1", "--ignore-eos",
      "--output-len", "64", "--api-key", "x", "--save-result", "r.json", "--label", "pagoda"],
    { OPENAI_API_KEY: "env" },
  );
  assert.equal(config.baseUrl, "http://h:1/v1");
  assert.equal(config.endpoint, "chat");
  assert.deepEqual(config.dataset, { kind: "shared-prefix", prefixLen: 1000, inputLen: 20, rangeRatio: 0, seed: 3 });
  assert.equal(config.numPrompts, 16);
  assert.equal(config.maxConcurrency, 4);
  assert.equal(config.requestRate, 2.5);
  assert.equal(config.warmup, 1);
  assert.equal(config.isIgnoreEos, true);
  assert.equal(config.outputLen, 64);
  assert.equal(config.apiKey, "x");
  assert.equal(config.saveResult, "r.json");
  assert.equal(config.label, "pagoda");
});

test("bad flags are usage errors", () => {
  for (const args of [
    [],
    ["run"],
    ["serve", "--endpoint", "embeddings"],
    ["serve", "--dataset", "sharegpt"],
    ["serve", "--dataset", "file"],
    ["serve", "--num-prompts", "0"],
    ["serve", "--max-concurrency", "1.5"],
    ["serve", "--request-rate", "0"],
    ["serve", "--range-ratio", "1"],
    ["serve", "--temperature", ""],
    ["serve", "--bogus"],
    ["serve", "extra"],
    ["serve", "--base-url", "not a url"],
  ]) {
    assert.throws(() => parseBenchArgs(args, {}), UsageError, JSON.stringify(args));
  }
});

test("normalizeBaseUrl adds /v1 to a bare origin and drops trailing slashes", () => {
  assert.equal(normalizeBaseUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/v1");
  assert.equal(normalizeBaseUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/v1");
  assert.equal(normalizeBaseUrl("http://h/api/v1//"), "http://h/api/v1");
});

test("the report has vLLM's rows; missing values print n/a", () => {
  const metrics = benchMetrics([{ isSuccess: true, startMs: 0, endMs: 300, contentChunkTimesMs: [100, 200, 300], promptTokens: 5, outputTokens: 3 }], 1000);
  const report = formatReport(metrics, { maxConcurrency: 4, requestRate: Infinity });
  assert.match(report, /Successful requests: +1\n/);
  assert.match(report, /Maximum request concurrency: +4\n/);
  assert.match(report, /Request rate \(req\/s\): +inf\n/);
  assert.match(report, /Output token throughput \(tok\/s\): +3\.00\n/);
  assert.match(report, /Mean TTFT \(ms\): +100\.00\n/);
  assert.match(report, /P99 TPOT \(ms\): +100\.00\n/);
  assert.match(report, /Median E2EL \(ms\): +300\.00\n/);
  const empty = formatReport(benchMetrics([], 0), { maxConcurrency: null, requestRate: 1 });
  assert.match(empty, /Mean TTFT \(ms\): +n\/a\n/);
  assert.match(empty, /Maximum request concurrency: +unlimited\n/);
});

test("saved JSON has no NaN or Infinity", () => {
  assert.equal(JSON.stringify({ a: NaN, b: Infinity, c: 1.23456, d: 2 }, jsonNumbers), '{"a":null,"b":null,"c":1.235,"d":2}');
});
