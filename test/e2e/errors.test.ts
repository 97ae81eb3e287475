/**
 * Every error a client can provoke, seen through the official `openai` client
 * (the thrown APIError subclass and its fields) and through raw fetch (the exact
 * `{"error": {"message", "type", "param", "code"}}` body). None of them may hurt
 * the server: it keeps serving afterwards.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

const maxModelLen = 128;

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", String(maxModelLen)] }, (served) => ({ server, client, model } = served));

const userMessages = [{ role: "user", content: "Who won the world series in 2020?" }];

interface ExpectedError {
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  /** Substrings the message must contain. */
  messageIncludes?: string[];
}

type ApiError = InstanceType<typeof OpenAI.APIError>;
type ErrorClass = new (...args: never[]) => ApiError;

/** Sends a raw request; `body` is sent verbatim when it is a string, as JSON otherwise. */
function send(path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    ...init,
  });
}

/** Asserts the exact OpenAI error shape of a raw response. */
async function expectErrorResponse(response: Response, expected: ExpectedError): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, expected.status, `status for body ${text}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  const { message, type, param, code } = body.error;
  assert.equal(typeof message, "string");
  assert.ok((message as string).length > 0, "empty error message");
  assert.deepEqual({ type, param, code }, { type: expected.type, param: expected.param, code: expected.code }, `error body ${text}`);
  for (const part of expected.messageIncludes ?? []) assert.ok((message as string).includes(part), `message ${JSON.stringify(message)} lacks ${JSON.stringify(part)}`);
}

/** Asserts the openai client threw `errorClass` carrying the expected fields. */
async function expectSdkError(promise: Promise<unknown>, errorClass: ErrorClass, expected: ExpectedError): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${String(error)}`);
    const apiError = error as ApiError;
    assert.equal(apiError.status, expected.status);
    assert.deepEqual(
      { type: apiError.type, param: apiError.param, code: apiError.code },
      { type: expected.type, param: expected.param, code: expected.code },
      `error ${JSON.stringify(apiError.error)}`,
    );
    const body = apiError.error as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ["code", "message", "param", "type"]);
    for (const part of expected.messageIncludes ?? []) assert.ok(String(body.message).includes(part), `message ${JSON.stringify(body.message)} lacks ${JSON.stringify(part)}`);
    return true;
  });
}

const chat = (body: Record<string, unknown>) => client.chat.completions.create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
const completion = (body: Record<string, unknown>) => client.completions.create(body as unknown as OpenAI.CompletionCreateParamsNonStreaming);

const badRequest = (param: string | null, code: string | null = null, messageIncludes?: string[]): ExpectedError => ({
  status: 400,
  type: "invalid_request_error",
  param,
  code,
  messageIncludes,
});

test("an unknown model is a 404 not_found_error naming the model", async () => {
  const expected: ExpectedError = {
    status: 404,
    type: "not_found_error",
    param: "model",
    code: "model_not_found",
    messageIncludes: ["The model `x` does not exist."],
  };
  await expectSdkError(chat({ model: "x", messages: userMessages, max_tokens: 1 }), OpenAI.NotFoundError, expected);
  await expectSdkError(completion({ model: "x", prompt: "hi", max_tokens: 1 }), OpenAI.NotFoundError, expected);
  await expectSdkError(
    client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }], max_tokens: 1, stream: true }),
    OpenAI.NotFoundError,
    expected,
  );
  await expectErrorResponse(await send("/v1/chat/completions", { model: "x", messages: userMessages }), expected);
  await expectErrorResponse(await send("/v1/completions", { model: "x", prompt: "hi" }), expected);
});

test("a body that is not JSON, or not a JSON object, is a 400", async () => {
  for (const path of ["/v1/chat/completions", "/v1/completions"]) {
    await expectErrorResponse(await send(path, "{not json"), badRequest(null));
    await expectErrorResponse(await send(path, ""), badRequest(null));
    await expectErrorResponse(await send(path, '{"messages": [}'), badRequest(null));
    await expectErrorResponse(await send(path, JSON.stringify([{ role: "user", content: "hi" }])), badRequest(null));
    await expectErrorResponse(await send(path, "null"), badRequest(null));
    await expectErrorResponse(await send(path, '"a string"'), badRequest(null));
  }
});

test("a JSON body declared as text/plain or a form is a 400 (as vLLM); JSON with a charset, or no Content-Type, is read", async () => {
  const body = JSON.stringify({ model, messages: userMessages, max_tokens: 1 });
  for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
    const response = await send("/v1/chat/completions", body, { headers: { "Content-Type": contentType } });
    await expectErrorResponse(response, badRequest(null, "unsupported_media_type", [contentType]));
  }
  assert.equal((await send("/v1/chat/completions", body, { headers: { "Content-Type": "application/json; charset=utf-8" } })).status, 200);
  const bare = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body: new TextEncoder().encode(body) });
  assert.equal(bare.status, 200, "a byte body gets no Content-Type from fetch");
});

