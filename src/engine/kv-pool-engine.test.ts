/**
 * The engine over a shared KV pool (FakeRunner's kvPoolCells, which fails a
 * forward pass that overfills the pool as llama.cpp's decode does): admission
 * by free cells, preemption with recompute, usage, prefix sharing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Engine } from "./engine.js";
import { FakeRunner, type FakeRunnerOptions } from "./fake-runner.js";
import { samplingParams } from "./types.js";
import type { RequestOutput, SamplingParams } from "./types.js";

/** A "model" whose next token depends on every token so far: a wrong recompute shows. */
const sumNext = (tokens: readonly number[]) => 97 + (tokens.reduce((a, b) => a + b, 0) % 26);
const ids = (text: string) => [...text].map((c) => c.charCodeAt(0));

function setup(runnerOptions: FakeRunnerOptions) {
  const runner = new FakeRunner({ next: sumNext, ...runnerOptions });
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 100, enablePrefixCaching: true });
  return { runner, engine };
}

async function textOf(outputs: AsyncIterable<RequestOutput>): Promise<{ text: string; finishReason: string | null; cached: number }> {
  let text = "";
  let finishReason: string | null = null;
  let cached = 0;
  for await (const output of outputs) {
    cached = output.numCachedPromptTokens;
    for (const choice of output.choices) {
      text += choice.text;
      finishReason = choice.finishReason ?? finishReason;
    }
  }
  return { text, finishReason, cached };
}

const greedy = (maxTokens: number): SamplingParams => samplingParams({ maxTokens, temperature: 0, seed: 1, ignoreEos: true });
const prompts = ["hello", "world", "pagoda", "cells"];

async function runAll(runnerOptions: FakeRunnerOptions, maxTokens: number) {
  const { runner, engine } = setup(runnerOptions);
  const results = await Promise.all(prompts.map((prompt, i) => textOf(engine.generate({ requestId: `r${i}`, promptTokens: ids(prompt), params: greedy(maxTokens) }))));
  const stats = engine.stats();
  await engine.stop();
  return { results, stats, runner };
}

test("a pool too small for every sequence at once preempts and recomputes: greedy output identical, nothing fails", async () => {
  const unconstrained = await runAll({ numSlots: 4 }, 30);
  const pooled = await runAll({ numSlots: 4, kvPoolCells: 60 }, 30);
  assert.ok(pooled.stats.preemptionsTotal > 0, "the pool was big enough: no preemption was tested");
  assert.deepEqual(pooled.results, unconstrained.results);
  for (const { finishReason, text } of pooled.results) {
    assert.equal(finishReason, "length");
    assert.equal(text.length, 30);
  }
});

test("a prompt waits for free cells instead of being refused, and runs when they free up", async () => {
  const { engine, runner } = setup({ numSlots: 2, kvPoolCells: 40, slotCapacity: 40 });
  const first = textOf(engine.generate({ requestId: "a", promptTokens: ids("abcdefghij"), params: greedy(20) }));
  const second = textOf(engine.generate({ requestId: "b", promptTokens: ids("klmnopqrstuvwxyzabcdefghij"), params: greedy(10) }));
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.text.length, 20);
  assert.equal(b.text.length, 10);
  assert.ok(runner.kvPool!.numUsed <= 40);
  await engine.stop();
});

test("kv_cache_usage is the cells running sequences hold over the pool; a finished one's cached prefix does not count", async () => {
  const { engine } = setup({ numSlots: 2, kvPoolCells: 100 });
  const stream = engine.generate({ requestId: "a", promptTokens: ids("abcdefghij"), params: greedy(5) });
  const seen: number[] = [];
  for await (const output of stream) if (output.choices.length > 0) seen.push(engine.stats().kvCacheUsage);
  assert.ok(seen.some((usage) => usage >= 0.1 && usage <= 0.15), `usage while running: ${seen}`);
  assert.equal(engine.stats().kvCacheUsage, 0);
  await engine.stop();
});

test("the prefix cache works across slots of the pool: a shared prefix is reported cached and its cells are held once", async () => {
  const { engine, runner } = setup({ numSlots: 4, kvPoolCells: 200 });
  const system = "you are a helpful assistant who answers briefly ";
  await textOf(engine.generate({ requestId: "warm", promptTokens: ids(system + "hi"), params: greedy(1) }));
  const [a, b] = await Promise.all(
    ["what is a pagoda", "what is a cell"].map((question, i) => textOf(engine.generate({ requestId: `q${i}`, promptTokens: ids(system + question), params: greedy(3) }))),
  );
  assert.ok(a.cached >= system.length && b.cached >= system.length, `cached ${a.cached}, ${b.cached}`);
  assert.ok(runner.copies.length > 0);
  assert.ok(runner.kvPool!.numUsed < 3 * system.length, `the shared prefix was held more than once: ${runner.kvPool!.numUsed} cells`);
  await engine.stop();
});

test("free slots' cached prefixes are evicted before any running sequence is preempted", async () => {
  const { engine } = setup({ numSlots: 4, kvPoolCells: 50 });
  for (const [i, prompt] of ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"].entries()) {
    await textOf(engine.generate({ requestId: `old${i}`, promptTokens: ids(prompt), params: greedy(1) }));
  }
  const result = await textOf(engine.generate({ requestId: "new", promptTokens: ids("cccccccccccccccccccccccccccccc"), params: greedy(10) }));
  assert.equal(result.text.length, 10);
  assert.equal(engine.stats().preemptionsTotal, 0);
  await engine.stop();
});
