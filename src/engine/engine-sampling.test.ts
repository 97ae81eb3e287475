/** The engine's side of sampling constraints on the fake runner: min_tokens, logit_bias, allowed tokens, bad words, logprobs, grammars, the penalty window. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeRunner, fakeEos } from "./fake-runner.js";
import type { ModelRunner } from "./model-runner.js";
import { collect, greedy, ids, setup } from "./engine-test-kit.js";

const biasOf = (runner: FakeRunner) => runner.batches.flat().filter((item) => item.sample).map((item) => item.sample!.config.logitBias);

test("min_tokens bans EOS until the choice has that many tokens, then lifts the ban", async () => {
  const next = (tokens: readonly number[]) => (tokens.length >= 5 ? fakeEos : 107);
  const { engine, runner } = setup({ next });
  const params = { ...greedy, maxTokens: 10, minTokens: 4 };
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("abc"), params }));
  assert.deepEqual(result.finishReasons, ["stop"]);
  assert.equal(result.last.numCompletionTokens, 5, "4 tokens, then EOS");
  const biases = biasOf(runner);
  assert.equal(biases.length, 5);
  assert.deepEqual([...biases[0]!.tokenIds], [fakeEos]);
  assert.deepEqual([...biases[0]!.biases], [-Infinity]);
  assert.ok(biases.slice(0, 4).every((bias) => bias === biases[0]), "the same bias object while it is unchanged");
  assert.equal(biases[4], null, "no bias once min_tokens is reached");
  await engine.stop();
});

test("min_tokens also bans stop_token_ids; ignore_eos leaves EOS alone", async () => {
  const { engine, runner } = setup();
  const params = { ...greedy, minTokens: 3, stopTokenIds: [99] };
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params }));
  assert.deepEqual(result.texts, ["abdef"], "'c' (99) is banned for the third token");
  assert.deepEqual(result.finishReasons, ["length"]);
  await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: { ...params, ignoreEos: true } }));
  assert.deepEqual([...biasOf(runner).at(-5)!.tokenIds], [99]);
  await engine.stop();
});

test("min_tokens without a max_tokens cap still stops at EOS right after", async () => {
  const next = (tokens: readonly number[]) => (tokens.length >= 2 ? fakeEos : 107);
  const { engine } = setup({ next });
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("a"), params: { ...greedy, maxTokens: 50, minTokens: 7 } }));
  assert.equal(result.last.numCompletionTokens, 8);
  assert.deepEqual(result.finishReasons, ["stop"]);
  await engine.stop();
});

test("logit_bias reaches the runner: -100 avoids a token, +100 forces one", async () => {
  const { engine, runner } = setup();
  const banned = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, logitBias: new Map([[98, -100]]) } }));
  assert.deepEqual(banned.texts, ["acdef"]);
  assert.deepEqual([...biasOf(runner)[0]!.biases], [-100]);
  const forced = await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: { ...greedy, logitBias: new Map([[120, 100]]) } }));
  assert.deepEqual(forced.texts, ["xxxxx"]);
  await engine.stop();
});

test("allowed_token_ids bans every other token, with one bias object per request", async () => {
  const { engine, runner } = setup();
  const params = { ...greedy, n: 2, allowedTokenIds: [97, 98] };
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params }));
  assert.deepEqual(result.texts, ["ababa", "ababa"]);
  const biases = biasOf(runner);
  assert.equal(biases[0]!.tokenIds.length, runner.info.vocabSize - 2);
  assert.ok(biases.every((bias) => bias === biases[0]), "built once, shared by the choices");
  await engine.stop();
});

test("logprobs ride along with each choice's tokens, one per token, in order", async () => {
  const { engine } = setup();
  const logprobs: number[] = [];
  const tokens: number[] = [];
  for await (const output of engine.generate({ requestId: "a", promptTokens: ids("xyz"), params: { ...greedy, logprobs: 2 } })) {
    for (const choice of output.choices) {
      tokens.push(...choice.tokenIds);
      for (const entry of choice.logprobs ?? []) {
        logprobs.push(entry.token);
        assert.equal(entry.top.length, 2);
      }
    }
  }
  assert.deepEqual(logprobs, tokens);
  assert.deepEqual(tokens, ids("abcde"));
  await engine.stop();
});

test("prompt logprobs: the whole prompt is computed even when its prefix is cached, one entry per token", async () => {
  const { runner, engine } = setup();
  await collect(engine.generate({ requestId: "warm", promptTokens: ids("hello world"), params: greedy }));
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("hello world"), params: { ...greedy, promptLogprobs: 1 } }));
  assert.equal(result.last.numCachedPromptTokens, 0);
  const entries = result.last.promptLogprobs;
  assert.ok(entries);
  assert.equal(entries.length, "hello world".length);
  assert.equal(entries[0], null);
  assert.deepEqual(entries.slice(1).map((entry) => entry?.token), ids("ello world"));
  const lastBatch = runner.batches.at(-1)!;
  assert.ok(lastBatch.every((item) => item.promptLogprobs === undefined), "decode steps ask for no prompt logprobs");
  await engine.stop();
});

test("prompt logprobs across prefill chunks: the token after each chunk's last position is scored", async () => {
  const { engine } = setup({}, { maxNumBatchedTokens: 4 });
  const prompt = ids("abcdefghij");
  const result = await collect(engine.generate({ requestId: "a", promptTokens: prompt, params: { ...greedy, maxTokens: 1, promptLogprobs: 0 } }));
  assert.deepEqual(result.last.promptLogprobs?.map((entry) => entry?.token ?? null), [null, ...prompt.slice(1)]);
  await engine.stop();
});

test("bad words: a one-token word is never sampled; a longer word's last token is banned after its prefix", async () => {
  const { runner, engine } = setup();
  // The fake continues the alphabet: "b" banned outright, and "d" after "c".
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, maxTokens: 4, badWords: [ids("b"), ids("cd")] } }));
  assert.equal(result.texts[0].includes("b"), false);
  assert.equal(result.texts[0].includes("cd"), false);
  assert.ok(runner.batches.length > 0);
  await engine.stop();
});

test("stop strings are not looked for in the text of the first min_tokens tokens (vLLM)", async () => {
  const { engine } = setup();
  const early = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, maxTokens: 8, stop: ["b"], minTokens: 3 } }));
  assert.deepEqual(early.texts, ["abcdefgh"]);
  const later = await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: { ...greedy, maxTokens: 8, stop: ["e"], minTokens: 3 } }));
  assert.deepEqual(later.texts, ["abcd"]);
  await engine.stop();
});

test("a grammar reaches every sampled choice's config, and a runner's refusal fails the request before it runs", async () => {
  const { engine, runner } = setup();
  const grammar = 'root ::= "a"+';
  await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, n: 2, grammar } }));
  const sampled = runner.batches.flat().filter((item) => item.sample);
  assert.ok(sampled.length >= 2 && sampled.every((item) => item.sample!.config.grammar === grammar));
  (runner as ModelRunner).checkGrammar = (text: string) => {
    if (text === "bad") throw new Error("refused");
  };
  assert.throws(() => engine.generate({ requestId: "b", promptTokens: ids("z"), params: { ...greedy, grammar: "bad" } }), /refused/);
  assert.equal(engine.hasRequest("b"), false);
  await engine.stop();
});

test("bad words: the bias object is built again only when the banned set changes", async () => {
  const { runner, engine } = setup();
  // "b" is banned at every step; "d" only right after "c".
  await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, maxTokens: 8, badWords: [ids("b"), ids("cd")] } }));
  const biases = biasOf(runner);
  assert.equal(biases.length, 8);
  const distinct = new Set(biases);
  assert.ok(distinct.size <= 3, `${distinct.size} bias objects for 8 steps`);
  assert.deepEqual([...biases[0]!.tokenIds], [98]);
  await engine.stop();
});

test("the penalty window a runner reads is the prompt plus the output, grown in place", async () => {
  // The fake runner checks every sampled item's window against prompt + output.
  const { runner, engine } = setup();
  const prompt = ids("abcdefghijklmnop");
  await collect(engine.generate({ requestId: "a", promptTokens: prompt, params: { ...greedy, maxTokens: 40, repetitionPenalty: 1.2 } }));
  const windows = runner.batches.flat().filter((item) => item.sample).map((item) => item.sample!.tokenWindow);
  assert.equal(windows.length, 40);
  assert.equal(windows.at(-1)!.buffer, windows.at(-2)!.buffer, "the same buffer from step to step");
});