/** [what, chat body, expected param] */
const schemaViolations: Array<[string, Record<string, unknown>, string]> = [
  ["missing messages", { model: "" }, "messages"],
  ["empty messages", { messages: [] }, "messages"],
  ["messages not an array", { messages: "hi" }, "messages"],
  ["temperature -1", { messages: userMessages, temperature: -1 }, "temperature"],
  ["top_p 0", { messages: userMessages, top_p: 0 }, "top_p"],
  ["top_p 1.5", { messages: userMessages, top_p: 1.5 }, "top_p"],
  ["n 0", { messages: userMessages, n: 0 }, "n"],
  ["max_tokens 0", { messages: userMessages, max_tokens: 0 }, "max_tokens"],
  ['max_tokens "ten"', { messages: userMessages, max_tokens: "ten" }, "max_tokens"],
  ["presence_penalty 3", { messages: userMessages, presence_penalty: 3 }, "presence_penalty"],
  ["frequency_penalty -3", { messages: userMessages, frequency_penalty: -3 }, "frequency_penalty"],
  ["messages[1].role missing", { messages: [userMessages[0], { content: "no role" }] }, "messages[1].role"],
  ["stop a number", { messages: userMessages, stop: 5 }, "stop"],
  ["stream a string", { messages: userMessages, stream: "yes" }, "stream"],
];

for (const [what, body, param] of schemaViolations) {
  test(`schema violation (${what}) is a 400 with param ${param}`, async () => {
    await expectSdkError(chat(body), OpenAI.BadRequestError, badRequest(param, null, [param]));
    await expectErrorResponse(await send("/v1/chat/completions", body), badRequest(param, null, [param]));
  });
}

test("completions schema violations name the field too", async () => {
  await expectSdkError(completion({ max_tokens: 1 }), OpenAI.BadRequestError, badRequest("prompt"));
  await expectSdkError(completion({ prompt: [] }), OpenAI.BadRequestError, badRequest("prompt"));
  await expectSdkError(completion({ prompt: "hi", temperature: -1 }), OpenAI.BadRequestError, badRequest("temperature"));
  await expectErrorResponse(await send("/v1/completions", { prompt: "hi", max_tokens: 0 }), badRequest("max_tokens"));
  await expectErrorResponse(await send("/v1/completions", { prompt: "hi", stop: 5 }), badRequest("stop"));
});

test("stream_options without stream: true is a 400 naming stream_options", async () => {
  const options = { include_usage: true };
  await expectSdkError(chat({ messages: userMessages, max_tokens: 1, stream_options: options }), OpenAI.BadRequestError, badRequest("stream_options"));
  await expectSdkError(
    chat({ messages: userMessages, max_tokens: 1, stream: false, stream_options: options }),
    OpenAI.BadRequestError,
    badRequest("stream_options"),
  );
  await expectSdkError(completion({ prompt: "hi", max_tokens: 1, stream_options: options }), OpenAI.BadRequestError, badRequest("stream_options"));
  await expectErrorResponse(await send("/v1/chat/completions", { messages: userMessages, stream_options: options }), badRequest("stream_options"));
  await expectErrorResponse(await send("/v1/completions", { prompt: "hi", stream_options: options }), badRequest("stream_options"));
});

test("a chat prompt longer than --max-model-len is context_length_exceeded, saying both numbers", async () => {
  const messages = [{ role: "user", content: "x ".repeat(maxModelLen * 2) }];
  await expectSdkError(chat({ model, messages, max_tokens: 1 }), OpenAI.BadRequestError, badRequest("messages", "context_length_exceeded", [String(maxModelLen)]));
  const response = await send("/v1/chat/completions", { model, messages, max_tokens: 1 });
  const body = (await response.clone().json()) as { error: { message: string } };
  await expectErrorResponse(response, badRequest("messages", "context_length_exceeded", [String(maxModelLen)]));
  const counts = [...body.error.message.matchAll(/\d+/g)].map((m) => Number(m[0]));
  assert.ok(counts.some((count) => count > maxModelLen), `no prompt length in ${JSON.stringify(body.error.message)}`);
});

