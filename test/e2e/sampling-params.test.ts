/**
 * logit_bias, min_tokens and allowed_token_ids against the real server on the
 * tiny generated model. Token ids are found through POST /tokenize, and a
 * candidate id is only used once it round-trips (one token, valid UTF-8), so
 * the tests do not depend on the random model's particular vocabulary.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", "512", "--max-num-seqs", "4"] }, (served) => ({ server, client, model } = served));

/** vLLM extras go in the body as they would through `extra_body`. */
const complete = (body: Record<string, unknown>) =>
  client.completions.create({ model, temperature: 0, ...body } as OpenAI.CompletionCreateParamsNonStreaming);

async function tokenize(prompt: string): Promise<number[]> {
  const response = await fetch(`${server.url}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt, add_special_tokens: false }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { tokens: number[] }).tokens;
}

/** A prompt whose greedy first token is a whole character, with that token's id and text. */
async function greedyFirstToken(): Promise<{ prompt: string; token: number; text: string }> {
  for (const prompt of ["1 2 3", "The capital of France is", "Hello", "Once upon a time", "a b c d"]) {
    const { text } = (await complete({ prompt, max_tokens: 1 })).choices[0];
    if (text === "" || text.includes("\uFFFD") || text.trim() === "") continue;
    const tokens = await tokenize(text);
    if (tokens.length === 1) return { prompt, token: tokens[0], text };
  }
  throw new Error("no prompt's greedy first token round-trips through /tokenize");
}

test("logit_bias -100 on the greedy first token: never emitted; +100: greedy repeats it", async () => {
  const { prompt, token, text } = await greedyFirstToken();
  const plain = (await complete({ prompt, max_tokens: 8 })).choices[0].text;
  assert.ok(plain.startsWith(text));

  const forced = (await complete({ prompt, max_tokens: 8, logit_bias: { [token]: 100 } })).choices[0];
  assert.equal(forced.text, text.repeat(8), "+100 makes that token the argmax every step");

  // Checked by token id: other tokens (merges) may still spell the banned text.
  const banned = (await complete({ prompt, max_tokens: 16, logit_bias: { [token]: -100 }, logprobs: 0, return_tokens_as_token_ids: true })).choices[0];
  assert.equal(banned.logprobs!.tokens!.length, banned.logprobs!.token_logprobs!.length);
  assert.ok(banned.logprobs!.tokens!.length >= 1);
  assert.ok(!banned.logprobs!.tokens!.includes(`token_id:${token}`), `banned token ${token} in ${JSON.stringify(banned.logprobs!.tokens)}`);
});

test("logit_bias works on the chat route too", async () => {
  const forcedToken = (await tokenize("x"))[0];
  const r = await client.chat.completions.create({
    model, temperature: 0, max_tokens: 4, messages: [{ role: "user", content: "hi" }], logit_bias: { [forcedToken]: 100 },
  });
  assert.equal(r.choices[0].message.content, "xxxx");
});

test("min_tokens delays EOS: EOS forced by logit_bias stops at once, then only after min_tokens", async () => {
  const [eos] = await tokenize("<|im_end|>");
  assert.equal((await tokenize("<|im_end|>")).length, 1, "the tiny model's <|im_end|> is one special token");
  const prompt = "Hello";
  const early = await complete({ prompt, max_tokens: 16, logit_bias: { [eos]: 100 } });
  assert.equal(early.choices[0].finish_reason, "stop");
  assert.equal(early.usage!.completion_tokens, 1, "EOS first");

  const delayed = await complete({ prompt, max_tokens: 16, logit_bias: { [eos]: 100 }, min_tokens: 5 });
  assert.equal(delayed.choices[0].finish_reason, "stop");
  assert.equal(delayed.usage!.completion_tokens, 6, "five tokens, then EOS as soon as it is allowed");

  const n = await complete({ prompt, max_tokens: 16, logit_bias: { [eos]: 100 }, min_tokens: 3, n: 2, temperature: 1, seed: 7 });
  assert.ok(n.choices.every((choice) => choice.finish_reason === "stop"));
  assert.equal(n.usage!.completion_tokens, 8, "each choice counts its own tokens");

  const capped = await complete({ prompt, max_tokens: 4, logit_bias: { [eos]: 100 }, min_tokens: 4 });
  assert.equal(capped.choices[0].finish_reason, "length");
  assert.equal(capped.usage!.completion_tokens, 4);
});

test("min_tokens also holds back stop_token_ids", async () => {
  const [x] = await tokenize("x");
  const r = await complete({ prompt: "Hello", max_tokens: 10, logit_bias: { [x]: 100 }, stop_token_ids: [x], min_tokens: 3 });
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.equal((r.choices[0] as { stop_reason?: unknown }).stop_reason, x);
  assert.equal(r.usage!.completion_tokens, 4);
});

test("allowed_token_ids: only those tokens are sampled", async () => {
  const allowed = [...(await tokenize("a")), ...(await tokenize("b"))];
  assert.equal(allowed.length, 2);
  for (const body of [{ temperature: 0 }, { temperature: 1.5, seed: 3 }]) {
    const r = await complete({ prompt: "Hello", max_tokens: 12, allowed_token_ids: allowed, ...body });
    assert.match(r.choices[0].text, /^[ab]{12}$/);
  }
});

test("bad values are 400s naming the parameter", async () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ logit_bias: { "99999999": 1 } }, "logit_bias"],
    [{ logit_bias: { hello: 1 } }, "logit_bias"],
    [{ min_tokens: 5, max_tokens: 4 }, "min_tokens"],
    [{ min_tokens: -1 }, "min_tokens"],
    [{ allowed_token_ids: [] }, "allowed_token_ids"],
    [{ allowed_token_ids: [99999999] }, "allowed_token_ids"],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(complete({ prompt: "Hello", max_tokens: 4, ...body }), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.equal((error.error as { param?: string }).param, param, JSON.stringify(body));
      return true;
    });
  }
});
