#!/usr/bin/env node
// Embedding throughput (inputs/s) on generated BERT models, no HTTP:
//   node-llama-cpp    its LlamaEmbeddingContext, one input per call
//   one at a time     pagoda's runner, one input per call (sequential requests)
//   batched           pagoda's batcher, all inputs submitted together in requests of 32
//   shared decode     one llama.cpp decode per batch, every input its own sequence:
//                     the rate if the addon returned every sequence's vector
//                     (it returns sequence 0's; its distance to the same input
//                     decoded alone is printed as the batching error)
// Usage (build first: npm run build):
//   UV_THREADPOOL_SIZE=1 node scripts/bench-embeddings.mjs [--presets tiny-bert,bench-bge-small]
//     [--inputs 256] [--min-tokens 32] [--max-tokens 128] [--batch-tokens 2048] [--threads 2]
import { parseArgs } from "node:util";
import { EmbeddingBatcher } from "../dist/src/engine/embedding-batcher.js";
import { ensureGeneratedModel } from "../dist/src/models/model-cache.js";
import { Mulberry32 } from "../dist/src/models/mulberry32.js";
import { loadEmbeddingBenchProbes } from "../dist/src/runner/embedding-bench-probes.js";

const { values } = parseArgs({
  options: {
    presets: { type: "string", default: "tiny-bert,bench-bge-small" },
    inputs: { type: "string", default: "256" },
    "min-tokens": { type: "string", default: "32" },
    "max-tokens": { type: "string", default: "128" },
    "batch-tokens": { type: "string", default: "512,2048" },
    "max-sequences": { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
  },
});
const numInputs = Number(values.inputs);
const minTokens = Number(values["min-tokens"]);
const maxTokens = Number(values["max-tokens"]);
// The batcher's budget is the first value; shared decodes are measured at each.
const batchTokenLevels = values["batch-tokens"].split(",").map(Number);
const batchTokens = batchTokenLevels[0];
const maxSequences = Number(values["max-sequences"]);
const threads = Number(values.threads);
const requestSize = 32;

if (process.env.UV_THREADPOOL_SIZE !== "1") console.warn("note: run with UV_THREADPOOL_SIZE=1, as bin/pagoda.cjs does");
console.log(`${numInputs} inputs of ${minTokens}-${maxTokens} tokens, ${threads} threads, batches up to ${batchTokens} tokens / ${maxSequences} sequences\n`);
console.log("| model | mode | inputs/s | tokens/s | seconds |");
console.log("|---|---|---:|---:|---:|");

for (const preset of values.presets.split(",")) {
  const modelPath = await ensureGeneratedModel(preset);
  const probes = await loadEmbeddingBenchProbes(modelPath, { threads, maxBatchTokens: Math.max(...batchTokenLevels), maxSequences });
  const inputs = makeInputs(probes, new Mulberry32(42));
  const numTokens = inputs.reduce((sum, tokens) => sum + tokens.length, 0);
  const row = async (mode, run) => {
    await run(inputs.slice(0, 2)); // warm-up: graph allocation, first-touch of weights
    const start = performance.now();
    await run(inputs);
    const seconds = (performance.now() - start) / 1000;
    console.log(`| ${preset} | ${mode} | ${(inputs.length / seconds).toFixed(1)} | ${(numTokens / seconds).toFixed(0)} | ${seconds.toFixed(2)} |`);
  };

  await row("node-llama-cpp LlamaEmbeddingContext", async (list) => {
    for (const tokens of list) await probes.nodeLlamaCppEmbed(tokens);
  });
  await row("pagoda, one at a time", async (list) => {
    for (const tokens of list) await probes.runner.embed([tokens]);
  });
  const batcher = new EmbeddingBatcher(probes.runner, { maxBatchTokens: batchTokens });
  await row(`pagoda batcher, requests of ${requestSize}`, async (list) => {
    const requests = [];
    for (let i = 0; i < list.length; i += requestSize) requests.push(batcher.embed(list.slice(i, i + requestSize)));
    await Promise.all(requests);
  });
  for (const budget of batchTokenLevels) {
    await row(`one shared decode per ${budget}-token batch (potential)`, async (list) => {
      for (const batch of packBatches(list, budget)) await probes.sharedDecode(batch);
    });
  }
  const [firstBatch] = packBatches(inputs, batchTokenLevels.at(-1));
  const sequenceZero = await probes.sharedDecode(firstBatch);
  const [alone] = await probes.runner.embed([firstBatch[0]]);
  const maxError = Math.max(...alone.map((value, i) => Math.abs(value - sequenceZero[i])));
  console.log(`| ${preset} | shared decode vs alone: max abs difference of an input's raw pooled vector | ${maxError.toExponential(2)} | | |`);
  await probes.close();
}

function makeInputs(probes, random) {
  const { begin, end } = probes.specialTokens;
  return Array.from({ length: numInputs }, () => {
    const length = Math.min(probes.trainContextLength, minTokens + Math.floor(random.next() * (maxTokens - minTokens + 1)));
    const body = Array.from({ length: length - (begin === null ? 0 : 1) - (end === null ? 0 : 1) }, () => 1000 + Math.floor(random.next() * 20000));
    return [...(begin === null ? [] : [begin]), ...body, ...(end === null ? [] : [end])];
  });
}

function packBatches(list, batchTokens) {
  const batches = [];
  let current = [];
  let size = 0;
  for (const tokens of list) {
    if (current.length > 0 && (size + tokens.length > batchTokens || current.length === maxSequences)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(tokens);
    size += tokens.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
