import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRequest } from "./parse.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "./request-schemas.js";
import { checkStreamOptions, resolveMaxTokens, toSamplingParams } from "./sampling-params.js";
import { rejectUnsupported } from "./unsupported.js";

/** Token ids of a word: one per character, for bad_words. */
const logprobOptions = { maxLogprobs: 5, tokenize: (text: string) => [...text].map((c) => c.charCodeAt(0)) };
const chat = (extra: Record<string, unknown>) => parseRequest(chatCompletionRequestSchema, { messages: [{ role: "user", content: "hi" }], ...extra });

test("defaults are vLLM's: temperature 1, top_p 1, top_k off, no penalties", () => {
  const params = toSamplingParams(chat({}), { maxTokens: 10, vocabSize: 100, ...logprobOptions });
  assert.deepEqual(
    { ...params },
    {
      n: 1, maxTokens: 10, temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0,
      repetitionPenalty: 1, seed: undefined, stop: [], stopTokenIds: [], ignoreEos: false, includeStopStringInOutput: false,
      logitBias: new Map(), minTokens: 0, allowedTokenIds: null, logprobs: null, promptLogprobs: null, badWords: [], skipSpecialTokens: true, grammar: null,
    },
  );
});

test("wire fields map to engine params", () => {
  const params = toSamplingParams(
    chat({ temperature: 0.5, top_p: 0.9, top_k: -1, min_p: 0.1, stop: "END", seed: -1, ignore_eos: true, n: 2, stop_token_ids: [7] }),
    { maxTokens: 5, vocabSize: 100, ...logprobOptions },
  );
  assert.equal(params.temperature, 0.5);
  assert.equal(params.topK, 0, "-1 means off");
  assert.deepEqual(params.stop, ["END"]);
  assert.equal(params.seed, 2 ** 32 - 1, "int64 seeds fold onto 32 bits deterministically");
  assert.equal(params.n, 2);
  assert.deepEqual(params.stopTokenIds, [7]);
  assert.equal(params.ignoreEos, true);
});

