import { test } from "node:test";
import assert from "node:assert/strict";
import { parseToolCalls, ToolCallStreamParser } from "./tool-call-stream-parser.js";
import { detectToolSyntax, toolSyntaxByName } from "./tool-syntaxes.js";
import type { ParsedToolCall, ToolSyntax } from "./tool-syntax.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chatTemplatesDir } from "../../testing/paths.js";

interface Case {
  parser: string;
  output: string;
  content: string | null;
  calls: Array<{ name: string; arguments: unknown }>;
}

const weather = { name: "get_weather", arguments: { city: "Paris", unit: "celsius" } };
const time = { name: "get_time", arguments: {} };

const cases: Case[] = [
  // hermes / Qwen
  { parser: "hermes", output: "Hello there.", content: "Hello there.", calls: [] },
  {
    parser: "hermes",
    output: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>',
    content: null,
    calls: [weather],
  },
  {
    parser: "hermes",
    output:
      'Let me check.\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n',
    content: "Let me check.",
    calls: [weather, time],
  },
  { parser: "hermes", output: '<tool_call>\n{"name": "get_time", "arguments": {}}', content: null, calls: [time] },
  { parser: "hermes", output: "<tool_call>\n{\"name\": \"get_ti", content: "<tool_call>\n{\"name\": \"get_ti", calls: [] },
  { parser: "hermes", output: "a < b and <tool_ is not a call", content: "a < b and <tool_ is not a call", calls: [] },
  { parser: "hermes", output: 'Text with "}" braces {x}\n', content: 'Text with "}" braces {x}\n', calls: [] },
  {
    parser: "hermes",
    output: '<tool_call>{"name": "say", "arguments": {"text": "</tool_call> inside? no: {[\\"]}"}}</tool_call>',
    content: null,
    calls: [{ name: "say", arguments: { text: '</tool_call> inside? no: {["]}' } }],
  },
  { parser: "hermes", output: "<tool_call>not json</tool_call> after", content: "<tool_call>not json</tool_call> after", calls: [] },
  // llama3_json
  { parser: "llama3_json", output: '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}', content: null, calls: [weather] },
  {
    parser: "llama3_json",
    output: '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}; {"name": "get_time", "parameters": {}}',
    content: null,
    calls: [weather, time],
  },
  { parser: "llama3_json", output: "The answer is {42}.", content: "The answer is {42}.", calls: [] },
  { parser: "llama3_json", output: '{"answer": 42}', content: '{"answer": 42}', calls: [] },
  { parser: "llama3_json", output: '  {"name": "get_time", "parameters": {}}  ', content: null, calls: [time] },
  // mistral
  {
    parser: "mistral",
    output: '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}, {"name": "get_time", "arguments": {}}]',
    content: null,
    calls: [weather, time],
  },
  {
    parser: "mistral",
    output: 'Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris", "unit": "celsius"}[TOOL_CALLS]get_time[CALL_ID]abc123XYZ[ARGS]{}',
    content: "Sure.",
    calls: [weather, time],
  },
  { parser: "mistral", output: "[TOOL is not [TOOL_CALL", content: "[TOOL is not [TOOL_CALL", calls: [] },
  // pythonic
  {
    parser: "pythonic",
    output: '[get_weather(city="Paris", unit=\'celsius\'), get_time()]',
    content: null,
    calls: [weather, time],
  },
  {
    parser: "pythonic",
    output: "[search(query='a \"b\" ]', limit=3, exact=True, tags=['x', 'y'], extra={'k': None}, ratio=-1.5e2)]",
    content: null,
    calls: [{ name: "search", arguments: { query: 'a "b" ]', limit: 3, exact: true, tags: ["x", "y"], extra: { k: null }, ratio: -150 } }],
  },
  { parser: "pythonic", output: "[1, 2, 3] are numbers", content: "[1, 2, 3] are numbers", calls: [] },
  { parser: "pythonic", output: "No calls [f(x=1)] here", content: "No calls [f(x=1)] here", calls: [] },
];

function expectedCalls(c: Case): ParsedToolCall[] {
  return c.calls.map((call) => ({ name: call.name, arguments: JSON.stringify(call.arguments) }));
}

function syntax(name: string): ToolSyntax {
  const found = toolSyntaxByName(name);
  assert.ok(found, name);
  return found;
}

for (const [i, c] of cases.entries()) {
  test(`${c.parser} #${i}: whole output`, () => {
    const result = parseToolCalls(syntax(c.parser), c.output);
    assert.equal(result.content, c.content);
    assert.deepEqual(result.calls, expectedCalls(c));
    for (const call of result.calls) assert.deepEqual(JSON.parse(call.arguments), JSON.parse(call.arguments));
  });

  test(`${c.parser} #${i}: the same at every split point, and every character apart`, () => {
    const whole = parseToolCalls(syntax(c.parser), c.output);
    const chunkings = [...Array(c.output.length + 1).keys()].map((at) => [c.output.slice(0, at), c.output.slice(at)]);
    chunkings.push([...c.output]);
    for (const chunks of chunkings) {
      const parser = new ToolCallStreamParser(syntax(c.parser));
      let content = "";
      const calls: ParsedToolCall[] = [];
      for (const events of [...chunks.map((chunk) => parser.push(chunk)), parser.finish()]) {
        content += events.content;
        calls.push(...events.calls);
        if (whole.calls.length > 0) assert.ok(!/tool_call>|TOOL_CALLS|python_tag/.test(content), `leaked: ${JSON.stringify(content)}`);
      }
      assert.equal(content === "" ? null : content, whole.content, JSON.stringify(chunks));
      assert.deepEqual(calls, whole.calls, JSON.stringify(chunks));
    }
  });
}

test("parallel_tool_calls false keeps only the first call", () => {
  const output = '<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>{"name": "b", "arguments": {}}</tool_call>';
  assert.deepEqual(parseToolCalls(syntax("hermes"), output, 1).calls, [{ name: "a", arguments: "{}" }]);
});

test("a held-back marker prefix is released once it cannot be a marker", () => {
  const parser = new ToolCallStreamParser(syntax("hermes"));
  assert.equal(parser.push("x <tool").content, "x");
  assert.equal(parser.push("box").content, " <toolbox");
});

test("the parser is guessed from real chat templates", () => {
  const expected: Record<string, string | null> = {
    "Qwen-Qwen2.5-7B-Instruct.jinja": "hermes",
    "Qwen-Qwen3-0.6B.jinja": "hermes",
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja": "hermes",
    "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja": "hermes",
    "meta-llama-Llama-3.1-8B-Instruct.jinja": "llama3_json",
    "meta-llama-Llama-3.2-3B-Instruct.jinja": "llama3_json",
    "Mistral-Small-3.2-24B-Instruct-2506.jinja": "mistral",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja": "mistral",
    "Qwen3-Coder.jinja": null,
    "GLM-4.6.jinja": null,
    "google-gemma-2-2b-it.jinja": null,
  };
  for (const [file, name] of Object.entries(expected)) {
    const template = readFileSync(join(chatTemplatesDir, file), "utf8");
    assert.equal(detectToolSyntax(template)?.name ?? null, name, file);
  }
});
