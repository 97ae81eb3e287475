/** The client snippets, in JS, against the real server with the official `openai` client. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type OpenAI from "openai";
import { readSse, useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

// Batch invariance (a sequence's output does not depend on what else runs) holds
// with a fixed KV share per sequence, not in the shared pool: there a sequence's
// cells interleave with others' and llama.cpp's float sums run in another
// order, as with llama-server -kvu. These tests run without the pool.
useServer({ args: ["--no-kv-pool", "--max-model-len", "256", "--max-num-seqs", "16", "--served-model-name", "tiny", "alias-b"] }, (served) => ({ server, client, model } = served));

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Who won the world series in 2020?" },
];

test("models.list reports the first served name with max_model_len", async () => {
  const list = await client.models.list();
  assert.deepEqual(
    list.data.map((m) => m.id),
    ["tiny", "alias-b"],
  );
  const first = list.data[0] as OpenAI.Model & { max_model_len: number };
  assert.equal(first.object, "model");
  assert.equal(first.owned_by, "pagoda");
  assert.equal(typeof first.created, "number");
  assert.equal(first.max_model_len, 256);
});

test("the vLLM quickstart snippet: a chat completion with usage", async () => {
  const r = await client.chat.completions.create({ model, messages, temperature: 0.7, max_tokens: 20 });
  assert.equal(r.object, "chat.completion");
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, "tiny");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage);
  assert.ok(r.usage.prompt_tokens > 10);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 20);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  if (r.choices[0].finish_reason === "length") assert.equal(r.usage.completion_tokens, 20);
});

test("an alias is served under its own name", async () => {
  const r = await client.chat.completions.create({ model: "alias-b", messages, max_tokens: 2 });
  assert.equal(r.model, "alias-b");
});

test("multi-turn history goes through the template and costs more prompt tokens", async () => {
  const short = await client.chat.completions.create({ model, messages, max_tokens: 1 });
  const long = await client.chat.completions.create({
    model,
    max_tokens: 1,
    messages: [...messages, { role: "assistant", content: "The Dodgers." }, { role: "user", content: "Where was it played?" }],
  });
  assert.ok(long.usage!.prompt_tokens > short.usage!.prompt_tokens + 8);
});

test("text parts are joined with newlines, as vLLM does", async () => {
  const asString = await client.chat.completions.create({
    model,
    max_tokens: 8,
    temperature: 0,
    messages: [messages[0], { role: "user", content: "Who won the world series\nin 2020?" }],
  });
  const asParts = await client.chat.completions.create({
    model,
    max_tokens: 8,
    temperature: 0,
    messages: [
      { role: "system", content: [{ type: "text", text: "You are a helpful assistant." }] },
      { role: "user", content: [{ type: "text", text: "Who won the world series" }, { type: "text", text: "in 2020?" }] },
    ],
  });
  assert.equal(asParts.usage!.prompt_tokens, asString.usage!.prompt_tokens);
  assert.equal(asParts.choices[0].message.content, asString.choices[0].message.content);
});

test("streaming: role first, one id, content deltas, finish_reason last, usage chunk", async () => {
  const stream = await client.chat.completions.create({
    model,
    messages,
    max_tokens: 12,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.equal(chunks[0].choices[0].delta.content, "");
  const withChoices = chunks.filter((c) => c.choices.length > 0);
  const finishes = withChoices.filter((c) => c.choices[0].finish_reason !== null);
  assert.equal(finishes.length, 1);
  assert.equal(finishes[0], withChoices[withChoices.length - 1]);
  const usageChunk = chunks[chunks.length - 1];
  assert.deepEqual(usageChunk.choices, []);
  assert.ok(usageChunk.usage);
  for (const chunk of chunks) assert.equal(chunk.object, "chat.completion.chunk");

  const streamedText = withChoices.map((c) => c.choices[0].delta.content ?? "").join("");
  const whole = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
  assert.equal(streamedText, whole.choices[0].message.content);
  const { prompt_tokens, completion_tokens, total_tokens } = whole.usage!;
  assert.deepEqual({ ...usageChunk.usage, prompt_tokens_details: undefined }, { prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details: undefined });
});

test("the raw SSE stream ends with [DONE] and has no usage chunk unless asked", async () => {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages, max_tokens: 4, stream: true }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const frames = await readSse(response);
  assert.equal(frames[frames.length - 1], "[DONE]");
  for (const frame of frames.slice(0, -1)) assert.ok(JSON.parse(frame).choices.length > 0);
});

test("the same seed gives the same output; unseeded requests differ", async () => {
  const ask = (seed?: number) =>
    client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 1, ...(seed === undefined ? {} : { seed }) });
  const [a, b] = await Promise.all([ask(1234), ask(1234)]);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const unseeded = await Promise.all([ask(), ask(), ask()]);
  const texts = new Set(unseeded.map((r) => r.choices[0].message.content));
  assert.ok(texts.size > 1, "three unseeded requests all gave the same text");
});

test("n choices come back with their own index", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 6, n: 3, seed: 7 });
  assert.deepEqual(
    r.choices.map((c) => c.index),
    [0, 1, 2],
  );
  const { completion_tokens } = r.usage!;
  assert.ok(completion_tokens >= 3 && completion_tokens <= 18, `completion_tokens ${completion_tokens} is not the sum over 3 choices`);
  if (r.choices.every((c) => c.finish_reason === "length")) assert.equal(completion_tokens, 18);
});

test("a stop string never reaches the output, streamed or not", async () => {
  // ignore_eos: the text must be long enough to pick a stop string from, whatever the host's greedy path.
  const base = await client.chat.completions.create({ model, messages, max_tokens: 40, temperature: 0, stop: [], ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  const text = base.choices[0].message.content ?? "";
  const codePoints = [...text];
  assert.ok(codePoints.length >= 6, `too little text to pick a stop string from: ${JSON.stringify(text)}`);
  const stop = codePoints.slice(3, 5).join("");
  const expected = text.slice(0, text.indexOf(stop));
  const cut = await client.chat.completions.create({ model, messages, max_tokens: 40, temperature: 0, stop: [stop], ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  assert.equal(cut.choices[0].message.content, expected);
  assert.equal(cut.choices[0].finish_reason, "stop");
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 40, temperature: 0, stop, stream: true, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsStreaming);
  let streamed = "";
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
  assert.equal(streamed, expected);
});

test("16 concurrent streams each equal their single-stream greedy output", async () => {
  const prompts = Array.from({ length: 16 }, (_, i) => `Question number ${i}: what is ${i} + ${i}?`);
  const ask = async (content: string) => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content }], max_tokens: 16, temperature: 0, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    return text;
  };
  const alone: string[] = [];
  for (const prompt of prompts) alone.push(await ask(prompt));
  const together = await Promise.all(prompts.map(ask));
  assert.deepEqual(together, alone);
});

test("a presence/frequency penalty changes greedy output", async () => {
  const body = { model, messages, max_tokens: 40, temperature: 0, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming;
  const plain = await client.chat.completions.create(body);
  const penalized = await client.chat.completions.create({ ...body, frequency_penalty: 2, presence_penalty: 2 });
  assert.notEqual(penalized.choices[0].message.content, plain.choices[0].message.content);
});

test("a non-zero priority needs --scheduling-policy priority", async () => {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages, max_tokens: 2, priority: 3 }),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { error: { param: string; type: string } };
  assert.equal(body.error.param, "priority");
  assert.equal(body.error.type, "invalid_request_error");
  const zero = await client.chat.completions.create({ model, messages, max_tokens: 2, priority: 0 } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  assert.equal(zero.choices.length, 1);
});
