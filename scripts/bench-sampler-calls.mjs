#!/usr/bin/env node
// What one llama.cpp sampling call costs on a model's vocabulary (the native
// building blocks pagoda's sampling paths are made of), through
// node-llama-cpp's addon, after one decode. Usage:
//   UV_THREADPOOL_SIZE=1 node scripts/bench-sampler-calls.mjs MODEL.gguf [--threads 2]
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { threads: { type: "string", default: "2" } } });
const llama = await getLlama({ gpu: false, build: "never", maxThreads: Number(values.threads), logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: positionals[0] });
const { _bindings: bindings } = llama;
const context = new bindings.AddonContext(model._model, { contextSize: 512, batchSize: 512, sequences: 1, threads: Number(values.threads) });
await context.init();
const tokens = Uint32Array.from({ length: 32 }, (_, i) => 100 + i);
context.initBatch(tokens.length);
const [logitIndex] = context.addToBatch(0, 0, tokens, Uint32Array.of(tokens.length - 1));
await context.decodeBatch();

const sampler = (config) => {
  const s = new bindings.AddonSampler(model._model);
  s.applyConfig(config);
  return s;
};
const greedy = sampler({ temperature: 0 });
const temperature = sampler({ temperature: 1, seed: 1 });
const nativeTopP = sampler({ temperature: 0.7, topP: 0.9, seed: 1 });
const topKTopP = sampler({ temperature: 0.7, topK: 40, topP: 0.9, seed: 1 });
const top256 = sampler({ temperature: 1, topK: 256, seed: 1 });
const hot = sampler({ temperature: 0.7, seed: 1 });
const calls = [
  ["greedy (argmax)", () => context.sampleToken(logitIndex, greedy)],
  ["temperature 1 (softmax + draw)", () => context.sampleToken(logitIndex, temperature)],
  ["llama.cpp top_p 0.9 at T 0.7, no top_k (sorts the vocabulary)", () => context.sampleToken(logitIndex, nativeTopP)],
  ["top_k 40 + top_p 0.9 at T 0.7", () => context.sampleToken(logitIndex, topKTopP)],
  ["top 256 logits to JS (candidates)", () => context.sampleToken(logitIndex, top256, false, false, [[], false, false, false, 256], false)],
  ["vocabulary normalizer, sum(exp(l - max))", () => context.sampleToken(logitIndex, greedy, false, false, false, true)],
  ["normalizer at T 0.7", () => context.sampleToken(logitIndex, hot, false, false, false, true)],
  ["one token's logit", () => context.sampleToken(logitIndex, greedy, false, false, [[5], false, false, false, 0], false)],
  ["every logit to JS", () => context.sampleToken(logitIndex, greedy, false, false, true, false)],
];
console.log(`| call | ms |\n|---|---:|`);
for (const [name, call] of calls) {
  const n = name.startsWith("every") ? 10 : 50;
  await call();
  const start = performance.now();
  for (let i = 0; i < n; i++) await call();
  console.log(`| ${name} | ${((performance.now() - start) / n).toFixed(2)} |`);
}
await context.dispose();
await model.dispose();
await llama.dispose();
