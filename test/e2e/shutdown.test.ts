/**
 * Graceful shutdown, as vLLM's `--shutdown-timeout`
 * (tests/entrypoints/openai/completion/test_shutdown.py), seen on the wire:
 * on SIGTERM new requests get 503 while the requests in flight finish
 * normally within the timeout; with a timeout of 0, or on a second signal,
 * they end at once with finish_reason "abort" (vLLM's, not in the openai SDK's
 * types, hence raw fetch). The process exits 0 either way.
 *
 * Each test starts its own server, because each ends by shutting it down.
 * Synchronisation is by the server's own signals: a signal is sent once every
 * stream has delivered its first chunk (so all of them are running), or once
 * /metrics counts a non-streaming request as running, and "new requests" are
 * sent once the server has printed that it is shutting down. The streams
 * ask for 2000 tokens with ignore_eos, many seconds of work for the tiny
 * model, so they are still running when the signal lands.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { metricsWhen, startServer, type TestServer } from "./server-harness.js";

const maxTokens = 2000;
const numStreams = 8;
const serverArgs = ["--max-model-len", "2048", "--max-num-seqs", "16"];

interface Chunk {
  choices: Array<{ index: number; finish_reason: string | null; delta?: { content?: string }; text?: string; message?: { content: string } }>;
  usage?: { completion_tokens: number } | null;
}

interface StreamRun {
  /** Resolves once the first SSE frame has arrived. */
  firstFrame: Promise<void>;
  /** Every `data:` payload, once the stream has ended. */
  frames: Promise<string[]>;
}

function openStream(server: TestServer, content: string): StreamRun {
  let onFirst = () => {};
  const firstFrame = new Promise<void>((resolve) => (onFirst = resolve));
  const frames = (async () => {
    try {
      const response = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          messages: [{ role: "user", content }],
          max_tokens: maxTokens,
          ignore_eos: true,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      if (response.status !== 200) assert.fail(`status ${response.status}: ${await response.text()}`);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const payloads: string[] = [];
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          assert.ok(frame.startsWith("data: "), `not an SSE data frame: ${frame}`);
          payloads.push(frame.slice("data: ".length));
          onFirst();
        }
      }
      assert.equal(buffer, "", "the stream ended mid-frame");
      return payloads;
    } finally {
      onFirst(); // a stream that failed must not leave the test waiting
    }
  })();
  return { firstFrame, frames };
}

/** The finish_reason of the stream's one choice and its usage, checking the chunk sequence on the way. */
function summarize(payloads: string[]): { finishReason: string; completionTokens: number } {
  assert.equal(payloads.at(-1), "[DONE]", "the stream must end with data: [DONE]");
  const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload) as Chunk);
  assert.ok(!chunks.some((chunk) => "error" in chunk), `an error frame: ${payloads.find((p) => p.includes('"error"'))}`);
  const finishes = chunks.flatMap((chunk) => chunk.choices.filter((choice) => choice.finish_reason !== null));
  assert.equal(finishes.length, 1, "exactly one chunk carries the finish_reason");
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, [], "the last chunk is the usage chunk (include_usage)");
  return { finishReason: finishes[0].finish_reason!, completionTokens: usage.usage!.completion_tokens };
}

async function withServer(args: string[], run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer({ args: [...serverArgs, ...args] });
  try {
    await run(server);
  } finally {
    if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill("SIGKILL");
  }
}

async function startStreams(server: TestServer): Promise<StreamRun[]> {
  const runs = Array.from({ length: numStreams }, (_, i) => openStream(server, `Story number ${i}, please.`));
  await Promise.all(runs.map((run) => run.firstFrame));
  return runs;
}

async function expectShuttingDown503(server: TestServer, path: string, init: RequestInit = {}): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${server.url}${path}`, init);
  } catch (error) {
    assert.fail(`expected a 503 while draining, got a connection error: ${String(error)}`);
  }
  const text = await response.text();
  assert.equal(response.status, 503, text);
  assert.equal(response.headers.get("retry-after"), "1");
  assert.equal(response.headers.get("connection"), "close");
  assert.ok(response.headers.get("x-request-id"));
  const body = JSON.parse(text) as { error: { type: string; code: string; message: string; param: null } };
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(body.error.type, "server_error");
  assert.equal(body.error.code, "service_unavailable");
  assert.match(body.error.message, /shutting down/);
}

test("--shutdown-timeout 300: on SIGTERM new requests get 503, the 8 streams in flight finish normally, exit 0", async () => {
  await withServer(["--shutdown-timeout", "300"], async (server) => {
    const runs = await startStreams(server);
    server.process.kill("SIGTERM");
    await server.waitForOutput(/SIGTERM: shutting down, new requests get 503; waiting up to 300 s for 8 request/);

    await expectShuttingDown503(server, "/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Too late?" }], max_tokens: 5 }),
    });
    await expectShuttingDown503(server, "/health");

    for (const run of runs) {
      const { finishReason, completionTokens } = summarize(await run.frames);
      assert.equal(finishReason, "length");
      assert.equal(completionTokens, maxTokens);
    }
    assert.equal(await server.exited, 0);
    assert.doesNotMatch(server.output(), /aborting/);
    assert.match(server.output(), /pagoda: stopped/);
  });
});

test("--shutdown-timeout 0: SIGTERM aborts the requests in flight (finish_reason abort, then [DONE]) and exits 0", async () => {
  await withServer(["--shutdown-timeout", "0"], async (server) => {
    const runs = await startStreams(server);
    // One non-streaming request too, known to be running once the server's own gauge counts it
    // (it sends nothing before it ends, so there is no event to wait on).
    const nonStreaming = fetch(`${server.baseURL}/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: "Once upon a time", max_tokens: maxTokens, ignore_eos: true }),
    });
    await metricsWhen(server, (metrics) => metrics.get("vllm:num_requests_running") === numStreams + 1);
    server.process.kill("SIGTERM");

    // No check on the text's length: the tiny model emits mostly invalid UTF-8 bytes, which
    // the detokenizer may still be holding when the abort lands, so a stream's text can be "".
    for (const run of runs) {
      const { finishReason, completionTokens } = summarize(await run.frames);
      assert.equal(finishReason, "abort");
      assert.ok(completionTokens >= 1 && completionTokens < maxTokens, `completion_tokens ${completionTokens}`);
    }
    const response = await nonStreaming;
    assert.equal(response.status, 200);
    const completion = (await response.json()) as Chunk;
    assert.equal(completion.choices[0].finish_reason, "abort");
    assert.ok(completion.usage!.completion_tokens < maxTokens);
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /aborting 9 request\(s\) still in flight/);
  });
});

test("default timeout: a second SIGTERM while draining aborts the requests in flight at once", async () => {
  await withServer([], async (server) => {
    const runs = await startStreams(server);
    server.process.kill("SIGTERM");
    await server.waitForOutput(/waiting up to 30 s for 8 request\(s\) in flight \(SIGTERM again aborts them\)/);
    server.process.kill("SIGTERM");
    await server.waitForOutput(/SIGTERM again: aborting the requests in flight now/);
    for (const run of runs) {
      const { finishReason, completionTokens } = summarize(await run.frames);
      assert.equal(finishReason, "abort");
      assert.ok(completionTokens < maxTokens, `completion_tokens ${completionTokens}`);
    }
    assert.equal(await server.exited, 0);
  });
});
