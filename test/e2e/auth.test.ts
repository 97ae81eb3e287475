/**
 * API keys: `--api-key` given twice, both accepted; a missing or wrong key is a
 * 401 authentication_error/invalid_api_key on every /v1 route (known or not);
 * /health, /version and /metrics stay open.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;

useServer({ apiKey: "secret-one", args: ["--api-key", "secret-one", "--api-key", "secret-two"] }, (served) => ({ server } = served));

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Who won the world series in 2020?" }];

async function expectUnauthorized(response: Response): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, 401, text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(body.error.type, "authentication_error");
  assert.equal(body.error.code, "invalid_api_key");
  assert.equal(body.error.param, null);
  assert.equal(typeof body.error.message, "string");
  assert.doesNotMatch(body.error.message as string, /secret-(one|two)/, "the error leaks a configured key");
}

async function expectSdkUnauthorized(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OpenAI.AuthenticationError, `expected AuthenticationError, got ${String(error)}`);
    assert.equal(error.status, 401);
    assert.equal(error.type, "authentication_error");
    assert.equal(error.code, "invalid_api_key");
    return true;
  });
}

const chatBody = JSON.stringify({ messages, max_tokens: 1 });
const post = (path: string, headers: Record<string, string> = {}, body = chatBody) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });

test("no key: 401 invalid_api_key on /v1/models, /v1/chat/completions, /v1/completions and /v1/responses", async () => {
  await expectUnauthorized(await get("/v1/models"));
  await expectUnauthorized(await post("/v1/chat/completions"));
  await expectUnauthorized(await post("/v1/completions", {}, JSON.stringify({ prompt: "hi", max_tokens: 1 })));
  await expectUnauthorized(await post("/v1/chat/completions", {}, JSON.stringify({ messages, max_tokens: 1, stream: true })));
  await expectUnauthorized(await post("/v1/responses", {}, JSON.stringify({ input: "hi", max_output_tokens: 1 })));
  await expectUnauthorized(await get("/v1/responses/resp_x"));
  await expectUnauthorized(await fetch(`${server.url}/v1/responses/resp_x`, { method: "DELETE" }));
});

test("no key: the 401 comes before body validation", async () => {
  await expectUnauthorized(await post("/v1/chat/completions", {}, "{not json"));
  await expectUnauthorized(await post("/v1/chat/completions", {}, JSON.stringify({ model: "nope", messages: [] })));
});

test("a wrong key, an empty key or a malformed header is a 401", async () => {
  const wrong: Array<Record<string, string>> = [
    { Authorization: "Bearer wrong" },
    { Authorization: "Bearer secret-one-and-more" },
    { Authorization: "Bearer secret-on" },
    { Authorization: "Bearer " },
    { Authorization: "secret-one" },
    { Authorization: "Basic secret-one" },
    { Authorization: "Bearer secret-one,secret-two" },
  ];
  for (const headers of wrong) {
    await expectUnauthorized(await get("/v1/models", headers));
    await expectUnauthorized(await post("/v1/chat/completions", headers));
  }
});

test("the openai client gets AuthenticationError for a missing or wrong key, and does not retry it", async () => {
  let numFetches = 0;
  const wrongKey = new OpenAI({
    baseURL: server.baseURL,
    apiKey: "wrong",
    fetch: (url, init) => {
      numFetches++;
      return fetch(url, init);
    },
  });
  await expectSdkUnauthorized(wrongKey.models.list());
  await expectSdkUnauthorized(wrongKey.chat.completions.create({ messages, model: "", max_tokens: 1 }));
  await expectSdkUnauthorized(wrongKey.chat.completions.create({ messages, model: "", max_tokens: 1, stream: true }));
  await expectSdkUnauthorized(wrongKey.completions.create({ prompt: "hi", model: "", max_tokens: 1 }));
  assert.equal(numFetches, 4, "a 401 was retried");
  await expectSdkUnauthorized(server.client({ apiKey: "secret-three" }).models.list());
});

test("both configured keys work, with the openai client and raw fetch", async () => {
  for (const apiKey of ["secret-one", "secret-two"]) {
    const client = server.client({ apiKey });
    const models = await client.models.list();
    assert.equal(models.data.length, 1);
    const model = models.data[0].id;
    const r = await client.chat.completions.create({ model, messages, max_tokens: 2 });
    assert.equal(r.object, "chat.completion");
    const c = await client.completions.create({ model, prompt: "hi", max_tokens: 2 });
    assert.equal(c.object, "text_completion");
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 2, stream: true });
    let numChunks = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.object, "chat.completion.chunk");
      numChunks++;
    }
    assert.ok(numChunks >= 2);
    const response = await get("/v1/models", { Authorization: `Bearer ${apiKey}` });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { object: string }).object, "list");
    const lowerCaseScheme = await get("/v1/models", { Authorization: `bearer ${apiKey}` });
    assert.equal(lowerCaseScheme.status, 200, "the auth scheme is case-insensitive (RFC 9110 11.1)");
    await lowerCaseScheme.body?.cancel();
  }
});

test("/health, /version and /metrics are open without a key", async () => {
  const health = await get("/health");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  const version = await get("/version");
  assert.equal(version.status, 200);
  assert.equal(typeof ((await version.json()) as { version: unknown }).version, "string");
  const metrics = await get("/metrics");
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^vllm:num_requests_running\{[^}]*\} \d+$/m);
  // A wrong key on an open route is ignored, not rejected.
  const withWrongKey = await get("/health", { Authorization: "Bearer wrong" });
  assert.equal(withWrongKey.status, 200);
  await withWrongKey.body?.cancel();
});

test("an unknown /v1 route without a key is a 401, not a 404; with a key it is a 404", async () => {
  await expectUnauthorized(await get("/v1/nope"));
  await expectUnauthorized(await post("/v1/nope"));
  await expectUnauthorized(await get("/v1/chat/completions"));
  const withKey = await get("/v1/nope", { Authorization: "Bearer secret-two" });
  assert.equal(withKey.status, 404);
  assert.equal(((await withKey.json()) as { error: { type: string } }).error.type, "not_found_error");
  const wrongMethod = await get("/v1/chat/completions", { Authorization: "Bearer secret-two" });
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.body?.cancel();
});

test("a route outside /v1 that does not exist is a 404 even without a key", async () => {
  const response = await get("/nope");
  assert.equal(response.status, 404);
  assert.equal(((await response.json()) as { error: { type: string } }).error.type, "not_found_error");
});