test("a completions prompt of max_model_len tokens or more is rejected; one fewer is served", async () => {
  const expected = badRequest("prompt", "context_length_exceeded", [String(maxModelLen), "200"]);
  await expectSdkError(completion({ model, prompt: new Array(200).fill(97), max_tokens: 1 }), OpenAI.BadRequestError, expected);
  await expectErrorResponse(await send("/v1/completions", { model, prompt: "x ".repeat(maxModelLen * 2), max_tokens: 1 }), badRequest("prompt", "context_length_exceeded", [String(maxModelLen)]));
  await expectSdkError(
    completion({ model, prompt: new Array(maxModelLen).fill(97), max_tokens: 1 }),
    OpenAI.BadRequestError,
    badRequest("prompt", "context_length_exceeded", [String(maxModelLen)]),
  );
  const fits = await client.completions.create({ model, prompt: new Array(maxModelLen - 1).fill(97), max_tokens: 1 });
  assert.equal(fits.usage!.prompt_tokens, maxModelLen - 1);
  assert.equal(fits.usage!.completion_tokens, 1);
});

test("prompt + max_tokens over max_model_len is context_length_exceeded on max_tokens (chat)", async () => {
  const probe = await client.chat.completions.create({ model, messages: userMessages as OpenAI.ChatCompletionMessageParam[], max_tokens: 1 });
  const promptTokens = probe.usage!.prompt_tokens;
  assert.ok(promptTokens > 5 && promptTokens < maxModelLen / 2, `prompt_tokens ${promptTokens}`);
  const tooMany = maxModelLen - promptTokens + 1;
  const expected = badRequest("max_tokens", "context_length_exceeded", [String(maxModelLen), String(promptTokens), String(tooMany)]);
  await expectSdkError(chat({ model, messages: userMessages, max_tokens: tooMany }), OpenAI.BadRequestError, expected);
  await expectErrorResponse(await send("/v1/chat/completions", { model, messages: userMessages, max_tokens: tooMany }), expected);
  // Exactly filling the context is allowed.
  const exact = await client.chat.completions.create({
    model,
    messages: userMessages as OpenAI.ChatCompletionMessageParam[],
    max_tokens: maxModelLen - promptTokens,
    temperature: 0,
  });
  assert.equal(exact.usage!.prompt_tokens, promptTokens);
});

test("prompt + max_tokens over max_model_len is context_length_exceeded on max_tokens (completions)", async () => {
  const prompt = new Array(100).fill(97);
  const expected = badRequest("max_tokens", "context_length_exceeded", [String(maxModelLen), "100", "29"]);
  await expectSdkError(completion({ model, prompt, max_tokens: 29 }), OpenAI.BadRequestError, expected);
  await expectErrorResponse(await send("/v1/completions", { model, prompt, max_tokens: 29 }), expected);
  const exact = await client.completions.create({ model, prompt, max_tokens: 28, temperature: 0 });
  assert.equal(exact.usage!.prompt_tokens, 100);
});

test("with stream: true a context length error is a plain 400 JSON response, not SSE", async () => {
  const bodies: Array<[string, Record<string, unknown>, string]> = [
    ["/v1/chat/completions", { model, messages: userMessages, max_tokens: maxModelLen, stream: true }, "max_tokens"],
    ["/v1/chat/completions", { model, messages: [{ role: "user", content: "x ".repeat(maxModelLen * 2) }], stream: true }, "messages"],
    ["/v1/completions", { model, prompt: new Array(100).fill(97), max_tokens: 29, stream: true, stream_options: { include_usage: true } }, "max_tokens"],
    ["/v1/completions", { model, prompt: new Array(maxModelLen).fill(97), stream: true }, "prompt"],
  ];
  for (const [path, body, param] of bodies) {
    const response = await send(path, body);
    assert.doesNotMatch(response.headers.get("content-type") ?? "", /event-stream/);
    await expectErrorResponse(response, badRequest(param, "context_length_exceeded", [String(maxModelLen)]));
  }
  await expectSdkError(
    client.chat.completions.create({ model, messages: userMessages as OpenAI.ChatCompletionMessageParam[], max_tokens: maxModelLen, stream: true }),
    OpenAI.BadRequestError,
    badRequest("max_tokens", "context_length_exceeded"),
  );
  await expectSdkError(
    client.completions.create({ model, prompt: new Array(100).fill(97), max_tokens: 29, stream: true }),
    OpenAI.BadRequestError,
    badRequest("max_tokens", "context_length_exceeded"),
  );
});

/** [route, field, body fields] */
const unsupported: Array<["chat" | "completion", string, Record<string, unknown>]> = [
  ["chat", "functions", { functions: [{ name: "get_weather", parameters: { type: "object", properties: {} } }] }],
  ["chat", "response_format.type", { response_format: { type: "structural_tag" } }],
  ["chat", "use_beam_search", { use_beam_search: true }],
  ["completion", "best_of", { best_of: 2 }],
  ["completion", "use_beam_search", { use_beam_search: true }],
];

