#!/usr/bin/env node
// Per-token cost of JSON-schema-constrained decoding, engine level (no HTTP):
// C concurrent sequences (~128-token prompts) generate --output tokens each,
// once unconstrained and once under a grammar compiled from a JSON schema,
// and the decode step time after all prompts are in is compared. Usage:
//   npm run build && UV_THREADPOOL_SIZE=1 node scripts/bench-structured.mjs MODEL.gguf [--threads 2] [--concurrency 16] [--output 128] [--temperature 1] [--rounds 2] [--constraint records|anything]
// Each constraint keeps the grammar active for the whole run, so every sampled
// token goes through llama.cpp's grammar check, which tests the drawn token
// first and runs over the whole vocabulary only when it is rejected.
// "records" (a JSON array of records) is mostly structure: a random-weight
// model's draw almost never fits it, so nearly every token pays the pass over
// the whole vocabulary. "anything" (a grammar taking
// any text) accepts every draw: the cost of the check alone, which is what a
// model pays on the tokens where it proposes a valid one.
import { samplingParams } from "../dist/src/engine/types.js";
import { parseArgs } from "node:util";
import { Engine } from "../dist/src/engine/engine.js";
import { LlamaRunner } from "../dist/src/runner/llama-runner.js";
import { jsonSchemaToGbnf } from "../dist/src/structured/json-schema-to-gbnf.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: "string", default: "2" },
    concurrency: { type: "string", default: "16" },
    output: { type: "string", default: "128" },
    temperature: { type: "string", default: "1" },
    rounds: { type: "string", default: "2" },
    constraint: { type: "string", default: "records" },
  },
});
const modelPath = positionals[0];
if (!modelPath) throw new Error("usage: node scripts/bench-structured.mjs MODEL.gguf [--concurrency 16] [--output 128]");
const numSequences = Number(values.concurrency);
const maxTokens = Number(values.output);

const records = {
  type: "array",
  maxItems: 1000,
  items: {
    type: "object",
    properties: {
      name: { type: "string", maxLength: 24 },
      age: { type: "integer", minimum: 0, maximum: 120 },
      email: { type: "string", format: "email" },
      role: { enum: ["admin", "user", "guest"] },
      tags: { type: "array", items: { type: "string", maxLength: 12 }, maxItems: 4 },
    },
    required: ["name", "age", "role"],
  },
};
const grammars = { records: jsonSchemaToGbnf(records), anything: "root ::= [^\\x00]*" };
const grammar = grammars[values.constraint];
if (!grammar) throw new Error(`--constraint: one of ${Object.keys(grammars).join(", ")}, not ${values.constraint}`);

const runner = await LlamaRunner.load({ modelPath, numSlots: numSequences, resolveSlotCapacity: () => 1024, maxBatchTokens: 512, threads: Number(values.threads) });
const engine = new Engine(runner, { maxNumBatchedTokens: 512, maxWaitingRequests: 1000, enablePrefixCaching: false });
const baseParams = samplingParams({ maxTokens, temperature: Number(values.temperature), seed: 1, ignoreEos: true });
const words = "the quick brown fox jumps over a lazy dog while seven wizards quietly hum".split(" ");
const prompts = Array.from({ length: numSequences }, (_, i) =>
  runner.tokenize(`#${i} ` + Array.from({ length: 120 }, (_, j) => words[(i * 5 + j * 3) % words.length]).join(" "), { parseSpecialTokens: false }).slice(0, 128),
);

let id = 0;
/** Milliseconds per decode step once every sequence has its first token (all sequences decode in each step). */
async function measure(grammarOrNull) {
  const params = { ...baseParams, grammar: grammarOrNull };
  const start = performance.now();
  let allStartedAt = 0;
  let numEnded = 0;
  await Promise.all(
    prompts.map(async (promptTokens, i) => {
      let isFirst = true;
      for await (const output of engine.generate({ requestId: `s${id++}`, promptTokens, params: { ...params, seed: i + 1 } })) {
        if (isFirst && output.choices.some((choice) => choice.tokenIds.length > 0)) {
          isFirst = false;
          allStartedAt = Math.max(allStartedAt, performance.now());
        }
      }
      numEnded++;
    }),
  );
  const end = performance.now();
  return { stepMs: (end - allStartedAt) / (maxTokens - 1), totalS: (end - start) / 1000, numEnded };
}

const results = { unconstrained: [], constrained: [] };
for (let round = 0; round < Number(values.rounds); round++) {
  results.unconstrained.push(await measure(null));
  results.constrained.push(await measure(grammar));
}
const best = (list) => Math.min(...list.map((r) => r.stepMs));
const plain = best(results.unconstrained);
const constrained = best(results.constrained);
console.log(`model ${modelPath}, ${numSequences} sequences, ${maxTokens} tokens each, temperature ${values.temperature}, constraint ${values.constraint}, best of ${values.rounds} rounds`);
console.log(`unconstrained: ${plain.toFixed(2)} ms/step (${((numSequences * 1000) / plain).toFixed(1)} tok/s)`);
console.log(`constrained:   ${constrained.toFixed(2)} ms/step (${((numSequences * 1000) / constrained).toFixed(1)} tok/s)`);
console.log(`overhead: ${(((constrained - plain) / plain) * 100).toFixed(1)}% per token`);
await engine.stop();
await runner.close();
