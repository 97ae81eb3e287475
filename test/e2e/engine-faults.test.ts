/**
 * A fault inside the engine loop, end to end: the request in flight gets a
 * 500 in OpenAI's error shape, the stack is logged once, and the server goes
 * on serving; a fault the engine cannot recover from turns /health and new
 * requests into 503s while the process stays up and still shuts down cleanly.
 * Faults are injected by a preload module (fixtures/engine-fault-preload.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";
import { fatalFaultSeed, recoverableFaultSeed } from "./fixtures/engine-fault-seeds.js";

const preload = pathToFileURL(join(import.meta.dirname, "fixtures", "engine-fault-preload.js")).href;

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ env: { NODE_OPTIONS: `--import ${preload}` } }, (served) => ({ server, client, model } = served));

const messages = [{ role: "user" as const, content: "Say something." }];

async function chat(seed: number): Promise<Response> {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, messages, max_tokens: 4, seed, temperature: 0 }),
  });
}

test("a fault in the engine loop answers 500 in OpenAI's shape, logs the stack once, and the server goes on", async () => {
  const response = await chat(recoverableFaultSeed);
  assert.equal(response.status, 500);
  const body = (await response.json()) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(body.error.type, "server_error");
  assert.doesNotMatch(String(body.error.message), /injected/, "details stay in the log");
  // One pino JSON line on stderr: the message, and the error with its stack.
  const [line] = await server.waitForOutput(/^\{.*"msg":"the engine loop failed while scheduling.*\}$/m);
  const entry = JSON.parse(line) as { level: number; err: { message: string; stack: string } };
  assert.equal(entry.err.message, "injected scheduler fault for seed 4321");
  assert.match(entry.err.stack, /^Error: injected scheduler fault for seed 4321\n\s+at /);
  assert.equal(server.output().split("\n").filter((text) => text.includes("injected scheduler fault for seed 4321")).length, 1, "logged once");
  // Through the official client, streaming too: the engine serves as before.
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 4, temperature: 0, stream: true });
  let numChunks = 0;
  for await (const _chunk of stream) numChunks++;
  assert.ok(numChunks > 0);
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});

test("a fault the engine cannot recover from: /health and new requests answer 503, the process stays up", async () => {
  const response = await chat(fatalFaultSeed);
  assert.equal(response.status, 500);
  await server.waitForOutput(/engine is dead/);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 503);
  assert.equal(((await health.json()) as { error: { code: string } }).error.code, "engine_dead");
  await assert.rejects(client.chat.completions.create({ model, messages, max_tokens: 4 }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 503);
    assert.equal(error.code, "engine_dead");
    return true;
  });
  assert.equal(server.process.exitCode, null, "the process is alive");
});
