/**
 * The Responses API through openai-node, unchanged: create, stream (its
 * ResponseStream accumulator checks the event order), retrieve (and its
 * replay), input items, delete, cancel, function calls with their outputs
 * sent back, json_schema output, previous_response_id served from the prefix
 * cache, and bad input answered with OpenAI's error shape. Random weights:
 * text lengths come from ignore_eos, structure from grammars and forced tools.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import OpenAI from "openai";
import type { ResponseCreateParamsNonStreaming, ResponseStreamEvent } from "openai/resources/responses/responses";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;
useServer(
  { preset: "tiny-qwen2", args: ["--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja"), "--max-model-len", "2048", "--enable-log-requests"] },
  (served) => ({ server, client, model } = served),
);

/** pagoda's vLLM extras ride along in the body; openai-node sends unknown fields as they are. */
type Extras = { seed?: number; ignore_eos?: boolean; top_k?: number };
const create = (body: ResponseCreateParamsNonStreaming & Extras) => client.responses.create(body as ResponseCreateParamsNonStreaming);

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string", pattern: "^[a-z]{1,8}$" } }, required: ["city"], additionalProperties: false },
  strict: true,
};

test("create: a message item with output_text, usage, echoed settings, resp_/msg_ ids", async () => {
  const response = await create({ model, input: "Hello there", instructions: "Be brief.", max_output_tokens: 6, temperature: 0.7, ignore_eos: true, seed: 1, metadata: { case: "one" } });
  assert.match(response.id, /^resp_/);
  assert.equal(response.object, "response");
  assert.equal(typeof response.created_at, "number");
  assert.equal(response.model, model);
  assert.equal(response.status, "incomplete");
  assert.deepEqual(response.incomplete_details, { reason: "max_output_tokens" });
  assert.equal(response.instructions, "Be brief.");
  assert.equal(response.temperature, 0.7);
  assert.equal(response.max_output_tokens, 6);
  assert.deepEqual(response.metadata, { case: "one" });
  assert.deepEqual(response.text?.format, { type: "text" });
  assert.equal(response.output.length, 1);
  const [message] = response.output;
  assert.equal(message.type, "message");
  assert.match(message.id!, /^msg_/);
  if (message.type !== "message") return;
  assert.equal(message.role, "assistant");
  assert.equal(message.content[0].type, "output_text");
  if (message.content[0].type !== "output_text") return;
  assert.deepEqual(message.content[0].annotations, []);
  assert.equal(response.output_text, message.content[0].text);
  assert.equal(response.usage!.output_tokens, 6);
  assert.ok(response.usage!.input_tokens > 0);
  assert.equal(response.usage!.total_tokens, response.usage!.input_tokens + 6);
  assert.equal(response.usage!.output_tokens_details.reasoning_tokens, 0);
});

test("stream: ResponseStream accepts the event order and finalResponse() equals the accumulated deltas and the JSON answer", async () => {
  const body = { model, input: [{ role: "user" as const, content: [{ type: "input_text" as const, text: "Count" }] }], max_output_tokens: 10, seed: 7, ignore_eos: true, store: false };
  const stream = client.responses.stream(body as never);
  const events: ResponseStreamEvent[] = [];
  let deltas = "";
  for await (const event of stream) {
    events.push(event);
    if (event.type === "response.output_text.delta") deltas += event.delta;
  }
  const final = await stream.finalResponse();
  assert.equal(final.output_text, deltas);
  assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, i) => i));
  assert.deepEqual(events.slice(0, 5).map((event) => event.type), [
    "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
  ]);
  assert.deepEqual(events.slice(-4).map((event) => event.type), ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"]);
  const created = events[0];
  assert.ok(created.type === "response.created" && created.response.status === "in_progress" && created.response.output.length === 0);
  const json = await create(body);
  assert.equal(json.output_text, deltas);
  assert.equal(json.usage!.output_tokens, final.usage!.output_tokens);
  assert.equal(json.usage!.input_tokens, final.usage!.input_tokens);
});

test("a forced function call, its function_call_output sent back for a second turn", async () => {
  const first = await create({ model, input: "Weather in Paris?", tools: [weatherTool], tool_choice: { type: "function", name: "get_weather" }, temperature: 1, seed: 3, max_output_tokens: 60 });
  assert.equal(first.status, "completed");
  const call = first.output.find((item) => item.type === "function_call");
  assert.ok(call && call.type === "function_call", JSON.stringify(first.output));
  assert.match(call.id!, /^fc_/);
  assert.match(call.call_id, /^call_/);
  assert.equal(call.name, "get_weather");
  assert.equal(call.status, "completed");
  assert.match(JSON.parse(call.arguments).city, /^[a-z]{1,8}$/);
  assert.equal(first.output_text, "");

  const second = await create({
    model,
    input: [{ role: "user", content: "Weather in Paris?" }, call, { type: "function_call_output", call_id: call.call_id, output: '{"sky":"clear"}' }],
    tools: [weatherTool],
    max_output_tokens: 4,
    ignore_eos: true,
    seed: 1,
  });
  assert.equal(second.output[0].type, "message");
  assert.ok(second.usage!.input_tokens > first.usage!.input_tokens);
});