test("empty stop strings are dropped", () => {
  assert.deepEqual(toSamplingParams(chat({ stop: ["", "x"] }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).stop, ["x"]);
});

test("max_tokens: chat defaults to the rest of the context, completions to 16", () => {
  assert.equal(resolveMaxTokens(undefined, "max_tokens", "chat", 100, 256), 156);
  assert.equal(resolveMaxTokens(undefined, "max_tokens", "completion", 100, 256), 16);
  assert.equal(resolveMaxTokens(undefined, "max_tokens", "completion", 250, 256), 6);
  assert.equal(resolveMaxTokens(156, "max_tokens", "chat", 100, 256), 156);
});

test("context overflow is a 400 context_length_exceeded naming both numbers", () => {
  assert.throws(() => resolveMaxTokens(157, "max_tokens", "chat", 100, 256), (error: { status: number; code: string; param: string; message: string }) => {
    assert.equal(error.status, 400);
    assert.equal(error.code, "context_length_exceeded");
    assert.equal(error.param, "max_tokens");
    assert.match(error.message, /256/);
    assert.match(error.message, /100/);
    return true;
  });
  assert.throws(() => resolveMaxTokens(undefined, "max_tokens", "completion", 256, 256), { code: "context_length_exceeded", param: "prompt" });
});

test("validation errors name the dotted field path", () => {
  assert.throws(() => chat({ temperature: -1 }), { status: 400, param: "temperature" });
  assert.throws(() => chat({ top_p: 0 }), { status: 400, param: "top_p" });
  assert.throws(() => parseRequest(chatCompletionRequestSchema, { messages: [{ content: "x" }] }), { status: 400, param: "messages[0].role" });
  assert.throws(() => parseRequest(completionRequestSchema, { prompt: [] }), { status: 400, param: "prompt" });
  assert.throws(() => parseRequest(chatCompletionRequestSchema, []), { status: 400 });
});

test("stream_options needs stream", () => {
  assert.throws(() => checkStreamOptions({ stream_options: { include_usage: true } }), { status: 400, param: "stream_options" });
  checkStreamOptions({ stream: true, stream_options: { include_usage: true } });
});

const completion = (extra: Record<string, unknown>) => parseRequest(completionRequestSchema, { prompt: "hi", ...extra });
const params = (request: ReturnType<typeof chat>, maxTokens = 10) => toSamplingParams(request, { maxTokens, vocabSize: 100, ...logprobOptions });

test("logit_bias: token-id keys, values clamped to [-100, 100] as vLLM does", () => {
  const { logitBias } = params(chat({ logit_bias: { "5": 2.5, "7": -1000, "99": 300 } }));
  assert.deepEqual([...logitBias], [[5, 2.5], [7, -100], [99, 100]]);
  assert.deepEqual([...toSamplingParams(completion({ logit_bias: { "0": -1 } }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).logitBias], [[0, -1]]);
});

test("logit_bias: a key that is not an in-vocabulary token id is a 400 naming logit_bias", () => {
  for (const key of ["100", "abc", "-1", "1.5", ""]) {
    assert.throws(() => params(chat({ logit_bias: { [key]: 1 } })), { status: 400, param: "logit_bias" }, key);
  }
  assert.throws(() => chat({ logit_bias: { "1": "x" } }), { status: 400, param: "logit_bias.1" });
  assert.throws(() => chat({ logit_bias: [1] }), { status: 400, param: "logit_bias" });
});

test("min_tokens: 0 by default, must be <= max_tokens", () => {
  assert.equal(params(chat({ min_tokens: 10 }), 10).minTokens, 10);
  assert.throws(() => params(chat({ min_tokens: 11 }), 10), (error: { status: number; param: string; message: string }) => {
    assert.equal(error.status, 400);
    assert.equal(error.param, "min_tokens");
    assert.match(error.message, /max_tokens=10/);
    return true;
  });
  assert.throws(() => chat({ min_tokens: -1 }), { status: 400, param: "min_tokens" });
  assert.throws(() => chat({ min_tokens: 1.5 }), { status: 400, param: "min_tokens" });
});

test("allowed_token_ids: non-empty, in the vocabulary, deduplicated", () => {
  assert.deepEqual(params(chat({ allowed_token_ids: [4, 2, 4] })).allowedTokenIds, [4, 2]);
  assert.throws(() => params(chat({ allowed_token_ids: [1, 100] })), { status: 400, param: "allowed_token_ids" });
  assert.throws(() => chat({ allowed_token_ids: [] }), { status: 400, param: "allowed_token_ids" });
  assert.throws(() => chat({ allowed_token_ids: [-1] }), { status: 400, param: "allowed_token_ids[0]" });
});

test("the implemented fields are no longer rejected as unsupported", () => {
  const body = { messages: [{ role: "user", content: "hi" }], logit_bias: { "1": 1 }, min_tokens: 1, allowed_token_ids: [1] };
  rejectUnsupported(body, "chat");
  rejectUnsupported({ prompt: "x", logit_bias: { "1": 1 }, min_tokens: 1, allowed_token_ids: [1] }, "completion");
});

test("logprobs: chat's bool + top_logprobs, completions' int, echo asks for prompt logprobs, limits are 400s", () => {
  assert.equal(toSamplingParams(chat({}), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).logprobs, null);
  assert.equal(toSamplingParams(chat({ logprobs: true }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).logprobs, 0);
  assert.equal(toSamplingParams(chat({ logprobs: true, top_logprobs: 3 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).logprobs, 3);
  assert.throws(() => toSamplingParams(chat({ top_logprobs: 3 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }), { param: "top_logprobs" });
  assert.throws(() => toSamplingParams(chat({ logprobs: true, top_logprobs: 6 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }), { param: "top_logprobs" });
  const echoed = toSamplingParams(completion({ logprobs: 2, echo: true }), { maxTokens: 1, vocabSize: 100, ...logprobOptions });
  assert.deepEqual([echoed.logprobs, echoed.promptLogprobs], [2, 2]);
  assert.equal(toSamplingParams(completion({ logprobs: 2 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).promptLogprobs, null);
  assert.equal(toSamplingParams(chat({ prompt_logprobs: 1 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }).promptLogprobs, 1);
  assert.throws(() => toSamplingParams(completion({ prompt_logprobs: 9 }), { maxTokens: 1, vocabSize: 100, ...logprobOptions }), { param: "prompt_logprobs" });
});

test("bad_words are tokenized bare and with a leading space, deduplicated", () => {
  const { badWords } = toSamplingParams(chat({ bad_words: ["ab", " ab", "c"] }), { maxTokens: 1, vocabSize: 100, ...logprobOptions });
  assert.deepEqual(badWords, [[97, 98], [32, 97, 98], [99], [32, 99]]);
});
