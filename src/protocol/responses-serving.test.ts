import assert from "node:assert/strict";
import { test } from "node:test";
import type { RequestOutput } from "../engine/types.js";
import { ServiceUnavailableError } from "../errors.js";
import { ResponseEventBuilder, type ResponseBody, type ResponseEvent } from "./responses-output.js";
import { generateEvents } from "./responses-serving.js";
import type { ChatRun } from "./serving.js";

const shell = {
  id: "resp_1", object: "response", created_at: 1, status: "in_progress", model: "m", output: [], error: null, incomplete_details: null,
  instructions: null, metadata: {}, parallel_tool_calls: true, temperature: 1, top_p: 1, tool_choice: "auto", tools: [],
} satisfies ResponseBody;

function output(text: string, finishReason: "stop" | "length" | null = null): RequestOutput {
  return { requestId: "r", choices: [{ index: 0, text, tokenIds: [1], logprobs: null, finishReason, stopReason: null }], numPromptTokens: 4, numCachedPromptTokens: 0, numCompletionTokens: 1, promptLogprobs: null };
}

function chatRun(outputs: () => AsyncGenerator<RequestOutput>): ChatRun {
  return {
    meta: { id: "x", created: 1, model: "m" },
    outputs: outputs(),
    results: { logprobs: null, promptLogprobs: null, echo: null, chatOutput: { toolMode: { kind: "plain" }, reasoningParser: null, idStyle: "openai" } },
    requestId: "r",
    countTokens: () => 0,
  };
}

async function collect(events: AsyncIterable<ResponseEvent>): Promise<ResponseEvent[]> {
  const all: ResponseEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

test("a failure mid-stream is an error event, then response.failed; the response is kept as failed", async () => {
  const ended: ResponseBody[] = [];
  const run = chatRun(async function* () {
    yield output("Hel");
    throw new ServiceUnavailableError("engine stopped");
  });
  const events = await collect(generateEvents(run, new ResponseEventBuilder(shell), true, (response) => ended.push(response)));
  const types = events.map((event) => event.type);
  assert.equal(types.at(-1), "response.failed");
  // The error first, then the open item closed as far as it got, then the failed response.
  assert.deepEqual(types.slice(types.indexOf("error")), ["error", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.failed"]);
  const error = events[types.indexOf("error")];
  assert.ok(error.type === "error" && error.message === "engine stopped" && error.code === "service_unavailable");
  assert.equal(ended[0].status, "failed");
  assert.equal(ended[0].error?.message, "engine stopped");
  assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, i) => i));
});

test("a failure before the first output is thrown (an HTTP status), and nothing is stored", async () => {
  const ended: Array<[ResponseBody, boolean]> = [];
  const run = chatRun(async function* () {
    throw new ServiceUnavailableError("queue full");
  });
  await assert.rejects(collect(generateEvents(run, new ResponseEventBuilder(shell), true, (response, isStarted) => ended.push([response, isStarted]))), ServiceUnavailableError);
  assert.equal(ended[0][1], false);
});

test("a reader that stops early leaves the response cancelled", async () => {
  const ended: ResponseBody[] = [];
  const run = chatRun(async function* () {
    for (;;) yield output("a");
  });
  for await (const event of generateEvents(run, new ResponseEventBuilder(shell), true, (response) => ended.push(response))) {
    if (event.type === "response.output_text.delta") break;
  }
  assert.equal(ended[0].status, "cancelled");
});