test("streamed function call: arguments deltas add up to the item, no call syntax in output_text", async () => {
  const stream = client.responses.stream({ model, input: "Weather?", tools: [weatherTool], tool_choice: "required", temperature: 1, seed: 4, max_output_tokens: 200, store: false } as never);
  const args = new Map<string, string>();
  const types: string[] = [];
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === "response.function_call_arguments.delta") args.set(event.item_id, (args.get(event.item_id) ?? "") + event.delta);
  }
  const final = await stream.finalResponse();
  const calls = final.output.filter((item) => item.type === "function_call");
  assert.ok(calls.length >= 1);
  assert.deepEqual(new Map(calls.map((call) => [call.id!, call.arguments])), args);
  for (const call of calls) assert.match(JSON.parse(call.arguments).city, /^[a-z]{1,8}$/);
  assert.ok(!types.includes("response.output_text.delta"), types.join(","));
  assert.equal(types.at(-1), "response.completed");
});

test("text.format json_schema: output_text is JSON the schema accepts", async () => {
  const schema = { type: "object", properties: { n: { type: "integer", minimum: 0, maximum: 9 }, ok: { type: "boolean" } }, required: ["n", "ok"], additionalProperties: false };
  for (const seed of [1, 2]) {
    const response = await create({ model, input: "JSON please", text: { format: { type: "json_schema", name: "thing", schema, strict: true } }, seed, temperature: 1, max_output_tokens: 100 });
    const parsed = JSON.parse(response.output_text);
    assert.ok(Number.isInteger(parsed.n) && parsed.n >= 0 && parsed.n <= 9 && typeof parsed.ok === "boolean", response.output_text);
    assert.equal(response.text?.format?.type, "json_schema");
  }
});

test("store: retrieve, stream replay, input_items, delete, then 404", async () => {
  const created = await create({ model, input: [{ role: "user", content: "Hi" }, { role: "user", content: [{ type: "input_text", text: "again" }] }], max_output_tokens: 3, ignore_eos: true, seed: 2 });
  const retrieved = await client.responses.retrieve(created.id);
  assert.deepEqual({ ...retrieved, output_text: undefined }, { ...created, output_text: undefined });

  const replay = await client.responses.retrieve(created.id, { stream: true });
  let text = "";
  const types: string[] = [];
  for await (const event of replay) {
    types.push(event.type);
    if (event.type === "response.output_text.delta") text += event.delta;
  }
  assert.equal(text, created.output_text);
  assert.equal(types[0], "response.created");
  assert.equal(types.at(-1), "response.incomplete");
  const rest = [];
  for await (const event of await client.responses.retrieve(created.id, { stream: true, starting_after: 2 })) rest.push(event.sequence_number);
  assert.deepEqual(rest, types.slice(3).map((_, i) => i + 3));

  const items = [];
  for await (const item of client.responses.inputItems.list(created.id, { order: "asc" })) items.push(item);
  assert.equal(items.length, 2);
  assert.ok(items.every((item) => item.type === "message" && item.id.startsWith("msg_")));

  await client.responses.delete(created.id);
  await assert.rejects(client.responses.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError && /not found/.test(error.message));
  await assert.rejects(client.responses.delete(created.id), OpenAI.NotFoundError);
});

test("store: false is never kept", async () => {
  const response = await create({ model, input: "Hi", max_output_tokens: 2, store: false });
  assert.equal((response as unknown as { store: boolean }).store, false);
  await assert.rejects(client.responses.retrieve(response.id), OpenAI.NotFoundError);
});

test("previous_response_id: the second turn's input includes the first, and its prefix comes from the prefix cache", async () => {
  const first = await create({ model, input: "Tell me about a long river and its many towns along the way.", instructions: "You are terse.", max_output_tokens: 8, ignore_eos: true, seed: 1 });
  const second = await create({ model, previous_response_id: first.id, input: "And then?", instructions: "You are terse.", max_output_tokens: 4, ignore_eos: true, seed: 1 });
  assert.equal(second.previous_response_id, first.id);
  assert.ok(second.usage!.input_tokens > first.usage!.input_tokens + first.usage!.output_tokens - 2, JSON.stringify([first.usage, second.usage]));
  assert.ok(second.usage!.input_tokens_details.cached_tokens > 0, JSON.stringify(second.usage));
  // An item of an earlier turn can be referenced by id.
  const third = await create({ model, input: [{ type: "item_reference", id: first.output[0].id! } as never, { role: "user", content: "More" }], max_output_tokens: 2 });
  assert.equal(third.status === "completed" || third.status === "incomplete", true);
});

