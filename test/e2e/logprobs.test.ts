/**
 * Logprobs and the vLLM sampling extras against the real server on the tiny
 * generated model: shapes, raw-distribution semantics (independent of the
 * sampling parameters), sums to one over the whole vocabulary, echo and
 * prompt logprobs, seeds under concurrency on every sampling path, and 400s.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;
const maxModelLen = 512;

  // --max-logprobs above the vocabulary: a request can see the whole distribution.
// Batch invariance (a sequence's output does not depend on what else runs) holds
// with a fixed KV share per sequence, not in the shared pool: there a sequence's
// cells interleave with others' and llama.cpp's float sums run in another
// order, as with llama-server -kvu. These tests run without the pool.
useServer({ args: ["--no-kv-pool", "--max-model-len", String(maxModelLen), "--max-num-seqs", "8", "--max-logprobs", "100000"] }, (served) => ({ server, client, model } = served));

type Body = Record<string, unknown>;
const complete = (body: Body) => client.completions.create({ model, prompt: "Once upon a time", ...body } as OpenAI.CompletionCreateParamsNonStreaming);
const chat = (body: Body) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content: "Tell me a story" }], ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming);
type PromptLogprobs = Array<Record<string, { logprob: number; rank: number | null; decoded_token: string }> | null>;

test("chat logprobs: one entry per token, bytes of the token, greedy picks the top alternative", async () => {
  const response = await chat({ max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3, ignore_eos: true });
  const entries = response.choices[0].logprobs?.content;
  assert.ok(entries);
  assert.equal(entries.length, response.usage?.completion_tokens);
  for (const entry of entries) {
    assert.equal(entry.top_logprobs.length, 3);
    assert.ok(entry.logprob <= 0);
    assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, "utf8")]);
    assert.equal(entry.logprob, entry.top_logprobs[0].logprob, "greedy token = most likely");
    assert.ok(entry.top_logprobs.every((alternative, i) => i === 0 || alternative.logprob <= entry.top_logprobs[i - 1].logprob));
  }
});

test("streamed chat logprobs concatenate to the non-streamed ones", async () => {
  const body = { max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 2, ignore_eos: true };
  const whole = (await chat(body)).choices[0].logprobs?.content ?? [];
  const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Tell me a story" }], stream: true, ...body } as OpenAI.ChatCompletionCreateParamsStreaming);
  const streamed = [];
  for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(streamed, whole);
});

test("logprobs sum to one over the whole vocabulary, and do not depend on temperature, filters or biases (raw distribution)", async () => {
  const first = async (body: Body) => (await complete({ max_tokens: 1, ...body })).choices[0];
  const all = await chat({ max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 100000 });
  const top = all.choices[0].logprobs!.content![0].top_logprobs;
  const total = top.reduce((sum, alternative) => sum + Math.exp(alternative.logprob), 0);
  assert.ok(top.length > 100, `the whole vocabulary (${top.length} tokens)`);
  assert.ok(Math.abs(total - 1) < 1e-3, `sum of probabilities ${total}`);

  const greedy = await first({ temperature: 0, prompt_logprobs: 5 });
  const hot = await first({ temperature: 1.7, top_p: 0.5, top_k: 7, min_p: 0.01, repetition_penalty: 1.3, seed: 1, prompt_logprobs: 5 });
  const prompts = (choice: object) => (choice as { prompt_logprobs: PromptLogprobs }).prompt_logprobs;
  assert.deepEqual(prompts(hot), prompts(greedy));
  assert.equal(prompts(greedy)[0], null);
});

test("completions logprobs: the sampled token plus top-N in a map, text offsets line up with the text", async () => {
  const { choices } = await complete({ max_tokens: 5, temperature: 0, logprobs: 2, ignore_eos: true });
  const { tokens, token_logprobs, top_logprobs, text_offset } = choices[0].logprobs!;
  assert.equal(tokens!.length, 5);
  // Only printable ASCII tokens spell the text exactly: a multi-byte character split over byte tokens shows as U+FFFD per token.
  if (tokens!.every((token) => /^[\x20-\x7e]*$/.test(token))) assert.equal(tokens!.join(""), choices[0].text, "tokens spell the text");
  text_offset!.forEach((offset, i) => assert.equal(offset, tokens!.slice(0, i).join("").length));
  top_logprobs!.forEach((map, i) => {
    assert.ok(Object.keys(map).length >= 1 && Object.keys(map).length <= 3);
    assert.equal(Math.max(...Object.values(map)), token_logprobs![i], "greedy: the sampled token is the most likely");
  });
});

test("echo with logprobs: the prompt's tokens come first, the first with no logprob", async () => {
  const prompt = "Once upon a time";
  const { choices, usage } = await complete({ prompt, max_tokens: 3, temperature: 0, logprobs: 1, echo: true, ignore_eos: true });
  const { tokens, token_logprobs, top_logprobs } = choices[0].logprobs!;
  assert.ok(choices[0].text.startsWith(prompt));
  assert.equal(tokens!.length, usage!.prompt_tokens + 3);
  assert.equal(token_logprobs![0], null);
  assert.equal(top_logprobs![0], null);
  assert.ok(token_logprobs!.slice(1).every((value) => typeof value === "number" && value <= 0));
  // Echo without logprobs: just the text.
  const plain = await complete({ prompt, max_tokens: 2, temperature: 0, echo: true });
  assert.ok(plain.choices[0].text.startsWith(prompt));
  assert.equal(plain.choices[0].logprobs, null);
});

test("return_tokens_as_token_ids writes tokens as token_id:N", async () => {
  const response = await chat({ max_tokens: 2, temperature: 0, logprobs: true, top_logprobs: 1, return_tokens_as_token_ids: true });
  for (const entry of response.choices[0].logprobs!.content!) assert.match(entry.token, /^token_id:\d+$/);
});

test("top_p and top_k of 1 token, and min_p 1, all give the greedy output; temperature is applied before top_p", async () => {
  const body = { max_tokens: 12, ignore_eos: true, seed: 5 };
  const greedy = (await complete({ ...body, temperature: 0 })).choices[0].text;
  for (const filters of [{ top_k: 1 }, { min_p: 1 }, { top_p: 1e-6, temperature: 1.5 }]) {
    assert.equal((await complete({ ...body, temperature: 1, ...filters })).choices[0].text, greedy, JSON.stringify(filters));
  }
  // vLLM's order: a very low temperature makes the top token hold all the mass, so top_p 0.5 keeps only it.
  assert.equal((await complete({ ...body, temperature: 0.01, top_p: 0.5 })).choices[0].text, greedy);
});

test("the same seed gives the same output under concurrent load, on every sampling path", async () => {
  const paths: Body[] = [
    { temperature: 1 },
    { temperature: 0.8, top_p: 0.9 },
    { temperature: 1.2, top_k: 20, min_p: 0.02 },
    { temperature: 0.9, repetition_penalty: 1.2, presence_penalty: 0.5 },
  ];
  for (const path of paths) {
    const body = { ...path, max_tokens: 16, ignore_eos: true, seed: 11 };
    const alone = (await complete(body)).choices[0].text;
    const noise = Array.from({ length: 5 }, (_, i) => complete({ ...path, max_tokens: 16, ignore_eos: true, seed: 100 + i }));
    const together = await Promise.all([complete(body), complete(body), ...noise]);
    assert.equal(together[0].choices[0].text, alone, JSON.stringify(path));
    assert.equal(together[1].choices[0].text, alone, JSON.stringify(path));
  }
});

test("bad_words: a banned word never appears, the greedy output changes", async () => {
  const body = { max_tokens: 1, temperature: 0 };
  for (const prompt of ["1 2 3", "Hello", "a b c d", "The capital of France is"]) {
    const first = (await complete({ ...body, prompt })).choices[0].text;
    if (first.trim() === "" || first.includes("\uFFFD")) continue;
    // By token: another token (a merge) may still start with the same text.
    const banned = (await complete({ ...body, prompt, max_tokens: 8, bad_words: [first], logprobs: 0 })).choices[0];
    assert.notEqual(banned.logprobs!.tokens![0], first, `${JSON.stringify(first)} came back: ${JSON.stringify(banned.text)}`);
    return;
  }
  assert.fail("no prompt with a printable greedy first token");
});

test("truncate_prompt_tokens keeps the last N prompt tokens", async () => {
  const response = await complete({ prompt: "one two three four five six seven eight nine ten", max_tokens: 1, truncate_prompt_tokens: 5 });
  assert.equal(response.usage?.prompt_tokens, 5);
});

test("continue_final_message continues the assistant's last turn; chat echo repeats it", async () => {
  const messages = [
    { role: "user", content: "Say hi" },
    { role: "assistant", content: "Hi there, my name" },
  ];
  const response = await chat({ messages, max_tokens: 3, continue_final_message: true, add_generation_prompt: false, echo: true });
  assert.ok(response.choices[0].message.content?.startsWith("Hi there, my name"));
});

test("bad values are 400s naming the parameter, and the server goes on", async () => {
  const cases: Array<[() => Promise<unknown>, string]> = [
    [() => chat({ logprobs: true, top_logprobs: 100001 }), "top_logprobs"],
    [() => chat({ top_logprobs: 2 }), "top_logprobs"],
    [() => complete({ logprobs: 100001 }), "logprobs"],
    [() => complete({ prompt_logprobs: 100001 }), "prompt_logprobs"],
    [() => complete({ truncate_prompt_tokens: maxModelLen + 1 }), "truncate_prompt_tokens"],
    [() => complete({ truncate_prompt_tokens: 0 }), "truncate_prompt_tokens"],
    [() => chat({ continue_final_message: true }), "continue_final_message"],
    [() => complete({ best_of: 2 }), "best_of"],
    [() => complete({ use_beam_search: true }), "use_beam_search"],
    [() => complete({ temperature: -1 }), "temperature"],
    [() => complete({ top_p: 0 }), "top_p"],
    [() => complete({ top_k: -2 }), "top_k"],
    [() => complete({ min_p: 1.5 }), "min_p"],
    [() => complete({ presence_penalty: 3 }), "presence_penalty"],
    [() => complete({ repetition_penalty: 0 }), "repetition_penalty"],
    [() => complete({ n: 0 }), "n"],
  ];
  for (const [call, param] of cases) {
    await assert.rejects(call(), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 400, param);
      assert.equal((error.error as { param?: string }).param, param);
      return true;
    });
  }
  assert.equal((await complete({ max_tokens: 1 })).choices.length, 1);
});

test("top_p at a temperature samples exactly vLLM's nucleus: every draw inside it, frequencies as its probabilities", async () => {
  // Hot and wide: the nucleus has more tokens than the 256 candidates, so the flat-distribution (rejection) path runs.
  const temperature = 3;
  const topP = 0.95;
  const prompt = "Once upon a time";
  // The raw distribution of the first token, over the whole vocabulary.
  const all = await complete({ prompt, max_tokens: 1, temperature: 0, logprobs: 100000, return_tokens_as_token_ids: true });
  const raw = Object.entries(all.choices[0].logprobs!.top_logprobs![0]).map(([token, logprob]) => ({ token, logprob }));
  raw.sort((a, b) => b.logprob - a.logprob);
  const scaled = raw.map(({ logprob }) => logprob / temperature);
  const max = scaled[0];
  const weights = scaled.map((value) => Math.exp(value - max));
  const total = weights.reduce((a, b) => a + b, 0);
  const nucleus = new Map<string, number>();
  let above = 0;
  for (let i = 0; i < raw.length && above < topP; i++) {
    nucleus.set(raw[i].token, weights[i] / total);
    above += weights[i] / total;
  }
  assert.ok(nucleus.size > 256, `a nucleus wider than the candidates (${nucleus.size} of ${raw.length} tokens)`);
  const draws: string[] = [];
  for (let seed = 0; seed < 6; seed++) {
    const response = await complete({ prompt, max_tokens: 1, temperature, top_p: topP, n: 100, seed, logprobs: 0, return_tokens_as_token_ids: true });
    for (const choice of response.choices) draws.push(choice.logprobs!.tokens![0]);
  }
  const outside = draws.filter((token) => !nucleus.has(token));
  assert.deepEqual(outside, [], "no draw outside the nucleus");
  // The nucleus's more likely half (by mass) should take about half the draws.
  const nucleusMass = [...nucleus.values()].reduce((a, b) => a + b, 0);
  let mass = 0;
  const upperHalf = new Set<string>();
  for (const [token, p] of nucleus) {
    if (mass >= nucleusMass / 2) break;
    upperHalf.add(token);
    mass += p;
  }
  const expected = mass / nucleusMass;
  const observed = draws.filter((token) => upperHalf.has(token)).length / draws.length;
  assert.ok(Math.abs(observed - expected) < 0.1, `upper half drawn ${observed.toFixed(3)} of the time, expected ${expected.toFixed(3)}`);
});
