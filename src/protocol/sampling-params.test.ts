import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRequest } from "./parse.js";
import { chatCompletionRequestSchema, completionRequestSchema } from "./request-schemas.js";
import { checkStreamOptions, resolveMaxTokens, toSamplingParams } from "./sampling-params.js";

const chat = (extra: Record<string, unknown>) => parseRequest(chatCompletionRequestSchema, { messages: [{ role: "user", content: "hi" }], ...extra });

test("defaults are vLLM's: temperature 1, top_p 1, top_k off, no penalties", () => {
  const params = toSamplingParams(chat({}), { maxTokens: 10 });
  assert.deepEqual(
    { ...params },
    {
      n: 1, maxTokens: 10, temperature: 1, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0,
      repetitionPenalty: 1, seed: undefined, stop: [], stopTokenIds: [], ignoreEos: false, includeStopStringInOutput: false,
    },
  );
});

test("wire fields map to engine params", () => {
  const params = toSamplingParams(
    chat({ temperature: 0.5, top_p: 0.9, top_k: -1, min_p: 0.1, stop: "END", seed: -1, ignore_eos: true, n: 2, stop_token_ids: [7] }),
    { maxTokens: 5 },
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
  assert.deepEqual(toSamplingParams(chat({ stop: ["", "x"] }), { maxTokens: 1 }).stop, ["x"]);
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
