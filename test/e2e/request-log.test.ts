/**
 * --enable-log-requests: one JSON line per request on the server's stdout,
 * found by the request's X-Request-Id; prompts cut to --max-log-len; errors
 * logged without prompts; nothing logged without the flag.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import type { RequestLogLine } from "../../src/http/request-log.js";
import { startServer, useServer, type TestServer } from "./server-harness.js";

const maxLogLen = 5;
let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--enable-log-requests", "--max-log-len", String(maxLogLen)] }, (served) => ({ server, client, model } = served));

/** The line as written: pino's fields around pagoda's. */
interface LogLine extends RequestLogLine {
  level: number;
  time: string;
  msg: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The server's log line of the request with this X-Request-Id, as soon as it is printed. */
async function logLineOf(target: TestServer, requestId: string): Promise<LogLine> {
  const [line] = await target.waitForOutput(new RegExp(`^\\{.*"requestId":"${escapeRegExp(requestId)}".*\\}$`, "m"));
  return JSON.parse(line) as LogLine;
}

async function renderedPrompt(messages: OpenAI.ChatCompletionMessageParam[]): Promise<string> {
  const post = async (path: string, body: unknown) =>
    (await fetch(`${server.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
  const { tokens } = (await post("/tokenize", { messages })) as { tokens: number[] };
  return ((await post("/detokenize", { tokens })) as { prompt: string }).prompt;
}

test("a chat completion gets one JSON line with its id, route, status, model, tokens, timings, finish reason and a cut prompt", async () => {
  const requestId = "log-chat-1";
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Tell me something about logs" }];
  const completion = await client.chat.completions.create({ model, messages, max_tokens: 4 }, { headers: { "X-Request-Id": requestId } });
  const line = await logLineOf(server, requestId);
  assert.equal(line.msg, "request");
  assert.equal(line.level, 30);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
  assert.equal(line.method, "POST");
  assert.equal(line.route, "/v1/chat/completions");
  assert.equal(line.status, 200);
  assert.equal(line.model, model);
  assert.equal(line.promptTokens, completion.usage!.prompt_tokens);
  assert.equal(line.completionTokens, completion.usage!.completion_tokens);
  assert.equal(line.cachedTokens, completion.usage!.prompt_tokens_details?.cached_tokens ?? 0);
  assert.equal(line.finishReason, completion.choices[0].finish_reason);
  assert.equal(typeof line.ttftMs, "number");
  assert.ok(line.ttftMs! >= 0 && line.durationMs >= line.ttftMs!, JSON.stringify(line));
  const fullPrompt = await renderedPrompt(messages);
  assert.ok(fullPrompt.length > maxLogLen);
  assert.equal(line.prompt, fullPrompt.slice(0, maxLogLen), "the prompt as the model sees it, cut to --max-log-len characters");
  const lines = server.output().split("\n").filter((text) => text.includes(`"requestId":"${requestId}"`));
  assert.equal(lines.length, 1, "one line per request");
});

test("a streamed completion is logged with its finish reason once the stream has ended", async () => {
  const requestId = "log-stream-1";
  const stream = await client.completions.create({ model, prompt: "Once upon", max_tokens: 3, stream: true }, { headers: { "X-Request-Id": requestId } });
  let finishReason: string | null = null;
  for await (const chunk of stream) finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
  const line = await logLineOf(server, requestId);
  assert.equal(line.route, "/v1/completions");
  assert.equal(line.status, 200);
  assert.equal(line.finishReason, finishReason);
  assert.ok(line.completionTokens! >= 1 && line.completionTokens! <= 3);
  assert.equal(line.prompt, "Once ");
});

test("an error is logged with its status, type and code, and without the prompt", async () => {
  const requestId = "log-bad-1";
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: "user", content: "secret prompt" }], temperature: -1 }, { headers: { "X-Request-Id": requestId } }),
    (error: unknown) => error instanceof OpenAI.BadRequestError,
  );
  const line = await logLineOf(server, requestId);
  assert.equal(line.status, 400);
  assert.equal(line.errorType, "invalid_request_error");
  assert.equal(line.promptTokens, null);
  assert.equal(line.prompt, undefined);
  assert.doesNotMatch(server.output(), /secret prompt/);

  const unknown = await fetch(`${server.url}/v1/nowhere`, { headers: { "X-Request-Id": "log-404" } });
  await unknown.body?.cancel();
  assert.equal((await logLineOf(server, "log-404")).status, 404);

  // A target URL parsing refuses is still an ordinary 404 (not a crash, not a 500).
  // ("//" itself reads as "/", the web page.)
  const odd = await fetch(`${server.url}//[::`, { headers: { "X-Request-Id": "log-odd" } });
  await odd.body?.cancel();
  assert.equal(odd.status, 404);
  assert.equal((await logLineOf(server, "log-odd")).status, 404);
});

test("without --enable-log-requests no request lines are written", async () => {
  const quiet = await startServer();
  try {
    const quietClient = quiet.client();
    const quietModel = (await quietClient.models.list()).data[0].id;
    for (const requestId of ["quiet-1", "quiet-2"]) {
      await quietClient.chat.completions.create({ model: quietModel, messages: [{ role: "user", content: "hi" }], max_tokens: 2 }, { headers: { "X-Request-Id": requestId } });
    }
    await assert.rejects(quietClient.chat.completions.create({ model: quietModel, messages: [] }, { headers: { "X-Request-Id": "quiet-3" } }));
    assert.match(quiet.output(), /request logs:\s+off/);
    assert.doesNotMatch(quiet.output(), /quiet-\d|"requestId"/);
  } finally {
    assert.equal(await quiet.stop(), 0);
  }
});
