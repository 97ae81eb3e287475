import assert from "node:assert/strict";
import { test } from "node:test";
import type { GenerateRequest, RequestOutput, RequestTimings } from "../engine/types.js";
import type { GenerationEngine } from "../protocol/serving.js";
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
  const started: string[] = [];
  const engine: GenerationEngine = {
    generate: (request: GenerateRequest) => {
      started.push(request.requestId);
      return (async function* (): AsyncIterable<RequestOutput> {})();
    },
    abort: () => {},
    hasRequest: () => false,
  };
  const advance = (ms: number) => (time += ms);
  return { log, lines, engine: log.track(engine, (tokens) => tokens.map((token) => String.fromCodePoint(token)).join("")), started, advance };
}

const request = (requestId: string, promptTokens: number[]): GenerateRequest => ({ requestId, promptTokens, params: {} as GenerateRequest["params"] });

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
  const { log, lines, engine, advance } = setup();
  const logged = log.begin("req-1", "POST", "/v1/chat/completions");
  log.run(logged, () => {
    log.noteBody({ model: "m" });
    engine.generate(request("req-1", [72, 105]));
  });
  log.observeEngineRequest(timings("req-1"));
  assert.equal(lines.length, 0, "the response has not ended yet");
  advance(40);
  log.finish(logged, 200);
  assert.deepEqual(lines, [
    {
      requestId: "req-1", method: "POST", route: "/v1/chat/completions", status: 200, model: "m",
      promptTokens: 5, completionTokens: 3, cachedTokens: 2, ttftMs: 12.3, durationMs: 40, finishReason: "length",
    },
  ]);
  log.finish(logged, 200);
  assert.equal(lines.length, 1, "never twice");
});

test("a client that disconnects: the line waits for the aborted generation to report", () => {
  const { log, lines, engine, advance } = setup();
  const logged = log.begin("req-2", "POST", "/v1/completions");
  log.run(logged, () => engine.generate(request("req-2", [1])));
  advance(7);
  log.finish(logged, null);
  assert.equal(lines.length, 0);
  advance(100);
  log.observeEngineRequest(timings("req-2", { finishReason: "abort", timeToFirstTokenMs: null, numGenerationTokens: 0 }));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].status, null);
  assert.equal(lines[0].finishReason, "abort");
  assert.equal(lines[0].ttftMs, null);
  assert.equal(lines[0].durationMs, 7, "the duration ends with the response");
});

test("several prompts: tokens summed, the first finish reason, the earliest first token, prompts listed", () => {
  const { log, lines, engine } = setup(3);
  const logged = log.begin("r", "POST", "/v1/completions");
  log.run(logged, () => {
    log.noteBody({});
    engine.generate(request("r-0", [97, 98, 99, 100]));
    engine.generate(request("r-1", [0x1f642, 0x1f642, 0x1f642, 0x1f642]));
  });
  log.finish(logged, 200);
  log.observeEngineRequest(timings("r-1", { finishReason: "stop", timeToFirstTokenMs: 5 }));
  assert.equal(lines.length, 0);
  log.observeEngineRequest(timings("r-0"));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].model, "default-model", "no model in the body: the default one");
  assert.equal(lines[0].promptTokens, 10);
  assert.equal(lines[0].completionTokens, 6);
  assert.equal(lines[0].finishReason, "length");
  assert.equal(lines[0].ttftMs, 5);
  assert.deepEqual(lines[0].prompt, ["abc", "🙂🙂🙂"]);
});

test("errors are logged with their type and code and never with the prompt", () => {
  const { log, lines } = setup(100);
  const logged = log.begin("bad", "POST", "/v1/chat/completions");
  log.run(logged, () => log.noteBody({ model: "nope", messages: [] }));
  log.noteError(logged, "invalid_request_error", null);
  log.finish(logged, 400);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].status, 400);
  assert.equal(lines[0].errorType, "invalid_request_error");
  assert.equal(lines[0].errorCode, null);
  assert.equal(lines[0].promptTokens, null);
  assert.equal(lines[0].prompt, undefined);
});

test("successful probes and scrapes are not logged; their failures and other routes are", () => {
  const { log, lines } = setup();
  log.finish(log.begin("a", "GET", "/health"), 200);
  log.finish(log.begin("b", "GET", "/metrics"), 200);
  log.finish(log.begin("c", "GET", "/health"), 503);
  log.finish(log.begin("d", "GET", "/v1/models"), 200);
  assert.deepEqual(lines.map((line) => line.requestId), ["c", "d"]);
});

test("engine requests started outside a logged request, or unknown timings, are ignored", () => {
  const { log, lines, engine, started } = setup();
  engine.generate(request("untracked", [1]));
  assert.deepEqual(started, ["untracked"]);
  log.observeEngineRequest(timings("untracked"));
  log.observeEngineRequest(timings("never-seen"));
  assert.equal(lines.length, 0);
});

test("truncate cuts at code points", () => {
  assert.equal(truncate("hello world", 5), "hello");
  assert.equal(truncate("hi", 5), "hi");
  assert.equal(truncate("🙂🙂🙂", 2), "🙂🙂");
});
