/**
 * Several models in one server, black-box: two generated models with
 * different weights (tiny-f32 and builtin) served at once and routed by
 * `model`, each answering exactly as when served alone; aliases; a generated
 * LoRA adapter on the first, served as its own model with `parent`; a
 * `--config` file; and under `--max-loaded-models 1`, alternating requests
 * that unload and reload the models (seen in the server's log lines).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { generateLoraAdapter } from "../../src/models/generate-lora.js";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { testCacheDir } from "../../src/testing/paths.js";
import { startServer, type TestServer } from "./server-harness.js";

const prompt = "Once upon a time";

/** The greedy completion of `prompt`, run to max_tokens so two models' outputs cannot both end empty. */
async function greedy(client: OpenAI, model: string): Promise<string> {
  const completion = await client.completions.create({ model, prompt, max_tokens: 12, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
  assert.equal(completion.model, model);
  return completion.choices[0].text;
}

let betaPath: string;
let loraPath: string;
const alone: { alpha?: string; beta?: string } = {};
let multi: TestServer;
let budgeted: TestServer;

before(async () => {
  betaPath = await ensureGeneratedModel("builtin", testCacheDir);
  const alphaPath = await ensureGeneratedModel("tiny-f32", testCacheDir);
  loraPath = join(testCacheDir, "multi-model-test-lora.gguf");
  await generateLoraAdapter(alphaPath, loraPath);

  for (const [key, preset] of [["alpha", "tiny-f32"], ["beta", "builtin"]] as const) {
    const server = await startServer({ preset, args: ["--served-model-name", key] });
    alone[key] = await greedy(server.client(), key);
    assert.equal(await server.stop(), 0);
  }

  multi = await startServer({
    preset: "tiny-f32",
    args: ["--served-model-name", "alpha", "alpha-alias", "--model", `beta=${betaPath}`, "--lora-modules", `alpha-lora=${loraPath}`],
  });

  const configPath = join(testCacheDir, "multi-model-test-config.json");
  await writeFile(configPath, JSON.stringify({ models: [{ model: betaPath, "served-model-name": ["beta", "beta-alias"], "max-model-len": 512 }] }));
  budgeted = await startServer({
    preset: "tiny-f32",
    args: ["--served-model-name", "alpha", "--config", configPath, "--max-loaded-models", "1"],
  });
});

after(async () => {
  assert.equal(await multi?.stop(), 0);
  assert.equal(await budgeted?.stop(), 0);
});

test("the two models answer differently, each as it does when served alone", async () => {
  assert.notEqual(alone.alpha, alone.beta);
  const client = multi.client();
  assert.equal(await greedy(client, "alpha"), alone.alpha);
  assert.equal(await greedy(client, "beta"), alone.beta);
  assert.equal(await greedy(client, "alpha-alias"), alone.alpha);
  // Interleaved and concurrent: each request still reaches its own model.
  const answers = await Promise.all(["beta", "alpha", "beta", "alpha"].map((model) => greedy(client, model)));
  assert.deepEqual(answers, [alone.beta, alone.alpha, alone.beta, alone.alpha]);
});

test("chat streams are routed by model too", async () => {
  const stream = await multi.client().chat.completions.create({
    model: "beta",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 4,
    stream: true,
  });
  const models = new Set<string>();
  for await (const chunk of stream) models.add(chunk.model);
  assert.deepEqual([...models], ["beta"]);
});

test("/v1/models lists every model, its aliases and the LoRA adapter with its parent", async () => {
  const models = (await multi.client().models.list()).data as unknown as Array<Record<string, unknown>>;
  assert.deepEqual(
    models.map((model) => [model.id, model.root, model.parent]),
    [
      ["alpha", "alpha", null],
      ["alpha-alias", "alpha", null],
      ["alpha-lora", loraPath, "alpha"],
      ["beta", "beta", null],
    ],
  );
  for (const model of models) assert.equal(model.object, "model");
});

test("the LoRA adapter changes its alias's greedy output only", async () => {
  const client = multi.client();
  const adapted = await greedy(client, "alpha-lora");
  assert.notEqual(adapted, alone.alpha);
  assert.equal(await greedy(client, "alpha"), alone.alpha);
  assert.equal(await greedy(client, "alpha-lora"), adapted);
  // Base and adapter requests at the same time (two contexts on one set of weights).
  const [base, lora] = await Promise.all([greedy(client, "alpha"), greedy(client, "alpha-lora")]);
  assert.deepEqual([base, lora], [alone.alpha, adapted]);
});

test("an unknown model is a 404 naming the served ones", async () => {
  await assert.rejects(greedy(multi.client(), "gpt-4"), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.match(error.message, /`gpt-4` does not exist.*`alpha`.*`beta`/);
    return true;
  });
});

test("/tokenize and /metrics are per model", async () => {
  const response = await fetch(`${multi.url}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "alpha-lora", prompt: "abc" }),
  });
  assert.equal(response.status, 200);
  assert.ok(((await response.json()) as { count: number }).count > 0);
  const metrics = await (await fetch(`${multi.url}/metrics`)).text();
  // As in vLLM, an adapter's requests count under its base model; the adapter shows in lora_requests_info.
  for (const name of ["alpha", "beta"]) {
    assert.match(metrics, new RegExp(`^vllm:generation_tokens_total\\{model_name="${name}"\\} [1-9]`, "m"));
  }
  assert.doesNotMatch(metrics, /model_name="alpha-lora"/);
  assert.match(metrics, /^vllm:lora_requests_info\{max_lora="1",running_lora_adapters="",waiting_lora_adapters=""\} \d/m);
  assert.equal(metrics.match(/^# TYPE vllm:generation_tokens_total /gm)?.length, 1);
});

test("under --max-loaded-models 1, alternating requests unload and reload, and both answer correctly", async () => {
  const client = budgeted.client();
  const loads = (name: string) => budgeted.output().match(new RegExp(`^pagoda: loaded model ${name} `, "gm"))?.length ?? 0;
  assert.equal(loads("alpha"), 1, "the first model is loaded at start");
  assert.equal(loads("beta"), 0, "the others load on their first request");
  for (const model of ["beta", "alpha", "beta-alias", "alpha"]) {
    assert.equal(await greedy(client, model), model.startsWith("beta") ? alone.beta : alone.alpha);
  }
  assert.equal(loads("alpha"), 3);
  assert.equal(loads("beta"), 2);
  assert.match(budgeted.output(), /unloading model alpha \(least recently used, idle\) to make room for beta/);
  assert.match(budgeted.output(), /loading model beta: 100%/);
  const models = (await client.models.list()).data as unknown as Array<Record<string, unknown>>;
  assert.deepEqual(
    models.map((model) => [model.id, model.max_model_len]),
    [
      ["alpha", 2048],
      ["beta", 512],
      ["beta-alias", 512],
    ],
  );
});

test("a model that cannot be loaded because the loaded one is busy gets a 503, then loads once it is idle", async () => {
  const client = budgeted.client();
  await greedy(client, "alpha");
  const controller = new AbortController();
  const stream = await client.completions.create(
    { model: "alpha", prompt, max_tokens: 1500, stream: true, ignore_eos: true } as OpenAI.CompletionCreateParamsStreaming,
    { signal: controller.signal },
  );
  const iterator = stream[Symbol.asyncIterator]();
  await iterator.next(); // alpha is now running a request
  await assert.rejects(greedy(client, "beta"), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 503);
    assert.match(error.message, /`beta` is not loaded.*busy/);
    return true;
  });
  controller.abort();
  // The server sees the disconnect a moment later; the SDK retries the 503 (Retry-After: 1).
  assert.equal(await greedy(budgeted.client({ maxRetries: 5 }), "beta"), alone.beta);
});
