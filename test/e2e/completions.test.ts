/** /v1/completions against the real server: prompts of every shape, n, streaming, stop, seeds. */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { readSse, useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", "512", "--max-num-seqs", "8"] }, (served) => ({ server, client, model } = served));

/** vLLM extras (ignore_eos, ...) go in the body as they would through `extra_body`. */
const complete = (body: Record<string, unknown>) => client.completions.create({ model, ...body } as OpenAI.CompletionCreateParamsNonStreaming);
const completeStream = (body: Record<string, unknown>) =>
  client.completions.create({ model, ...body, stream: true } as OpenAI.CompletionCreateParamsStreaming);

const prompt = "The capital of France is";

function assertUsage(usage: OpenAI.CompletionUsage | undefined): asserts usage is OpenAI.CompletionUsage {
  assert.ok(usage, "no usage");
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

test("a string prompt: text_completion, cmpl- id, text, usage; default max_tokens is 16", async () => {
  const r = await complete({ prompt });
  assert.equal(r.object, "text_completion");
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.model, model);
  assert.equal(typeof r.created, "number");
  assert.equal(r.choices.length, 1);
  const [choice] = r.choices;
  assert.equal(choice.index, 0);
  assert.equal(typeof choice.text, "string");
  assert.ok(["stop", "length"].includes(choice.finish_reason), choice.finish_reason);
  assertUsage(r.usage);
  assert.ok(r.usage.prompt_tokens >= 3, `prompt_tokens ${r.usage.prompt_tokens}`);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 16, `completion_tokens ${r.usage.completion_tokens}`);
  if (choice.finish_reason === "length") assert.equal(r.usage.completion_tokens, 16);
});

test("with ignore_eos the default max_tokens gives exactly 16 tokens and finish_reason length", async () => {
  for (const seed of [1, 2, 3, 4]) {
    const r = await complete({ prompt, ignore_eos: true, seed });
    assertUsage(r.usage);
    assert.equal(r.usage.completion_tokens, 16, `seed ${seed}`);
    assert.equal(r.choices[0].finish_reason, "length");
  }
  const explicit = await complete({ prompt, ignore_eos: true, max_tokens: 5 });
  assert.equal(explicit.usage!.completion_tokens, 5);
  assert.equal(explicit.choices[0].finish_reason, "length");
});

test("three string prompts with n=2 give six choices, indexed prompt-major, each its prompt's", async () => {
  const prompts = ["The capital of France is", "One, two, three,", "Hello world"];
  const r = await complete({ prompt: prompts, n: 2, max_tokens: 6, temperature: 0, ignore_eos: true });
  assert.equal(r.object, "text_completion");
  assert.deepEqual(
    r.choices.map((c) => c.index),
    [0, 1, 2, 3, 4, 5],
  );
  for (const choice of r.choices) assert.equal(choice.finish_reason, "length");
  assertUsage(r.usage);
  assert.equal(r.usage.completion_tokens, 3 * 2 * 6);

  // Greedy, so each choice equals its own prompt completed alone; prompt tokens count once per prompt.
  let promptTokens = 0;
  for (const [i, p] of prompts.entries()) {
    const alone = await complete({ prompt: p, max_tokens: 6, temperature: 0, ignore_eos: true });
    promptTokens += alone.usage!.prompt_tokens;
    assert.equal(r.choices[2 * i].text, alone.choices[0].text, `choice ${2 * i}`);
    assert.equal(r.choices[2 * i + 1].text, alone.choices[0].text, `choice ${2 * i + 1}`);
  }
  assert.equal(r.usage.prompt_tokens, promptTokens);
});

test("a token-id prompt works and is used as given", async () => {
  const r = await complete({ prompt: [1, 2, 3], max_tokens: 4, ignore_eos: true });
  assert.equal(r.choices.length, 1);
  assert.equal(typeof r.choices[0].text, "string");
  assertUsage(r.usage);
  assert.equal(r.usage.prompt_tokens, 3);
  assert.equal(r.usage.completion_tokens, 4);

  const text = await complete({ prompt: "abc", max_tokens: 4, temperature: 0 });
  const asIds = await complete({ prompt: [97, 98, 99], max_tokens: 4, temperature: 0 });
  assert.equal(asIds.usage!.prompt_tokens, 3);
  assert.equal(text.usage!.prompt_tokens, 3, "the byte-level vocab spells 'abc' as three tokens (no BOS)");
  assert.equal(asIds.choices[0].text, text.choices[0].text);
});

test("a list of token-id prompts gives one choice per prompt", async () => {
  const r = await complete({ prompt: [[1, 2, 3], [4, 5]], max_tokens: 2, ignore_eos: true });
  assert.deepEqual(
    r.choices.map((c) => c.index),
    [0, 1],
  );
  assert.equal(r.usage!.prompt_tokens, 5);
  assert.equal(r.usage!.completion_tokens, 4);
});

test("an out-of-vocabulary token id is a 400 on prompt", async () => {
  for (const badPrompt of [[1, 2, 10_000_000], [[1, 2], [10_000_000]]]) {
    await assert.rejects(complete({ prompt: badPrompt, max_tokens: 1 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.type, "invalid_request_error");
      assert.equal(error.param, "prompt");
      assert.match(String((error.error as { message: string }).message), /10000000/);
      return true;
    });
  }
  await assert.rejects(complete({ prompt: [1, -1], max_tokens: 1 }), OpenAI.BadRequestError);
  await assert.rejects(complete({ prompt: [1, 2.5], max_tokens: 1 }), OpenAI.BadRequestError);
  await assert.rejects(complete({ prompt: "", max_tokens: 1 }), OpenAI.BadRequestError);
});

