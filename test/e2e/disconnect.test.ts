/**
 * A client that disconnects stops its generation at once, streaming or not:
 * observed through /metrics (vLLM's names), polled a bounded number of times.
 * Each request asks for far more tokens than it can produce before the abort
 * lands (ignore_eos), so a generation that keeps running shows in the counters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

const maxTokens = 2000;
/** A request that ran to completion would add maxTokens; an aborted one must add far fewer. */
const maxTokensAfterAbort = maxTokens / 2;
const maxPolls = 2000;

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", "2048", "--max-num-seqs", "16"] }, (served) => ({ server, client, model } = served));

type MetricName =
  | "vllm:num_requests_running"
  | "vllm:num_requests_waiting"
  | "vllm:kv_cache_usage_perc"
  | "vllm:generation_tokens_total";

async function readMetrics(): Promise<Record<MetricName, number>> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const values: Partial<Record<MetricName, number>> = {};
  for (const name of ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:generation_tokens_total"] as const) {
    const match = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text);
    assert.ok(match, `${name} missing from /metrics:\n${text}`);
    values[name] = Number(match[1]);
  }
  return values as Record<MetricName, number>;
}

/** Polls /metrics (no timers: each poll is one round trip) until `isDone` holds. */
async function pollMetrics(what: string, isDone: (m: Record<MetricName, number>) => boolean): Promise<Record<MetricName, number>> {
  let last: Record<MetricName, number> | undefined;
  for (let attempt = 0; attempt < maxPolls; attempt++) {
    last = await readMetrics();
    if (isDone(last)) return last;
  }
  assert.fail(`${what} never happened in ${maxPolls} polls; last metrics ${JSON.stringify(last)}`);
}

async function waitIdle(): Promise<Record<MetricName, number>> {
  const metrics = await pollMetrics("running back to 0", (m) => m["vllm:num_requests_running"] === 0 && m["vllm:num_requests_waiting"] === 0);
  assert.equal(metrics["vllm:kv_cache_usage_perc"], 0, "slots still in use after every request ended");
  return metrics;
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

const post = (body: string, signal: AbortSignal) =>
  fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body, signal });

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
  const before = await waitIdle();
  const controller = new AbortController();
  const response = await post(longBody(true), controller.signal);
  const frames = await readFrames(response, 3);
  assert.ok(frames.every((f) => f.startsWith("data: {")), JSON.stringify(frames));
  const during = await readMetrics();
  assert.equal(during["vllm:num_requests_running"], 1);
  controller.abort();
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  assert.ok(generated >= 2, `generated ${generated}`);
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < maxTokensAfterAbort, `generation went on after the disconnect: ${generated} tokens`);
  await expectHealthyAfterwards();
});

test("breaking out of the openai client's stream stops the generation", async (t) => {
  const before = await waitIdle();
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Tell me a very long story." }],
    max_tokens: maxTokens,
    ignore_eos: true,
    stream: true,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  let numChunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    if (++numChunks === 3) break;
  }
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < maxTokensAfterAbort, `generation went on after the client broke off: ${generated} tokens`);
  await expectHealthyAfterwards();
});

test("a non-streaming client that disconnects stops its generation", async (t) => {
  const before = await waitIdle();
  const controller = new AbortController();
  const pending = post(longBody(false), controller.signal);
  await pollMetrics("the request running", (m) => m["vllm:num_requests_running"] === 1);
  controller.abort();
  await assert.rejects(pending, (error: unknown) => (error as Error).name === "AbortError");
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < maxTokensAfterAbort, `generation went on after the disconnect: ${generated} tokens`);
  await expectHealthyAfterwards();
});

test("a non-streaming completions request aborted with several prompts stops them all", async (t) => {
  const before = await waitIdle();
  const controller = new AbortController();
  const pending = fetch(`${server.baseURL}/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, prompt: ["Once upon a time", "In a galaxy far away", "It was a dark night"], n: 2, max_tokens: maxTokens, ignore_eos: true }),
    signal: controller.signal,
  });
  await pollMetrics("the prompts running", (m) => m["vllm:num_requests_running"] === 3);
  controller.abort();
  await assert.rejects(pending, (error: unknown) => (error as Error).name === "AbortError");
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < 6 * maxTokensAfterAbort, `generation went on after the disconnect: ${generated} tokens`);
  await expectHealthyAfterwards();
});

test("eight streaming clients disconnecting at once all stop", async (t) => {
  const before = await waitIdle();
  const controllers = Array.from({ length: 8 }, () => new AbortController());
  const responses = await Promise.all(controllers.map((c) => post(longBody(true), c.signal)));
  await Promise.all(responses.map((r) => readFrames(r, 2)));
  const during = await readMetrics();
  assert.equal(during["vllm:num_requests_running"], 8);
  for (const controller of controllers) controller.abort();
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < 8 * maxTokensAfterAbort, `generation went on after the disconnects: ${generated} tokens`);
  await expectHealthyAfterwards();
});

test("clients that disconnect while queued leave the queue without ever running", async (t) => {
  const before = await waitIdle();
  const running = Array.from({ length: 16 }, () => new AbortController());
  const responses = await Promise.all(running.map((c) => post(longBody(true), c.signal)));
  await Promise.all(responses.map((r) => readFrames(r, 2)));
  const queued = Array.from({ length: 4 }, () => new AbortController());
  const pending = queued.map((c) => post(longBody(false), c.signal));
  const full = await pollMetrics("four requests queued", (m) => m["vllm:num_requests_waiting"] === 4);
  assert.equal(full["vllm:num_requests_running"], 16);
  for (const controller of queued) controller.abort();
  for (const request of pending) await assert.rejects(request, (error: unknown) => (error as Error).name === "AbortError");
  const dequeued = await pollMetrics("the queue emptied", (m) => m["vllm:num_requests_waiting"] === 0);
  assert.equal(dequeued["vllm:num_requests_running"], 16, "the queued requests were admitted instead of dropped");
  for (const controller of running) controller.abort();
  const afterAbort = await waitIdle();
  const generated = afterAbort["vllm:generation_tokens_total"] - before["vllm:generation_tokens_total"];
  t.diagnostic(`generated ${generated} tokens`);
  assert.ok(generated < 16 * maxTokensAfterAbort, `generation went on after the disconnects: ${generated} tokens`);
  await expectHealthyAfterwards();
});
