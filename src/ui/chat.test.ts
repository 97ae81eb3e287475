import assert from "node:assert/strict";
import { test } from "node:test";
import { applyChunk, buildChatBody, defaultSettings, unansweredCalls, type PlaygroundMessage, type Settings } from "./chat.js";

const settings = (overrides: Partial<Settings> = {}): Settings => ({ ...defaultSettings, model: "m", ...overrides });

test("typed numbers become numbers, anything else is sent as typed for the API to judge", () => {
  const built = buildChatBody(settings({ sampling: { ...defaultSettings.sampling, temperature: "0.5", top_k: "abc", max_tokens: "" } }), []);
  assert.ok("body" in built);
  assert.equal(built.body.temperature, 0.5);
  assert.equal(built.body.top_k, "abc");
  assert.equal("max_tokens" in built.body, false);
  assert.equal(built.body.stream, true);
});

test("system prompt, tool calls and tool results are wire messages", () => {
  const messages: PlaygroundMessage[] = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "", toolCalls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
    { role: "tool", content: "42", toolCallId: "c1" },
    { role: "assistant", content: "", error: "boom" },
  ];
  const built = buildChatBody(settings({ system: "be brief", useTools: true, toolChoice: "f" }), messages);
  assert.ok("body" in built);
  assert.deepEqual(built.body.messages, [
    { role: "system", content: "be brief" },
    { role: "user", content: "hi" },
    { role: "assistant", content: null, tool_calls: messages[1].toolCalls },
    { role: "tool", tool_call_id: "c1", content: "42" },
  ]);
  assert.deepEqual(built.body.tool_choice, { type: "function", function: { name: "f" } });
  assert.deepEqual(unansweredCalls(messages, 1), []);
  assert.equal(unansweredCalls(messages.slice(0, 2), 1).length, 1);
});

test("an editor with invalid JSON names its field", () => {
  const built = buildChatBody(settings({ responseFormat: "json_schema", schema: "{" }), []);
  assert.ok("field" in built && built.field === "schema");
});

test("chunks fold into content, reasoning, tool calls by index, finish reason and usage", () => {
  let reply: PlaygroundMessage = { role: "assistant", content: "" };
  const chunks = [
    { choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
    { choices: [{ index: 0, delta: { reasoning_content: "hm" } }] },
    { choices: [{ index: 0, delta: { content: "A" } }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c", function: { name: "get", arguments: '{"a"' } }] } }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ":1}" } }] }, finish_reason: "tool_calls" }] },
    { choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 2 } } },
  ];
  for (const chunk of chunks) reply = applyChunk(reply, chunk);
  assert.equal(reply.content, "A");
  assert.equal(reply.reasoning, "hm");
  assert.deepEqual(reply.toolCalls, [{ id: "c", type: "function", function: { name: "get", arguments: '{"a":1}' } }]);
  assert.equal(reply.finishReason, "tool_calls");
  assert.deepEqual([reply.stats?.promptTokens, reply.stats?.completionTokens, reply.stats?.cachedTokens], [5, 3, 2]);
});
