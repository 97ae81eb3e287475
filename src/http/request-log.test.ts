import assert from "node:assert/strict";
import { test } from "node:test";
import type { RequestTimings } from "../engine/types.js";
import { RequestHandle } from "../request-handle.js";
import { RequestLog, truncate, type RequestLogLine } from "./request-log.js";

function setup(maxLogLen = 0) {
  const lines: RequestLogLine[] = [];
  let time = 1000;
  const log = new RequestLog({
    write: (line) => lines.push(line),
    maxLogLen,
    defaultModel: "default-model",
    now: () => time,
  });
  const advance = (ms: number) => (time += ms);
  /** A request as http/ runs it: a handle, logged from its start. */
  const begin = (requestId: string, method: string, route: string) => {
    const handle = new RequestHandle(requestId);
    log.begin(handle, method, route);
    return handle;
  };
  /** The response has ended, as http/ reports it. */
  const end = (handle: RequestHandle, status: number | null) => {
    log.noteEnd(handle, status);
    handle.end();
  };
  return { log, lines, advance, begin, end };
}

/** A generation as the engine reports it to the handle; the prompt's tokens rendered as code points. */
function generation(handle: RequestHandle, promptTokens: number[]) {
  const report = handle.startGeneration();
  return (timings: RequestTimings) => report({ timings, renderPrompt: () => promptTokens.map((token) => String.fromCodePoint(token)).join("") });
}

const timings = (requestId: string, overrides: Partial<RequestTimings> = {}): RequestTimings => ({
  requestId,
  finishReason: "length",
  numPromptTokens: 5,
  numCachedPromptTokens: 2,
  numGenerationTokens: 3,
  queueTimeMs: 1,
  timeToFirstTokenMs: 12.34,
  interTokenLatenciesMs: [],
  endToEndMs: 30,
  ...overrides,
});

test("one line per request, once the response has ended and the engine has reported, with the engine's numbers", () => {
  const { log, lines, advance, begin, end } = setup();
  const handle = begin("req-1", "POST", "/v1/chat/completions");
  log.noteBody(handle, { model: "m" });
  generation(handle, [72, 105])(timings("req-1"));
  assert.equal(lines.length, 0, "the response has not ended yet");
  advance(40);
  end(handle, 200);
  assert.deepEqual(lines, [
    {
      requestId: "req-1", method: "POST", route: "/v1/chat/completions", status: 200, model: "m",
      promptTokens: 5, completionTokens: 3, cachedTokens: 2, ttftMs: 12.3, durationMs: 40, finishReason: "length",
    },
  ]);
  end(handle, 200);
  assert.equal(lines.length, 1, "never twice");
});

test("a client that disconnects: the line waits for the aborted generation to report", () => {
  const { lines, advance, begin, end } = setup();
  const handle = begin("req-2", "POST", "/v1/completions");
  const report = generation(handle, [1]);
  advance(7);
  end(handle, null);
  assert.equal(lines.length, 0);
  advance(100);
  report(timings("req-2", { finishReason: "abort", timeToFirstTokenMs: null, numGenerationTokens: 0 }));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].status, null);
  assert.equal(lines[0].finishReason, "abort");
  assert.equal(lines[0].ttftMs, null);
  assert.equal(lines[0].durationMs, 7, "the duration ends with the response");
});

test("several prompts: tokens summed, the first finish reason, the earliest first token, prompts listed", () => {
  const { log, lines, begin, end } = setup(3);
  const handle = begin("r", "POST", "/v1/completions");
  log.noteBody(handle, {});
  const first = generation(handle, [97, 98, 99, 100]);
  const second = generation(handle, [0x1f642, 0x1f642, 0x1f642, 0x1f642]);
  end(handle, 200);
  second(timings("r-1", { finishReason: "stop", timeToFirstTokenMs: 5 }));
  assert.equal(lines.length, 0);
  first(timings("r-0"));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].model, "default-model", "no model in the body: the default one");
  assert.equal(lines[0].promptTokens, 10);
  assert.equal(lines[0].completionTokens, 6);
  assert.equal(lines[0].finishReason, "length");
  assert.equal(lines[0].ttftMs, 5);
  assert.deepEqual(lines[0].prompt, ["abc", "🙂🙂🙂"]);
});

test("errors are logged with their type and code and never with the prompt", () => {
  const { log, lines, begin, end } = setup(100);
  const handle = begin("bad", "POST", "/v1/chat/completions");
  log.noteBody(handle, { model: "nope", messages: [] });
  log.noteError(handle, "invalid_request_error", null);
  end(handle, 400);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].status, 400);
  assert.equal(lines[0].errorType, "invalid_request_error");
  assert.equal(lines[0].errorCode, null);
  assert.equal(lines[0].promptTokens, null);
  assert.equal(lines[0].prompt, undefined);
});

test("successful probes and scrapes are not logged; their failures and other routes are", () => {
  const { lines, begin, end } = setup();
  end(begin("a", "GET", "/health"), 200);
  end(begin("b", "GET", "/metrics"), 200);
  end(begin("c", "GET", "/health"), 503);
  end(begin("d", "GET", "/v1/models"), 200);
  assert.deepEqual(lines.map((line) => line.requestId), ["c", "d"]);
});

test("a request the log did not begin is not logged", () => {
  const { log, lines } = setup();
  const handle = new RequestHandle("untracked");
  log.noteBody(handle, { model: "m" });
  log.noteEnd(handle, 200);
  handle.end();
  assert.equal(lines.length, 0);
});

test("truncate cuts at code points", () => {
  assert.equal(truncate("hello world", 5), "hello");
  assert.equal(truncate("hi", 5), "hi");
  assert.equal(truncate("🙂🙂🙂", 2), "🙂🙂");
});