test("streaming: text_completion chunks with one id, one finish_reason per index, usage chunk, [DONE]", async () => {
  const body = {
    model,
    prompt: ["The capital of France is", "Hello world"],
    n: 2,
    max_tokens: 5,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  };
  const response = await fetch(`${server.baseURL}/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const frames = await readSse(response);
  assert.equal(frames[frames.length - 1], "[DONE]");
  assert.equal(frames.filter((f) => f === "[DONE]").length, 1);
  const chunks = frames.slice(0, -1).map((f) => JSON.parse(f) as OpenAI.Completion);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.match(chunks[0].id, /^cmpl-/);
  assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
  for (const chunk of chunks) {
    assert.equal(chunk.object, "text_completion");
    assert.equal(chunk.model, model);
  }
  const usageChunk = chunks[chunks.length - 1];
  assert.deepEqual(usageChunk.choices, []);
  assertUsage(usageChunk.usage);
  assert.equal(usageChunk.usage.completion_tokens, 2 * 2 * 5);
  const withChoices = chunks.slice(0, -1);
  for (const chunk of withChoices) {
    assert.equal(chunk.choices.length, 1);
    assert.equal(chunk.usage ?? null, null, "usage only on the last chunk");
  }
  for (const index of [0, 1, 2, 3]) {
    const mine = withChoices.filter((c) => c.choices[0].index === index);
    assert.ok(mine.length >= 1, `no chunks for index ${index}`);
    const finishes = mine.filter((c) => c.choices[0].finish_reason !== null);
    assert.equal(finishes.length, 1, `index ${index} has ${finishes.length} finish_reasons`);
    assert.equal(finishes[0], mine[mine.length - 1], `index ${index}: finish_reason is not on its last chunk`);
    assert.equal(finishes[0].choices[0].finish_reason, "length");
  }
  assert.deepEqual([...new Set(withChoices.map((c) => c.choices[0].index))].sort(), [0, 1, 2, 3]);

  const whole = await complete({ ...body, stream: false, stream_options: undefined });
  assert.equal(usageChunk.usage.prompt_tokens, whole.usage!.prompt_tokens);
});

test("without include_usage there is no usage chunk", async () => {
  const chunks: OpenAI.Completion[] = [];
  for await (const chunk of await completeStream({ prompt, max_tokens: 3 })) chunks.push(chunk);
  assert.ok(chunks.length >= 1);
  for (const chunk of chunks) {
    assert.equal(chunk.choices.length, 1);
    assert.equal(chunk.usage ?? null, null);
  }
  assert.notEqual(chunks[chunks.length - 1].choices[0].finish_reason, null);
});

test("streamed text equals non-streamed text at temperature 0", async () => {
  const prompts = ["The capital of France is", "One, two, three,", "日本語のテキスト", "Hello world", "x"];
  for (const p of prompts) {
    const whole = await complete({ prompt: p, max_tokens: 40, temperature: 0 });
    let streamed = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of await completeStream({ prompt: p, max_tokens: 40, temperature: 0, stream_options: { include_usage: true } })) {
      for (const choice of chunk.choices) {
        streamed += choice.text;
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(streamed, whole.choices[0].text, `prompt ${JSON.stringify(p)}`);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.deepEqual(
      { prompt_tokens: usage?.prompt_tokens, completion_tokens: usage?.completion_tokens },
      { prompt_tokens: whole.usage!.prompt_tokens, completion_tokens: whole.usage!.completion_tokens },
    );
  }
});

test("a stop string cuts the text before it, streamed or not", async () => {
  const base = await complete({ prompt, max_tokens: 40, temperature: 0, ignore_eos: true });
  const text = base.choices[0].text;
  const codePoints = [...text];
  assert.ok(codePoints.length >= 8, `too little text to pick a stop string from: ${JSON.stringify(text)}`);
  const stop = codePoints.slice(4, 6).join("");
  const expected = text.slice(0, text.indexOf(stop));
  const cut = await complete({ prompt, max_tokens: 40, temperature: 0, ignore_eos: true, stop: [stop, "never-appears-zzz"] });
  assert.equal(cut.choices[0].text, expected);
  assert.equal(cut.choices[0].finish_reason, "stop");
  assert.ok(cut.usage!.completion_tokens < 40);
  let streamed = "";
  let finish: string | null = null;
  for await (const chunk of await completeStream({ prompt, max_tokens: 40, temperature: 0, ignore_eos: true, stop })) {
    streamed += chunk.choices[0]?.text ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, expected);
  assert.equal(finish, "stop");
  const kept = await complete({ prompt, max_tokens: 40, temperature: 0, ignore_eos: true, stop, include_stop_str_in_output: true });
  assert.equal(kept.choices[0].text, expected + stop);
});

test("the same seed gives the same completion; different seeds differ", async () => {
  const ask = (seed: number) => complete({ prompt, max_tokens: 24, temperature: 1, ignore_eos: true, seed });
  const [a, b] = await Promise.all([ask(42), ask(42)]);
  assert.equal(a.choices[0].text, b.choices[0].text);
  const c = await ask(42);
  assert.equal(c.choices[0].text, a.choices[0].text);
  const others = await Promise.all([ask(1), ask(2), ask(3)]);
  const texts = new Set([a, ...others].map((r) => r.choices[0].text));
  assert.ok(texts.size > 1, "four different seeds all gave the same text");

  // With n=2 and a seed, the two choices differ from each other but repeat across requests.
  const n1 = await complete({ prompt, max_tokens: 24, temperature: 1, ignore_eos: true, seed: 9, n: 2 });
  const n2 = await complete({ prompt, max_tokens: 24, temperature: 1, ignore_eos: true, seed: 9, n: 2 });
  assert.deepEqual(
    n1.choices.map((c) => c.text),
    n2.choices.map((c) => c.text),
  );
});
