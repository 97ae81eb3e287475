#!/usr/bin/env node
// Engine-level throughput on a GGUF, no HTTP: C concurrent sequences with
// ~128-token prompts generating --output tokens each (ignore_eos), and the
// pure decode rate measured after all prompts are in. Usage:
//   UV_THREADPOOL_SIZE=1 node scripts/bench-engine.mjs MODEL.gguf [--threads 2] [--concurrency 1,2,4,8,16] [--output 64]
//     [--sampling greedy,temperature,top-p,top-p-cold,top-k-top-p,penalties,logprobs,top-logprobs] [--json]
// --json: one JSON line per run on stdout (variant, concurrency, stepMs, decodeTokPerS, ...) instead of text.
// Each sampling variant runs every concurrency level; the decode step time
// (ms per step once all prompts are in) shows what sampling and logprobs cost.
import { parseArgs } from "node:util";
import { Engine } from "../dist/src/engine/engine.js";
import { samplingParams } from "../dist/src/engine/types.js";
import { LlamaRunner } from "../dist/src/runner/llama-runner.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: "string", default: "2" },
    concurrency: { type: "string", default: "1,2,4,8,16" },
    output: { type: "string", default: "64" },
    sampling: { type: "string", default: "greedy" },
    json: { type: "boolean", default: false },
  },
});
const modelPath = positionals[0];
const levels = values.concurrency.split(",").map(Number);
const maxC = Math.max(...levels);
const runner = await LlamaRunner.load({ modelPath, numSlots: maxC, resolveSlotCapacity: () => 1024, maxBatchTokens: 512, threads: Number(values.threads) });
const engine = new Engine(runner, { maxNumBatchedTokens: 512, maxWaitingRequests: 1000, enablePrefixCaching: false });
const baseParams = samplingParams({ maxTokens: Number(values.output), temperature: 0, seed: 1, ignoreEos: true });
const words = "the quick brown fox jumps over a lazy dog while seven wizards quietly hum".split(" ");
const variants = {
  greedy: {},
  temperature: { temperature: 1 },
  "top-p": { temperature: 0.8, topP: 0.95 },
  "top-p-cold": { temperature: 0.3, topP: 0.9 },
  "top-k-top-p": { temperature: 0.8, topK: 40, topP: 0.95 },
  penalties: { temperature: 0.8, topK: 40, repetitionPenalty: 1.1 },
  logprobs: { logprobs: 0 },
  "top-logprobs": { logprobs: 5 },
};
let id = 0;
for (const variant of values.sampling.split(",")) {
if (!(variant in variants)) throw new Error(`unknown --sampling ${variant}; one of ${Object.keys(variants).join(", ")}`);
const params = { ...baseParams, ...variants[variant] };
for (const c of levels) {
  const prompts = Array.from({ length: c }, (_, i) => runner.tokenize(`#${i} ` + Array.from({ length: 120 }, (_, j) => words[(i * 5 + j * 3) % words.length]).join(" "), { parseSpecialTokens: false }).slice(0, 128));
  const start = performance.now();
  let firstTokenAll = 0;
  const ttfts = [];
  await Promise.all(prompts.map(async (promptTokens) => {
    let first = true;
    for await (const out of engine.generate({ requestId: `b${id++}`, promptTokens, params })) {
      if (first) { first = false; ttfts.push(performance.now() - start); firstTokenAll = Math.max(firstTokenAll, performance.now()); }
    }
  }));
  const end = performance.now();
  const total = c * params.maxTokens;
  const decodeRate = (c * (params.maxTokens - 1)) / ((end - firstTokenAll) / 1000);
  const stepMs = (end - firstTokenAll) / (params.maxTokens - 1);
  if (values.json) {
    console.log(JSON.stringify({ variant, concurrency: c, stepMs, decodeTokPerS: decodeRate, endToEndTokPerS: total / ((end - start) / 1000), meanTtftMs: ttfts.reduce((a, b) => a + b, 0) / c, promptTokens: prompts[0].length }));
    continue;
  }
  console.log(`${variant} C=${c}: decode step ${stepMs.toFixed(1)} ms, ${(total / ((end - start) / 1000)).toFixed(1)} tok/s end-to-end, decode after all prefills ${decodeRate.toFixed(1)} tok/s, mean TTFT ${(ttfts.reduce((a, b) => a + b, 0) / c).toFixed(0)} ms, ${((end - start) / 1000).toFixed(2)} s`);
}
}
await engine.stop();
await runner.close();
