/**
 * Runtime LoRA management as vLLM's, black-box: with
 * --enable-runtime-lora-updating, an adapter written by `pagoda generate-model
 * --lora` is loaded with POST /v1/load_lora_adapter, then listed in
 * /v1/models with its parent, served (changing the greedy output), counted in
 * vllm:lora_requests_info, and unloaded again; vLLM's messages and status
 * codes for each mistake; without the flag the routes are 404s that say how
 * to turn them on.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import OpenAI from "openai";
import { testCacheDir } from "../../src/testing/paths.js";
import { cliPath, startServer, type TestServer } from "./server-harness.js";

const base = "lora-base";
let server: TestServer;
let loraPath: string;

before(async () => {
  loraPath = join(testCacheDir, "runtime-lora-test-adapter.gguf");
  // The user's way to get an adapter: the same command the README shows (the model lands in the same cache).
  await promisify(execFile)(process.execPath, [cliPath, "generate-model", "--preset", "tiny-f32", "--lora", loraPath], {
    env: { ...process.env, PAGODA_CACHE: testCacheDir },
  });
  server = await startServer({ preset: "tiny-f32", args: ["--served-model-name", base], env: { PAGODA_ENABLE_RUNTIME_LORA_UPDATING: "1" } });
});

after(async () => {
  assert.equal(await server?.stop(), 0);
});

function post(path: string, body: unknown, target = server): Promise<Response> {
  return fetch(`${target.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function greedy(model: string): Promise<string> {
  const completion = await server.client().completions.create({ model, prompt: "Once upon a time", max_tokens: 12, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
  assert.equal(completion.model, model);
  return completion.choices[0].text;
}

async function errorOf(response: Response, status: number): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  assert.equal(response.status, status);
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  assert.deepEqual(Object.keys(body.error), ["message", "type", "param", "code"]);
  return body.error;
}

async function loraInfo(): Promise<string> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("vllm:lora_requests_info{"));
  assert.ok(line, "vllm:lora_requests_info is exposed");
  return line;
}

test("an adapter loaded at run time is listed, served, counted, and unloaded", async () => {
  const baseText = await greedy(base);
  assert.match(await loraInfo(), /max_lora="0"/);

  const loaded = await post("/v1/load_lora_adapter", { lora_name: "sql", lora_path: loraPath });
  assert.equal(loaded.status, 200);
  assert.equal(await loaded.text(), "Success: LoRA adapter 'sql' added successfully.");

  const models = await server.client().models.list();
  const card = models.data.find((m) => m.id === "sql") as unknown as { root: string; parent: string } | undefined;
  assert.ok(card, "the adapter is in /v1/models");
  assert.equal(card.parent, base);
  assert.equal(card.root, loraPath);

  const adapted = await greedy("sql");
  assert.notEqual(adapted, baseText, "the adapter changes the greedy output");
  assert.equal(await greedy(base), baseText, "the base model is unchanged");
  assert.match(await loraInfo(), /^vllm:lora_requests_info\{max_lora="1",running_lora_adapters="",waiting_lora_adapters=""\} \d/);

  const unloaded = await post("/v1/unload_lora_adapter", { lora_name: "sql" });
  assert.equal(unloaded.status, 200);
  assert.equal(await unloaded.text(), "Success: LoRA adapter 'sql' removed successfully.");
  assert.ok(!(await server.client().models.list()).data.some((m) => m.id === "sql"));
  await assert.rejects(greedy("sql"), (error: unknown) => error instanceof OpenAI.NotFoundError);
  assert.match(await loraInfo(), /max_lora="0"/);

  // Loaded again under the same name, it answers as before.
  assert.equal((await post("/v1/load_lora_adapter", { lora_name: "sql", lora_path: loraPath })).status, 200);
  assert.equal(await greedy("sql"), adapted);
  assert.equal((await post("/v1/unload_lora_adapter", { lora_name: "sql" })).status, 200);
});

test("each mistake gets vLLM's message and status, and the server serves on", async () => {
  const missing = await errorOf(await post("/v1/load_lora_adapter", { lora_name: "x" }), 400);
  assert.equal(missing.message, "Both 'lora_name' and 'lora_path' must be provided.");
  assert.equal(missing.type, "invalid_request_error");

  const noFile = await errorOf(await post("/v1/load_lora_adapter", { lora_name: "x", lora_path: join(testCacheDir, "no-such-adapter.gguf") }), 404);
  assert.match(noFile.message, /^Loading lora x failed: No adapter found for /);
  assert.equal(noFile.param, "lora_path");

  const notAnAdapter = await errorOf(await post("/v1/load_lora_adapter", { lora_name: "x", lora_path: server.modelPath }), 400);
  assert.match(notAnAdapter.message, /is not a GGUF LoRA adapter/);

  const taken = await errorOf(await post("/v1/load_lora_adapter", { lora_name: base, lora_path: loraPath }), 400);
  assert.equal(taken.message, `The lora adapter '${base}' has already been loaded.`);

  const unknown = await errorOf(await post("/v1/unload_lora_adapter", { lora_name: "nope" }), 404);
  assert.equal(unknown.message, "The lora adapter 'nope' cannot be found.");
  assert.equal(unknown.type, "not_found_error");

  await errorOf(await post("/v1/unload_lora_adapter", {}), 400);
  await errorOf(await post("/v1/load_lora_adapter", { lora_name: 3, lora_path: loraPath }), 400);
  assert.ok((await greedy(base)).length > 0);
});

test("without the flag the routes are 404s naming it", async () => {
  const plain = await startServer({ preset: "tiny-f32" });
  try {
    const error = await errorOf(await post("/v1/load_lora_adapter", { lora_name: "sql", lora_path: loraPath }, plain), 404);
    assert.match(error.message, /--enable-runtime-lora-updating/);
  } finally {
    assert.equal(await plain.stop(), 0);
  }
});
