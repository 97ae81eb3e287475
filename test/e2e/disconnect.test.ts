/**
 * A client that disconnects stops its generation at once, streaming or not.
 * Synchronisation is by the server's own signals: a request is running once
 * its stream has sent a frame (or, non-streaming, once /metrics counts it);
 * it has stopped once the server's request log (--enable-log-requests) prints
 * its line, which happens only after every generation it started has ended,
 * and that line says how it ended: finish_reason "abort", not "length". Each
 * request asks for far more tokens than it can produce before the abort lands
 * (ignore_eos), so a generation that ran on would end with "length".
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import OpenAI from "openai";
import type { RequestLogLine } from "../../src/http/request-log.js";
import { metricsWhen, readMetrics, useServer, type TestServer } from "./server-harness.js";

const maxTokens = 2000;

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", "2048", "--max-num-seqs", "16", "--enable-log-requests"] }, (served) => ({ server, client, model } = served));

const numRunning = (m: Map<string, number>) => m.get("vllm:num_requests_running");
const numWaiting = (m: Map<string, number>) => m.get("vllm:num_requests_waiting");

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The request log line of this X-Request-Id: printed once every generation the request started has ended. */
async function endOf(requestId: string): Promise<RequestLogLine> {
  const [line] = await server.waitForOutput(new RegExp(`^\\{.*"requestId":"${escapeRegExp(requestId)}".*\\}$`, "m"));
  return JSON.parse(line) as RequestLogLine;
}

/** Every generation of these requests ended as aborted, and the engine is idle with every slot free. */
async function expectAborted(requestIds: string[], t: { diagnostic: (message: string) => void }): Promise<void> {
  for (const requestId of requestIds) {
    const line = await endOf(requestId);
    t.diagnostic(`${requestId}: ${line.completionTokens} tokens, finish ${line.finishReason}`);
    assert.equal(line.finishReason, "abort", `the generation of ${requestId} was not aborted: ${JSON.stringify(line)}`);
    assert.equal(line.status === null || line.status === 200, true, JSON.stringify(line));
  }
  const metrics = await readMetrics(server);
  assert.equal(numRunning(metrics), 0, "a request still runs after every aborted one ended");
  assert.equal(numWaiting(metrics), 0);
  assert.equal(metrics.get("vllm:kv_cache_usage_perc"), 0, "slots still in use after every request ended");
}

const longBody = (stream: boolean) =>
  JSON.stringify({
    model,
    messages: [{ role: "user", content: "Tell me a very long story." }],
    max_tokens: maxTokens,
    ignore_eos: true,
    temperature: 1,
    stream,
  });

const post = (body: string, signal: AbortSignal, requestId: string) =>
  fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json", "X-Request-Id": requestId }, body, signal });

/** Reads SSE frames from a streaming response until `numFrames` data frames have arrived. */
async function readFrames(response: Response, numFrames: number): Promise<string[]> {
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const frames: string[] = [];
  while (frames.length < numFrames) {
    const { done, value } = await reader.read();
    assert.ok(!done, `the stream ended after ${frames.length} frames`);
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      frames.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
  reader.releaseLock();
  return frames;
}

async function expectHealthyAfterwards(): Promise<void> {
  const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Still there?" }], max_tokens: 5, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  assert.equal(r.usage!.completion_tokens, 5);
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(server.process.exitCode, null);
}

test("a streaming client that disconnects stops its generation", async (t) => {
  const requestId = randomUUID();
  const controller = new AbortController();
  const response = await post(longBody(true), controller.signal, requestId);
  const frames = await readFrames(response, 3);
  assert.ok(frames.every((f) => f.startsWith("data: {")), JSON.stringify(frames));
  controller.abort();
  await expectAborted([requestId], t);
  await expectHealthyAfterwards();
});

test("breaking out of the openai client's stream stops the generation", async (t) => {
  const requestId = randomUUID();
  const stream = await client.chat.completions.create(
    {
      model,
      messages: [{ role: "user", content: "Tell me a very long story." }],
      max_tokens: maxTokens,
      ignore_eos: true,
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming,
    { headers: { "X-Request-Id": requestId } },
  );
  let numChunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    if (++numChunks === 3) break;
  }
  await expectAborted([requestId], t);
  await expectHealthyAfterwards();
});

test("a non-streaming client that disconnects stops its generation", async (t) => {
  const requestId = randomUUID();
  const controller = new AbortController();
  const pending = post(longBody(false), controller.signal, requestId);
  await metricsWhen(server, (m) => numRunning(m) === 1);
  controller.abort();
  await assert.rejects(pending, (error: unknown) => (error as Error).name === "AbortError");
  await expectAborted([requestId], t);
  await expectHealthyAfterwards();
});

test("a non-streaming completions request aborted with several prompts stops them all", async (t) => {
  const requestId = randomUUID();
  const controller = new AbortController();
  const pending = fetch(`${server.baseURL}/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Request-Id": requestId },
    body: JSON.stringify({ model, prompt: ["Once upon a time", "In a galaxy far away", "It was a dark night"], n: 2, max_tokens: maxTokens, ignore_eos: true }),
    signal: controller.signal,
  });
  await metricsWhen(server, (m) => numRunning(m) === 3);
  controller.abort();
  await assert.rejects(pending, (error: unknown) => (error as Error).name === "AbortError");
  // The line is printed once all three generations (n=2 each) have ended.
  await expectAborted([requestId], t);
  await expectHealthyAfterwards();
});

test("eight streaming clients disconnecting at once all stop", async (t) => {
  const requestIds = Array.from({ length: 8 }, () => randomUUID());
  const controllers = requestIds.map(() => new AbortController());
  const responses = await Promise.all(controllers.map((c, i) => post(longBody(true), c.signal, requestIds[i])));
  await Promise.all(responses.map((r) => readFrames(r, 2)));
  for (const controller of controllers) controller.abort();
  await expectAborted(requestIds, t);
  await expectHealthyAfterwards();
});

test("clients that disconnect while queued leave the queue without ever running", async (t) => {
  const runningIds = Array.from({ length: 16 }, () => randomUUID());
  const running = runningIds.map(() => new AbortController());
  const responses = await Promise.all(running.map((c, i) => post(longBody(true), c.signal, runningIds[i])));
  await Promise.all(responses.map((r) => readFrames(r, 2)));
  const queuedIds = Array.from({ length: 4 }, () => randomUUID());
  const queued = queuedIds.map(() => new AbortController());
  const pending = queued.map((c, i) => post(longBody(false), c.signal, queuedIds[i]));
  const full = await metricsWhen(server, (m) => numWaiting(m) === 4);
  assert.equal(numRunning(full), 16);
  for (const controller of queued) controller.abort();
  for (const request of pending) await assert.rejects(request, (error: unknown) => (error as Error).name === "AbortError");
  for (const requestId of queuedIds) {
    const line = await endOf(requestId);
    assert.equal(line.completionTokens, 0, `a queued request ran before its client left: ${JSON.stringify(line)}`);
  }
  const dequeued = await readMetrics(server);
  assert.equal(numWaiting(dequeued), 0);
  assert.equal(numRunning(dequeued), 16, "the queued requests were admitted instead of dropped");
  for (const controller of running) controller.abort();
  await expectAborted(runningIds, t);
  await expectHealthyAfterwards();
});
