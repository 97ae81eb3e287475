import assert from "node:assert/strict";
import { test } from "node:test";
import { accumulateResponse } from "openai/lib/responses/ResponseAccumulator";
import type { Response } from "openai/resources/responses/responses";
import { ResponseEventBuilder, type ResponseBody, type ResponseEvent } from "./responses-output.js";
import { replayEvents } from "./responses-replay.js";

const shell: ResponseBody = {
  id: "resp_1", object: "response", created_at: 1, status: "in_progress", model: "m", output: [], error: null, incomplete_details: null,
  instructions: null, metadata: {}, parallel_tool_calls: true, temperature: 1, top_p: 1, tool_choice: "auto", tools: [],
};
const usage = { input_tokens: 3, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 8 };

/** Reasoning, text, then two calls (the second in two pieces): every kind of item, in one run. */
function run(builder: ResponseEventBuilder): ResponseEvent[] {
  return [
    ...builder.start(),
    ...builder.push({ reasoning: "hm", content: "", toolCalls: [] }),
    ...builder.push({ reasoning: "m", content: "Hel", toolCalls: [] }),
    ...builder.push({ reasoning: "", content: "lo", toolCalls: [{ index: 0, id: "call_a", name: "f", arguments: '{"x":' }] }),
    ...builder.push({ reasoning: "", content: "", toolCalls: [{ index: 0, arguments: "1}" }, { index: 1, id: "call_b", name: "g", arguments: "" }] }),
    ...builder.push({ reasoning: "", content: "", toolCalls: [{ index: 1, arguments: "{}" }] }),
    ...builder.finish("completed", usage),
  ];
}

test("openai-node's accumulator takes the events in order and ends at the builder's own response", () => {
  const builder = new ResponseEventBuilder(shell);
  const events = run(builder);
  assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, i) => i));
  let snapshot: Response | undefined;
  for (const event of events) snapshot = accumulateResponse(event as never, snapshot);
  const final = builder.response;
  assert.deepEqual(snapshot!.output, final.output);
  assert.deepEqual(final.output.map((item) => item.type), ["reasoning", "message", "function_call", "function_call"]);
  const [reasoning, message, first, second] = final.output;
  assert.deepEqual(reasoning.type === "reasoning" && reasoning.content, [{ type: "reasoning_text", text: "hmm" }]);
  assert.deepEqual(message.type === "message" && message.content, [{ type: "output_text", text: "Hello", annotations: [], logprobs: [] }]);
  assert.ok(first.type === "function_call" && first.arguments === '{"x":1}' && first.call_id === "call_a" && first.status === "completed");
  assert.ok(second.type === "function_call" && second.arguments === "{}" && second.name === "g");
  assert.equal(final.status, "completed");
  assert.deepEqual(final.usage, usage);
});

test("every item event names the item at its output_index", () => {
  const events = run(new ResponseEventBuilder(shell));
  const ids = new Map<number, string>();
  for (const event of events) {
    if (event.type === "response.output_item.added") ids.set(event.output_index, event.item.id!);
    if ("item_id" in event) assert.equal(event.item_id, ids.get(event.output_index), event.type);
    if (event.type === "response.output_item.done") assert.equal(event.item.id, ids.get(event.output_index));
  }
});

test("a cut-off answer is incomplete with reason max_output_tokens; its message item incomplete", () => {
  const builder = new ResponseEventBuilder(shell);
  builder.start();
  builder.push({ reasoning: "", content: "abc", toolCalls: [] });
  const [, , , last] = builder.finish("incomplete", usage);
  assert.equal(last.type, "response.incomplete");
  assert.deepEqual(builder.response.incomplete_details, { reason: "max_output_tokens" });
  assert.equal(builder.response.output[0].type === "message" && builder.response.output[0].status, "incomplete");
});

test("a replay rebuilds the same output with the same ids", () => {
  const builder = new ResponseEventBuilder(shell);
  run(builder);
  const stored = builder.response;
  let snapshot: Response | undefined;
  for (const event of replayEvents(stored)) snapshot = accumulateResponse(event as never, snapshot);
  assert.deepEqual(snapshot!.output, stored.output);
  assert.equal(snapshot!.status, "completed");
});
