import assert from "node:assert/strict";
import { test } from "node:test";
import { applyEvent, finishResult, newStreamState, requestBody, SseParser, type RequestOptions } from "./client.js";

const stream =
  'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n' +
  ": keep-alive comment\n\n" +
  'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\r\n\r\n' +
  'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"length"}]}\n\n' +
  'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":8}}}\n\n' +
  "data: [DONE]\n\n";

const expectedEvents = [
  '{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
  '{"choices":[{"index":0,"delta":{"content":"Hel"}}]}',
  '{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"length"}]}',
  '{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":8}}}',
  "[DONE]",
];

test("SseParser gives the same events at every split point", () => {
  for (let i = 0; i <= stream.length; i++) {
    for (const j of [i, Math.min(stream.length, i + 7)]) {
      const parser = new SseParser();
      const events = [...parser.push(stream.slice(0, i)), ...parser.push(stream.slice(i, j)), ...parser.push(stream.slice(j)), ...parser.end()];
      assert.deepEqual(events, expectedEvents, `split at ${i}/${j}`);
    }
  }
});

test("SseParser: multi-line data, no space after the colon, a final event without a blank line", () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push("data:a\ndata: b\n\nevent: x\ndata: c"), ["a\nb"]);
  assert.deepEqual(parser.end(), ["c"]);
});

test("content chunks are timestamped; the role chunk and usage chunk are not", () => {
  const state = newStreamState();
  expectedEvents.forEach((data, i) => applyEvent(state, data, 100 + i * 10));
  assert.deepEqual(state.contentChunkTimesMs, [110, 120]);
  assert.equal(state.finishReason, "length");
  assert.deepEqual(state.usage, { promptTokens: 12, outputTokens: 2, cachedTokens: 8 });
  assert.equal(state.isDone, true);
  const result = finishResult(state, { prompt: "x" }, 50, 150);
  assert.equal(result.isSuccess, true);
  assert.equal(result.promptTokens, 12);
  assert.equal(result.outputTokens, 2);
  assert.equal(result.hasUsage, true);
  assert.equal(result.cachedTokens, 8);
  assert.equal(result.outputChars, 5);
});

test("completions chunks carry text", () => {
  const state = newStreamState();
  applyEvent(state, '{"choices":[{"index":0,"text":" a"}]}', 5);
  applyEvent(state, '{"choices":[{"index":0,"text":""}]}', 6);
  assert.deepEqual(state.contentChunkTimesMs, [5]);
});

test("without usage, counts fall back to prompt words and content chunks", () => {
  const state = newStreamState();
  applyEvent(state, '{"choices":[{"delta":{"content":"x"}}]}', 1);
  applyEvent(state, '{"choices":[{"delta":{"content":"y"}}]}', 2);
  applyEvent(state, "[DONE]", 3);
  const result = finishResult(state, { system: "one two", prompt: "three four five" }, 0, 3);
  assert.equal(result.promptTokens, 5);
  assert.equal(result.outputTokens, 2);
  assert.equal(result.hasUsage, false);
});

test("errors: an error frame, a missing [DONE], a transport error", () => {
  const framed = newStreamState();
  applyEvent(framed, '{"error":{"message":"boom","type":"server_error"}}', 1);
  applyEvent(framed, "[DONE]", 2);
  assert.equal(finishResult(framed, { prompt: "p" }, 0, 2).error, "boom");

  const cut = newStreamState();
  applyEvent(cut, '{"choices":[{"delta":{"content":"x"}}]}', 1);
  const cutResult = finishResult(cut, { prompt: "p" }, 0, 2);
  assert.equal(cutResult.isSuccess, false);
  assert.match(cutResult.error!, /without data: \[DONE\]/);

  assert.equal(finishResult(newStreamState(), { prompt: "p" }, 0, 1, "HTTP 400: bad").error, "HTTP 400: bad");
});

const options: RequestOptions = { baseUrl: "http://x/v1", endpoint: "chat", model: "m", maxTokens: 64, temperature: 0, isIgnoreEos: true };

test("request bodies: chat messages with the system prompt; completions prepend it", () => {
  assert.deepEqual(requestBody(options, { system: "S", prompt: "P" }), {
    model: "m",
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 64,
    temperature: 0,
    ignore_eos: true,
    messages: [
      { role: "system", content: "S" },
      { role: "user", content: "P" },
    ],
  });
  const completion = requestBody({ ...options, endpoint: "completions", isIgnoreEos: false }, { system: "S", prompt: "P" });
  assert.equal(completion.prompt, "S\n\nP");
  assert.equal("ignore_eos" in completion, false);
  assert.equal("messages" in completion, false);
});
