import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelNotFoundError } from "../errors.js";
import type { OpenAIServing, ServingResult } from "../protocol/serving.js";
import { RequestHandle } from "../request-handle.js";
import { ModelRegistry } from "./model-registry.js";
import { ModelRouter, type LoadedModels, type ServedModel } from "./model-router.js";

/** Two models, "base" (alias "base-alias") and "other"; each chat answer names the model it ran on. */
function setup() {
  const events: string[] = [];
  const served = (unit: string): ServedModel => ({
    serving: { chatCompletions: (_body: unknown, _handle: unknown, name: string): ServingResult => ({ kind: "json", body: `${unit} as ${name}` }) } as unknown as OpenAIServing,
    tokenization: null as never,
    embeddings: null as never,
  });
  const entry = (names: string[]) => ({
    names,
    sizeBytes: 1,
    load: async (): Promise<LoadedModels> => ({ servedModel: () => served(names[0]) }),
    unload: async () => void events.push(`unload ${names[0]}`),
  });
  const registry = new ModelRegistry([entry(["base", "base-alias"]), entry(["other"])], { maxLoadedModels: 1, maxLoadedBytes: null, log: () => {} });
  const cards = ["base", "base-alias", "other"].map((id) => ({ id, root: id, parent: null, maxModelLen: 64 }));
  return { router: new ModelRouter(registry, cards, 0), registry, events };
}

test("the model a body names, else the first: the one place a model name is resolved", async () => {
  const { router } = setup();
  const answer = async (body: Record<string, unknown>) => {
    const handle = new RequestHandle("r");
    const result = await router.chatCompletions(body, handle);
    handle.end();
    return result.kind === "json" ? result.body : null;
  };
  assert.equal(await answer({ model: "base-alias" }), "base as base-alias");
  assert.equal(await answer({}), "base as base");
  assert.equal(await answer({ model: "" }), "base as base");
  assert.equal(await answer({ model: "other" }), "other as other");
});

test("an unknown model is one 404 naming every served model", async () => {
  const { router } = setup();
  await assert.rejects(router.chatCompletions({ model: "gpt-4" }, new RequestHandle("r")), (error: unknown) => {
    assert.ok(error instanceof ModelNotFoundError);
    assert.equal(error.status, 404);
    assert.match(error.message, /`gpt-4` does not exist\. This server serves: `base`, `base-alias`, `other`\./);
    return true;
  });
});

test("the model's lease is held until the request is done: the handle ended and its generations reported", async () => {
  const { router, registry, events } = setup();
  const handle = new RequestHandle("r");
  await router.chatCompletions({ model: "base" }, handle);
  const reportGeneration = handle.startGeneration();
  handle.end();
  // A budget of one model: "other" needs "base" unloaded, which its lease forbids.
  await assert.rejects(registry.acquire("other"), /busy/);
  reportGeneration({ timings: {} as never, renderPrompt: () => "" });
  await new Promise((resolve) => setImmediate(resolve));
  (await registry.acquire("other")).release();
  assert.deepEqual(events, ["unload base"]);
});
