import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../errors.js";
import { toChatMessages, toChatToolsAndFormat, toInputItems, type WireItem } from "./responses-input.js";

let counter = 0;
const newId = (prefix: string) => `${prefix}_${counter++}`;
const noStore = () => undefined;

test("a string input is one user message; items get ids, references resolve to the stored item", () => {
  assert.deepEqual(toInputItems("hi", noStore, newId), [{ type: "message", id: "msg_0", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
  const stored: WireItem = { type: "message", id: "msg_old", role: "assistant", content: [{ type: "output_text", text: "yo", annotations: [] }] };
  const items = toInputItems([{ type: "item_reference", id: "msg_old" }, { role: "user", content: "more" }], (id) => (id === "msg_old" ? stored : undefined), newId);
  assert.equal(items[0], stored);
  assert.equal(items[1].type, "message");
  assert.match(items[1].id!, /^msg_/);
});

test("text and the calls after it are one assistant turn; call outputs are tool messages; reasoning rides on the next turn", () => {
  const messages = toChatMessages([
    { type: "message", role: "user", content: "Weather?" },
    { type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: "think" }] },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me look." }] },
    { type: "function_call", call_id: "call_1", name: "w", arguments: '{"c":"x"}' },
    { type: "function_call", call_id: "call_2", name: "w", arguments: "{}" },
    { type: "function_call_output", call_id: "call_1", output: "sunny" },
  ]);
  assert.deepEqual(messages, [
    { role: "user", content: "Weather?" },
    {
      role: "assistant",
      content: "Let me look.",
      reasoning_content: "think",
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "w", arguments: '{"c":"x"}' } },
        { id: "call_2", type: "function", function: { name: "w", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "sunny" },
  ]);
});

test("unsupported or unknown input is a 400 naming where it is", () => {
  const cases: Array<[unknown, string]> = [
    [[{ role: "user", content: [{ type: "input_text", text: "a" }, { type: "input_file", file_id: "f" }] }], "input[0].content[1].type"],
    [[{ type: "computer_call_output" }], "input[0].type"],
    [[{ type: "mystery" }], "input[0].type"],
    [[{ role: "robot", content: "x" }], "input[0].role"],
    [[{ type: "function_call", call_id: "c", name: "f" }], "input[0].arguments"],
    [[{ type: "item_reference", id: "nope" }], "input[0].id"],
  ];
  for (const [input, param] of cases) {
    assert.throws(() => toInputItems(input as never, noStore, newId), (error: unknown) => error instanceof ApiError && error.status === 400 && error.param === param, param);
  }
});

test("tools, tool_choice and text.format in their chat forms", () => {
  const chat = toChatToolsAndFormat({
    tools: [{ type: "function", name: "f", parameters: { type: "object" }, strict: true }],
    tool_choice: { type: "function", name: "f" },
    text: { format: { type: "json_schema", name: "s", schema: { type: "object" } } },
  });
  assert.deepEqual(chat.tools, [{ type: "function", function: { name: "f", description: undefined, parameters: { type: "object" }, strict: true } }]);
  assert.deepEqual(chat.tool_choice, { type: "function", function: { name: "f" } });
  assert.deepEqual(chat.response_format, { type: "json_schema", json_schema: { name: "s", schema: { type: "object" }, strict: undefined } });
  assert.throws(() => toChatToolsAndFormat({ tools: [{ type: "file_search" }] }), (error: unknown) => error instanceof ApiError && error.param === "tools[0].type");
});
