import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatOutputParser, type ChatOutputOptions } from "./chat-output-parser.js";
import { toChatDeltas, toChatMessage } from "./chat-output-wire.js";
import { hermesToolSyntax } from "./hermes-tool-syntax.js";
import type { ChatDelta } from "../responses.js";

/** What a client assembling the stream (as the openai SDK's stream helpers do) ends up with. */
function assemble(deltas: ChatDelta[]) {
  let content = "";
  let reasoning = "";
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const delta of deltas) {
    content += delta.content ?? "";
    reasoning += delta.reasoning_content ?? "";
    for (const call of delta.tool_calls ?? []) {
      if (call.id !== undefined) {
        assert.equal(call.index, calls.length, "a new call takes the next index");
        assert.equal(call.type, "function");
        assert.equal(typeof call.function?.name, "string");
        calls.push({ id: call.id, name: call.function!.name!, arguments: call.function?.arguments ?? "" });
      } else {
        assert.equal(call.function?.name, undefined, "later deltas carry arguments only");
        calls[call.index].arguments += call.function?.arguments ?? "";
      }
    }
  }
  return { content, reasoning, calls };
}

function checkStreamMatchesMessage(options: ChatOutputOptions, output: string) {
  const message = toChatMessage(new ChatOutputParser(options), output);
  for (let at = 0; at <= output.length; at++) {
    for (const chunks of [[output.slice(0, at), output.slice(at)], [...output]]) {
      const parser = new ChatOutputParser(options);
      const deltas = [...chunks.flatMap((chunk) => toChatDeltas(parser.push(chunk))), ...toChatDeltas(parser.finish())];
      const streamed = assemble(deltas);
      assert.equal(streamed.content, message.content ?? "", JSON.stringify(chunks));
      assert.equal(streamed.reasoning, message.reasoning_content ?? "");
      assert.deepEqual(
        streamed.calls.map(({ name, arguments: args }) => ({ name, args })),
        (message.tool_calls ?? []).map((call) => ({ name: call.type === "function" ? call.function.name : "", args: call.type === "function" ? call.function.arguments : "" })),
      );
    }
  }
  return message;
}

test("auto mode with reasoning: thinking, content and calls separated; stream equals message", () => {
  const options: ChatOutputOptions = { toolMode: { kind: "auto", syntax: hermesToolSyntax, maxCalls: Infinity }, reasoningParser: "qwen3", idStyle: "openai" };
  const output = '<think>\nThe user wants weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
  const message = checkStreamMatchesMessage(options, output);
  assert.equal(message.content, null);
  assert.equal(message.reasoning_content, "\nThe user wants weather.\n");
  assert.equal(message.reasoning, message.reasoning_content);
  assert.equal(message.tool_calls?.length, 1);
  const call = message.tool_calls![0];
  assert.match(call.id, /^call_[A-Za-z0-9]{24}$/);
  assert.deepEqual(call.type === "function" && call.function, { name: "get_weather", arguments: '{"city":"Paris"}' });
  const parser = new ChatOutputParser(options);
  toChatMessage(parser, output);
  assert.equal(parser.finishReason("stop"), "tool_calls");
  assert.equal(parser.finishReason("length"), "length");
});

test("named tool choice: the output is the arguments of one call; finish_reason stays stop; content empty", () => {
  const options: ChatOutputOptions = { toolMode: { kind: "named", name: "get_weather" }, reasoningParser: "qwen3", idStyle: "mistral" };
  const output = '{"city": "Paris", "note": "<think>not reasoning</think>"}';
  const message = checkStreamMatchesMessage(options, output);
  assert.equal(message.content, "");
  assert.equal(message.reasoning_content, undefined);
  const call = message.tool_calls![0];
  assert.match(call.id, /^[A-Za-z0-9]{9}$/);
  assert.deepEqual(call.type === "function" && call.function, { name: "get_weather", arguments: output });
  const parser = new ChatOutputParser(options);
  toChatMessage(parser, output);
  assert.equal(parser.finishReason("stop"), "stop");
});

test("named tool choice streams the arguments as they are generated", () => {
  const parser = new ChatOutputParser({ toolMode: { kind: "named", name: "f" }, reasoningParser: null, idStyle: "openai" });
  const first = toChatDeltas(parser.push('{"a"'));
  assert.equal(first.length, 1);
  assert.equal(first[0].tool_calls?.[0].function?.name, "f");
  assert.equal(first[0].tool_calls?.[0].function?.arguments, '{"a"');
  const second = toChatDeltas(parser.push(": 1}"));
  assert.deepEqual(second, [{ tool_calls: [{ index: 0, function: { arguments: ": 1}" } }] }]);
  assert.deepEqual(toChatDeltas(parser.finish()), []);
});

test("required tool choice: a JSON array of {name, parameters} becomes tool calls", () => {
  const options: ChatOutputOptions = { toolMode: { kind: "required", maxCalls: Infinity }, reasoningParser: null, idStyle: "openai" };
  const output = '[{"name": "get_weather", "parameters": {"city": "Paris"}}, {"name": "get_time", "parameters": {}}]';
  const message = checkStreamMatchesMessage(options, output);
  assert.equal(message.content, null);
  assert.deepEqual(
    message.tool_calls?.map((call) => call.type === "function" && call.function),
    [
      { name: "get_weather", arguments: '{"city":"Paris"}' },
      { name: "get_time", arguments: "{}" },
    ],
  );
});

test("plain mode passes text through, reasoning split off when a parser is set", () => {
  const plain = toChatMessage(new ChatOutputParser({ toolMode: { kind: "plain" }, reasoningParser: null, idStyle: "openai" }), "<tool_call>x</tool_call>");
  assert.deepEqual(plain, { content: "<tool_call>x</tool_call>" });
  const message = checkStreamMatchesMessage({ toolMode: { kind: "plain" }, reasoningParser: "deepseek_r1", idStyle: "openai" }, "why</think>because");
  assert.deepEqual(message, { content: "because", reasoning_content: "why", reasoning: "why" });
});