for (const [route, field, fields] of unsupported) {
  test(`unsupported ${field} on ${route} is a 400 unsupported_parameter naming it`, async () => {
    const expected = badRequest(field, "unsupported_parameter", [field]);
    if (route === "chat") {
      const body = { model, messages: userMessages, max_tokens: 1, ...fields };
      await expectSdkError(chat(body), OpenAI.BadRequestError, expected);
      await expectErrorResponse(await send("/v1/chat/completions", body), expected);
      await expectErrorResponse(await send("/v1/chat/completions", { ...body, stream: true }), expected);
    } else {
      const body = { model, prompt: "hi", max_tokens: 1, ...fields };
      await expectSdkError(completion(body), OpenAI.BadRequestError, expected);
      await expectErrorResponse(await send("/v1/completions", body), expected);
      await expectErrorResponse(await send("/v1/completions", { ...body, stream: true }), expected);
    }
  });
}

test("the default values of unsupported fields are accepted", async () => {
  const r = await chat({ model, messages: userMessages, max_tokens: 1, logprobs: false, response_format: { type: "text" }, logit_bias: {}, tools: [], use_beam_search: false });
  assert.equal((r as OpenAI.ChatCompletion).object, "chat.completion");
  const c = await completion({ model, prompt: "hi", max_tokens: 1, best_of: 1, use_beam_search: false });
  assert.equal((c as OpenAI.Completion).object, "text_completion");
});

test("an unknown route is an OpenAI-shaped 404", async () => {
  const notFound: ExpectedError = { status: 404, type: "not_found_error", param: null, code: "unknown_url" };
  await expectErrorResponse(await send("/v1/nope"), notFound);
  await expectErrorResponse(await send("/nope"), notFound);
  // "/" is the web page; with --disable-frontend it is this 404 (ui-auth.test.ts).
  await expectErrorResponse(await send("/dashboard/nope"), notFound);
  await expectErrorResponse(await send("/v1/nope", { model }), notFound);
  await expectSdkError(client.get("/nope"), OpenAI.NotFoundError, notFound);
  await expectSdkError(client.post("/chat/completion", { body: { model, messages: userMessages } }), OpenAI.NotFoundError, notFound);
});

const wrongMethods: Array<[string, string, string]> = [
  ["GET", "/v1/chat/completions", "POST"],
  ["GET", "/v1/completions", "POST"],
  ["DELETE", "/v1/chat/completions", "POST"],
  ["POST", "/v1/models", "GET"],
];

test("a wrong method is an OpenAI-shaped 405", async () => {
  const notAllowed: ExpectedError = { status: 405, type: "invalid_request_error", param: null, code: "method_not_allowed" };
  for (const [method, path] of wrongMethods) await expectErrorResponse(await fetch(`${server.url}${path}`, { method }), notAllowed);
});

test("a 405 says which method is allowed in an Allow header (RFC 9110 15.5.6)", async () => {
  for (const [method, path, allowed] of wrongMethods) {
    const response = await fetch(`${server.url}${path}`, { method });
    await response.body?.cancel();
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), allowed, `Allow header of ${method} ${path}`);
  }
});

test("the openai client gets a 405 as a plain APIError", async () => {
  const notAllowed: ExpectedError = { status: 405, type: "invalid_request_error", param: null, code: "method_not_allowed" };
  await expectSdkError(client.get("/chat/completions"), OpenAI.APIError, notAllowed);
  await assert.rejects(client.get("/chat/completions"), (error: unknown) => !(error instanceof OpenAI.InternalServerError));
});

test("the openai client does not retry any of these 4xx errors (default maxRetries)", async () => {
  let numFetches = 0;
  const counting = new OpenAI({
    baseURL: server.baseURL,
    apiKey: "EMPTY",
    fetch: (url, init) => {
      numFetches++;
      return fetch(url, init);
    },
  });
  assert.equal(counting.maxRetries, 2);
  const attempts: Array<() => Promise<unknown>> = [
    () => counting.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] }),
    () => counting.chat.completions.create({ model, messages: [] }),
    () => counting.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: maxModelLen }),
    () => counting.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], top_logprobs: 2 }),
    () => counting.completions.create({ model, prompt: "hi", best_of: 2 }),
    () => counting.get("/nope"),
    () => counting.get("/chat/completions"),
  ];
  for (const [i, attempt] of attempts.entries()) {
    const before = numFetches;
    await assert.rejects(attempt(), (error: unknown) => error instanceof OpenAI.APIError && error.status! >= 400 && error.status! < 500);
    assert.equal(numFetches - before, 1, `attempt ${i} was sent ${numFetches - before} times`);
  }
});

test("after all of the above the server is alive and serves a normal request", async () => {
  assert.equal(server.process.exitCode, null);
  assert.equal(server.process.signalCode, null);
  const r = await client.chat.completions.create({ model, messages: userMessages as OpenAI.ChatCompletionMessageParam[], max_tokens: 4 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 4);
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^vllm:num_requests_running\{[^}]*\} 0$/m);
  assert.doesNotMatch(server.output(), /internal error/);
});
