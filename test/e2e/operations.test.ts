/**
 * Operations features, black-box: vLLM's /tokenize and /detokenize (open, as
 * in vLLM), CORS (preflight before the API key, Access-Control-Allow-Origin on
 * every answer), --root-path, X-Request-Id, and the 413 body limit. One server
 * with an API key, a root path, one allowed origin and a small body limit.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { readSse, startServer, type TestServer } from "./server-harness.js";

const apiKey = "ops-secret";
const rootPath = "/llm";
const allowedOrigin = "https://app.example";
const maxBodyBytes = 65536;

let server: TestServer;
let client: OpenAI;
let model: string;
let maxModelLen: number;

before(async () => {
  server = await startServer({
    apiKey,
    args: [
      "--api-key", apiKey,
      "--root-path", `${rootPath}/`,
      "--allowed-origins", JSON.stringify([allowedOrigin]),
      "--max-request-body-bytes", String(maxBodyBytes),
    ],
  });
  client = server.client();
  const models = await client.models.list();
  model = models.data[0].id;
  maxModelLen = (models.data[0] as unknown as { max_model_len: number }).max_model_len;
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

const auth = { Authorization: `Bearer ${apiKey}` };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return JSON.parse(text) as T;
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function expectError(response: Response, status: number, expected: Partial<ErrorBody["error"]>): Promise<ErrorBody["error"]> {
  const body = await json<ErrorBody>(response, status);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  for (const [key, value] of Object.entries(expected)) assert.equal(body.error[key as keyof ErrorBody["error"]], value, `${key} in ${JSON.stringify(body)}`);
  return body.error;
}

interface TokenizeResponse {
  count: number;
  max_model_len: number;
  tokens: number[];
  token_strs?: string[];
}

const tokenize = async (body: unknown, path = "/tokenize") => json<TokenizeResponse>(await post(path, body));
const detokenize = async (tokens: number[]) => (await json<{ prompt: string }>(await post("/detokenize", { tokens }))).prompt;

// ---------------------------------------------------------------- tokenize

test("/tokenize counts a text prompt as /v1/completions does, and /detokenize gives the text back", async () => {
  const prompt = "Hello, world! Ünïcödé 字 🙂";
  const tokenized = await tokenize({ model, prompt });
  assert.deepEqual(Object.keys(tokenized).sort(), ["count", "max_model_len", "tokens"]);
  assert.equal(tokenized.count, tokenized.tokens.length);
  assert.ok(tokenized.count > 0);
  assert.equal(tokenized.max_model_len, maxModelLen);
  assert.ok(tokenized.tokens.every((token) => Number.isInteger(token) && token >= 0));

  const completion = await client.completions.create({ model, prompt, max_tokens: 1 });
  assert.equal(completion.usage!.prompt_tokens, tokenized.count, "/tokenize and /v1/completions disagree on the prompt");
  const fromIds = await client.completions.create({ model, prompt: tokenized.tokens, max_tokens: 1 });
  assert.equal(fromIds.usage!.prompt_tokens, tokenized.count);

  const raw = await tokenize({ prompt, add_special_tokens: false });
  assert.equal(await detokenize(raw.tokens), prompt);
  assert.ok((await detokenize(tokenized.tokens)).endsWith(prompt));
});

test("/tokenize with messages counts the prompt /v1/chat/completions runs; special tokens come back from /detokenize", async () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Hello there" },
  ];
  const tokenized = await tokenize({ model, messages });
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 1 });
  assert.equal(chat.usage!.prompt_tokens, tokenized.count, "/tokenize and /v1/chat/completions disagree on the prompt");

  const text = await detokenize(tokenized.tokens);
  assert.match(text, /You are terse\./);
  assert.match(text, /Hello there/);
  assert.match(text, /<\|im_start\|>assistant\n$/, "the generation prompt is added by default (the tiny model's template is ChatML)");

  const withoutGenerationPrompt = await tokenize({ messages, add_generation_prompt: false });
  assert.ok(withoutGenerationPrompt.count < tokenized.count);
  assert.deepEqual(withoutGenerationPrompt.tokens, tokenized.tokens.slice(0, withoutGenerationPrompt.count));
  assert.doesNotMatch(await detokenize(withoutGenerationPrompt.tokens), /assistant/);
});

test("return_token_strs adds the vocabulary's strings, one per token", async () => {
  const withStrs = await tokenize({ prompt: "Hello world", return_token_strs: true });
  assert.equal(withStrs.token_strs!.length, withStrs.count);
  assert.ok(withStrs.token_strs!.every((piece) => typeof piece === "string" && piece.length > 0), JSON.stringify(withStrs.token_strs));
  assert.ok("token_strs" in withStrs);
  const chat = await tokenize({ messages: [{ role: "user", content: "Hi" }], return_token_strs: true });
  assert.ok(chat.token_strs!.includes("<|im_start|>"), JSON.stringify(chat.token_strs));
  assert.equal((await tokenize({ prompt: "Hello world", return_token_strs: false })).token_strs, undefined);
});

test("/tokenize and /detokenize are open (no API key, as in vLLM) and served under the root path", async () => {
  const open = await post("/tokenize", { prompt: "hi" });
  assert.equal(open.status, 200);
  await open.body?.cancel();
  const prefixed = await tokenize({ prompt: "hi" }, `${rootPath}/tokenize`);
  assert.deepEqual(prefixed, await tokenize({ prompt: "hi" }));
  const wrongKey = await post("/detokenize", { tokens: [] }, { Authorization: "Bearer wrong" });
  assert.deepEqual(await json(wrongKey), { prompt: "" });
});

test("bad tokenize/detokenize requests are OpenAI-shaped 4xx: unknown model 404, out-of-vocabulary 400", async () => {
  await expectError(await post("/tokenize", { model: "gpt-4", prompt: "hi" }), 404, { type: "not_found_error", param: "model", code: "model_not_found" });
  await expectError(await post("/detokenize", { model: "gpt-4", tokens: [1] }), 404, { type: "not_found_error", param: "model" });
  const oov = await expectError(await post("/detokenize", { tokens: [1, 10_000_000] }), 400, { type: "invalid_request_error", param: "tokens" });
  assert.match(oov.message, /out of vocabulary/);
  await expectError(await post("/detokenize", { tokens: [-1] }), 400, { param: "tokens[0]" });
  await expectError(await post("/detokenize", { tokens: "1 2 3" }), 400, { param: "tokens" });
  await expectError(await post("/tokenize", {}), 400, { param: "prompt" });
  await expectError(await post("/tokenize", { prompt: ["a", "b"] }), 400, { param: "prompt" });
  await expectError(await post("/tokenize", { prompt: "a", messages: [{ role: "user", content: "b" }] }), 400, { param: "messages" });
  await expectError(await post("/tokenize", { messages: [] }), 400, { param: "messages" });
  await expectError(await post("/tokenize", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }), 400, { param: "messages" });
  await expectError(await post("/tokenize", { messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] }), 400, { param: "tools[0].function" });
  await expectError(await post("/tokenize", "{not json"), 400, { type: "invalid_request_error" });
  await expectError(await fetch(`${server.url}/tokenize`), 405, { code: "method_not_allowed" });
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
});

// ---------------------------------------------------------------- root path

test("--root-path: every route is also served under the prefix, with the same API key rules", async () => {
  const prefixed = new OpenAI({ baseURL: `${server.url}${rootPath}/v1`, apiKey, maxRetries: 0 });
  const models = await prefixed.models.list();
  assert.equal(models.data[0].id, model);
  const chat = await prefixed.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
  assert.equal(chat.object, "chat.completion");
  const stream = await prefixed.completions.create({ model, prompt: "Hi", max_tokens: 2, stream: true });
  let numChunks = 0;
  for await (const chunk of stream) if (chunk.object === "text_completion") numChunks++;
  assert.ok(numChunks >= 1);

  const health = await fetch(`${server.url}${rootPath}/health`);
  assert.equal(health.status, 200);
  const version = await json<{ version: string }>(await fetch(`${server.url}${rootPath}/version`));
  assert.equal(typeof version.version, "string");
  await expectError(await fetch(`${server.url}${rootPath}/v1/models`), 401, { type: "authentication_error", code: "invalid_api_key" });
  await expectError(await fetch(`${server.url}${rootPath}/v1/nope`, { headers: auth }), 404, { type: "not_found_error" });
  await expectError(await fetch(`${server.url}${rootPath}x/v1/models`, { headers: auth }), 404, { type: "not_found_error" });
  // The bare routes stay served.
  assert.equal((await client.models.list()).data[0].id, model);
});

// ---------------------------------------------------------------- CORS

test("a CORS preflight is answered 204 before the API key, with the Access-Control-Allow-* headers", async () => {
  for (const path of ["/v1/chat/completions", `${rootPath}/v1/completions`, "/tokenize", "/not-a-route"]) {
    const response = await fetch(`${server.url}${path}`, {
      method: "OPTIONS",
      headers: {
        Origin: allowedOrigin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
      },
    });
    assert.equal(response.status, 204, path);
    assert.equal(await response.text(), "");
    assert.equal(response.headers.get("access-control-allow-origin"), allowedOrigin);
    assert.match(response.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/);
    assert.match(response.headers.get("access-control-allow-methods") ?? "", /\bGET\b/);
    assert.equal(response.headers.get("access-control-allow-headers"), "authorization, content-type, x-request-id");
    assert.equal(response.headers.get("access-control-max-age"), "600");
    assert.equal(response.headers.get("access-control-allow-credentials"), null, "--allow-credentials is off by default");
    assert.match(response.headers.get("vary") ?? "", /Origin/);
  }
});

test("a preflight from an origin not allowed is a 400 with no Allow-Origin", async () => {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(response.headers.get("access-control-allow-origin"), null);
  const error = await expectError(response, 400, { type: "invalid_request_error", code: "cors_disallowed" });
  assert.match(error.message, /origin/);
});

test("actual responses carry Access-Control-Allow-Origin for an allowed Origin: success, errors and streams", async () => {
  const origin = { Origin: allowedOrigin };
  const ok = await fetch(`${server.url}/v1/models`, { headers: { ...origin, ...auth } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), allowedOrigin);
  await ok.body?.cancel();

  const unauthorized = await fetch(`${server.url}/v1/models`, { headers: origin });
  assert.equal(unauthorized.headers.get("access-control-allow-origin"), allowedOrigin, "a browser must be able to read the 401");
  await expectError(unauthorized, 401, { type: "authentication_error" });

  const stream = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 2, stream: true }, { ...origin, ...auth });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers.get("access-control-allow-origin"), allowedOrigin);
  assert.equal((await readSse(stream)).at(-1), "[DONE]");

  const foreign = await fetch(`${server.url}/v1/models`, { headers: { Origin: "https://evil.example", ...auth } });
  assert.equal(foreign.status, 200, "CORS is for browsers: the server still answers");
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  await foreign.body?.cancel();

  const noOrigin = await fetch(`${server.url}/health`);
  assert.equal(noOrigin.headers.get("access-control-allow-origin"), null);
  await noOrigin.body?.cancel();
});

// ---------------------------------------------------------------- X-Request-Id

test("X-Request-Id is echoed on every response: success, error, stream, preflight", async () => {
  const withId = (id: string) => ({ "X-Request-Id": id, ...auth });
  const responses: Array<[string, Response]> = [
    ["id-models", await fetch(`${server.url}/v1/models`, { headers: withId("id-models") })],
    ["id-404", await fetch(`${server.url}/v1/nope`, { headers: withId("id-404") })],
    ["id-401", await fetch(`${server.url}/v1/models`, { headers: { "X-Request-Id": "id-401" } })],
    ["id-400", await post("/v1/chat/completions", { messages: [] }, withId("id-400"))],
    ["id-tokenize", await post("/tokenize", { prompt: "x" }, withId("id-tokenize"))],
    ["id-stream", await post("/v1/completions", { model, prompt: "Hi", max_tokens: 2, stream: true }, withId("id-stream"))],
    ["id-preflight", await fetch(`${server.url}/v1/models`, { method: "OPTIONS", headers: { "X-Request-Id": "id-preflight", Origin: allowedOrigin, "Access-Control-Request-Method": "GET" } })],
  ];
  for (const [id, response] of responses) {
    assert.equal(response.headers.get("x-request-id"), id, `${id}: status ${response.status}`);
    await response.text();
  }
});

test("without X-Request-Id a fresh one is generated per request; response ids stay OpenAI-style", async () => {
  const first = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 }, auth);
  const second = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 }, { ...auth, "X-Request-Id": "client-id-1" });
  const generated = first.headers.get("x-request-id") ?? "";
  assert.match(generated, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(second.headers.get("x-request-id"), "client-id-1");
  const firstBody = await json<OpenAI.ChatCompletion>(first);
  const secondBody = await json<OpenAI.ChatCompletion>(second);
  assert.match(firstBody.id, /^chatcmpl-/);
  assert.match(secondBody.id, /^chatcmpl-/);
  const third = await fetch(`${server.url}/health`);
  assert.notEqual(third.headers.get("x-request-id"), generated);
  await third.body?.cancel();
});

test("vLLM's body request_id names the request when no X-Request-Id header is sent; the header wins", async () => {
  const body = { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1, request_id: "body-id-7" };
  const fromBody = await post("/v1/chat/completions", body, auth);
  assert.equal(fromBody.headers.get("x-request-id"), "body-id-7");
  await fromBody.text();
  const fromHeader = await post("/v1/completions", { model, prompt: "Hi", max_tokens: 1, request_id: "body-id-8" }, { ...auth, "X-Request-Id": "header-id" });
  assert.equal(fromHeader.headers.get("x-request-id"), "header-id");
  await fromHeader.text();
  // Characters a header cannot carry are percent-encoded in the header (they were a 500).
  const unicode = await post("/v1/completions", { model, prompt: "Hi", max_tokens: 1, request_id: "job-😀\u0000" }, auth);
  assert.equal(unicode.status, 200);
  assert.equal(unicode.headers.get("x-request-id"), "job-%F0%9F%98%80%00");
  await unicode.text();
});

test("two requests in flight with the same X-Request-Id both succeed", async () => {
  const headers = { ...auth, "X-Request-Id": "shared-id" };
  const controller = new AbortController();
  const running = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ model, prompt: "Once", max_tokens: 1500, ignore_eos: true, stream: true }),
    signal: controller.signal,
  });
  assert.equal(running.status, 200);
  const reader = running.body!.getReader();
  const first = await reader.read(); // the first request is now in the engine
  assert.ok(!first.done);
  // The same engine id would be a collision: the second one gets a suffix in the engine, not a 500.
  const second = await post("/v1/completions", { model, prompt: "a", max_tokens: 2 }, headers);
  const body = await json<OpenAI.Completion>(second);
  assert.equal(body.choices.length, 1);
  assert.equal(second.headers.get("x-request-id"), "shared-id");
  controller.abort();
  await reader.cancel().catch(() => {});
});

// ---------------------------------------------------------------- body limit

test("a body over --max-request-body-bytes is a 413, with Content-Length or chunked, and the server goes on", async () => {
  const big = JSON.stringify({ model, prompt: "x".repeat(maxBodyBytes), max_tokens: 1 });
  await expectError(await post("/v1/completions", big, auth), 413, { type: "invalid_request_error", code: "payload_too_large" });
  await expectError(await post("/tokenize", JSON.stringify({ prompt: "y".repeat(maxBodyBytes + 1) })), 413, { code: "payload_too_large" });

  const encoder = new TextEncoder();
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(big.slice(0, maxBodyBytes / 2)));
      controller.enqueue(encoder.encode(big.slice(maxBodyBytes / 2)));
      controller.close();
    },
  });
  const response = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...auth },
    body: chunked,
    duplex: "half",
  } as RequestInit & { duplex: "half" });
  await expectError(response, 413, { code: "payload_too_large" });

  const justUnder = JSON.stringify({ model, prompt: "x".repeat(maxBodyBytes - 200), max_tokens: 1 });
  assert.ok(Buffer.byteLength(justUnder) <= maxBodyBytes);
  const accepted = await post("/tokenize", { prompt: "x".repeat(maxBodyBytes - 200) });
  assert.equal(accepted.status, 200);
  await accepted.body?.cancel();
  assert.equal((await client.models.list()).data[0].id, model);
});