test("cancel: a running streamed response ends cancelled; a finished one cannot be cancelled", async () => {
  const abortsBefore = await successCount("abort");
  const stream = client.responses.stream({ model, input: "Go on", max_output_tokens: 1500, ignore_eos: true } as never);
  let id = "";
  for await (const event of stream) {
    if (event.type === "response.created") id = event.response.id;
    if (event.type === "response.output_text.delta") break;
  }
  assert.match(id, /^resp_/);
  // The reader stopped early: the disconnect aborts the generation and the response is kept as cancelled.
  const cancelled = await waitForStatus(id);
  assert.equal(cancelled.status, "cancelled");
  await assert.rejects(client.responses.cancel(id), (error: unknown) => error instanceof OpenAI.BadRequestError);

  const running = await fetch(`${server.baseURL}/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, input: "Go", max_output_tokens: 1500, ignore_eos: true, stream: true }) });
  const reader = running.body!.getReader();
  let head = "";
  while (!/"id":"(resp_[0-9a-f]+)"/.test(head)) head += new TextDecoder().decode((await reader.read()).value);
  const runningId = /"id":"(resp_[0-9a-f]+)"/.exec(head)![1];
  const result = await client.responses.cancel(runningId);
  assert.equal(result.status, "cancelled");
  await reader.cancel();
  // Both generations were aborted in the engine (the disconnect and the cancel), not left running.
  for (let polls = 0; (await successCount("abort")) < abortsBefore + 2; polls++) assert.ok(polls < 500, "the engine never aborted both");
});

async function successCount(reason: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`vllm:request_success_total{model_name="${model}",finished_reason="${reason}"}`));
  return Number(line?.split(" ").at(-1) ?? 0);
}

/** A stream's end reaches the server a moment after the client stops reading: poll retrieve (no sleeps: each poll is a request). */
async function waitForStatus(id: string): Promise<{ status?: string }> {
  for (let i = 0; i < 200; i++) {
    const response = await client.responses.retrieve(id);
    if (response.status !== "in_progress") return response;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`response ${id} never finished`);
}

test("bad input: 400 naming the field, 404 for unknown ids, and the server keeps serving", async () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ input: [{ role: "user", content: [{ type: "input_image", image_url: "https://x/y.png" }] }] }, "input[0].content[0].type"],
    [{ input: [{ type: "web_search_call", id: "ws_1" }] }, "input[0].type"],
    [{ input: [{ type: "no_such_item" }] }, "input[0].type"],
    [{ input: "x", tools: [{ type: "web_search" }] }, "tools[0].type"],
    [{ input: "x", temperature: "hot" }, "temperature"],
    [{ input: 42 }, "input"],
    [{ input: "x", truncation: "auto" }, "truncation"],
    [{ input: "x", text: { format: { type: "json_schema", name: "x" } } }, "text.format.schema"],
    [{ input: "x", tool_choice: { type: "function", name: "nope" }, tools: [weatherTool] }, "tool_choice"],
    [{ input: [{ type: "item_reference", id: "msg_nope" }] }, "input[0].id"],
    [{ input: "x", text: { format: { type: "json_schema", name: "x", schema: { type: "object", not: {} } } } }, "text.format.schema.not"],
    [{ input: "x", max_output_tokens: 100000 }, "max_output_tokens"],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(create({ model, ...body } as never), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, `${param}: ${String(error)}`);
      assert.equal(error.param, param, JSON.stringify(error.error));
      return true;
    });
  }
  await assert.rejects(create({ model, input: "x", previous_response_id: "resp_unknown" }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal((error.error as { param?: string }).param, "previous_response_id");
    return true;
  });
  await assert.rejects(client.responses.retrieve("resp_unknown"), OpenAI.NotFoundError);
  await assert.rejects(client.responses.inputItems.list("resp_unknown"), OpenAI.NotFoundError);
  const ok = await create({ model, input: "still here", max_output_tokens: 2 });
  assert.ok(ok.id.startsWith("resp_"));
});

test("request logs and the vLLM metrics count Responses requests like chat ones", async () => {
  const metric = () => successCount("length");
  const before = await metric();
  const requestId = "responses-log-1";
  await client.responses.create({ model, input: "Log me", max_output_tokens: 3, ignore_eos: true } as ResponseCreateParamsNonStreaming, { headers: { "X-Request-Id": requestId } });
  assert.equal(await metric(), before + 1);
  const [line] = await server.waitForOutput(new RegExp(`^\\{.*"requestId":"${requestId}".*\\}$`, "m"));
  const logged = JSON.parse(line);
  assert.equal(logged.route, "/v1/responses");
  assert.equal(logged.status, 200);
  assert.equal(logged.completionTokens, 3);
  assert.equal(logged.finishReason, "length");
});
