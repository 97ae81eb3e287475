/**
 * Configuration through the environment on both sides: the server takes its
 * API key from PAGODA_API_KEY (no --api-key), and the openai client is built
 * with no arguments from OPENAI_BASE_URL / OPENAI_API_KEY, as users set it up.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;

useServer({ apiKey: "from-env", env: { PAGODA_API_KEY: "from-env" } }, (served) => ({ server } = served));

/** Builds `new OpenAI()` from the environment, restoring process.env afterwards. */
function clientFromEnv(env: { OPENAI_BASE_URL: string; OPENAI_API_KEY: string }): OpenAI {
  const saved = { OPENAI_BASE_URL: process.env.OPENAI_BASE_URL, OPENAI_API_KEY: process.env.OPENAI_API_KEY };
  try {
    process.env.OPENAI_BASE_URL = env.OPENAI_BASE_URL;
    process.env.OPENAI_API_KEY = env.OPENAI_API_KEY;
    return new OpenAI();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Who won the world series in 2020?" }];

test("the banner says a key is required when it comes from PAGODA_API_KEY", () => {
  assert.match(server.output(), /API key:\s+required/);
});

test("new OpenAI() configured by OPENAI_BASE_URL and OPENAI_API_KEY talks to the server", async () => {
  const savedBaseUrl = process.env.OPENAI_BASE_URL;
  const client = clientFromEnv({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: "from-env" });
  assert.equal(process.env.OPENAI_BASE_URL, savedBaseUrl, "process.env was not restored");
  assert.equal(client.baseURL, server.baseURL);
  const models = await client.models.list();
  const model = models.data[0].id;
  const r = await client.chat.completions.create({ model, messages, max_tokens: 3 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.model, model);
  assert.ok(r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 3);
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 3, stream: true });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
});

test("a wrong OPENAI_API_KEY gets AuthenticationError 401", async () => {
  const client = clientFromEnv({ OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: "not-from-env" });
  for (const request of [() => client.models.list(), () => client.chat.completions.create({ model: "", messages, max_tokens: 1 })]) {
    await assert.rejects(request(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.type, "authentication_error");
      assert.equal(error.code, "invalid_api_key");
      return true;
    });
  }
});

test("no key at all is a 401 too: PAGODA_API_KEY really is enforced", async () => {
  const response = await fetch(`${server.baseURL}/models`);
  assert.equal(response.status, 401);
  const body = (await response.json()) as { error: { type: string; code: string } };
  assert.equal(body.error.type, "authentication_error");
  assert.equal(body.error.code, "invalid_api_key");
  const open = await fetch(`${server.url}/health`);
  assert.equal(open.status, 200);
  await open.body?.cancel();
});
