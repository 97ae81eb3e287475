import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import type { SamplingParams } from "../engine/types.js";
import { hermesToolSyntax } from "./chat-output/hermes-tool-syntax.js";
import { mistralToolSyntax } from "./chat-output/mistral-tool-syntax.js";
import { planChatTools, type ServerToolOptions, type ToolRequest } from "./tool-choice.js";
import { withToolPlan } from "./tool-grammar.js";

const server: ServerToolOptions = { toolSyntax: hermesToolSyntax, reasoningParser: null };
const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const tools: NonNullable<ToolRequest["tools"]> = [
  { type: "function", function: { name: "get_weather", parameters } },
  { type: "function", function: { name: "ping" } },
];
const params = { grammar: null } as SamplingParams;

function assertBadRequest(fn: () => unknown, param: string, type: typeof InvalidRequestError | typeof UnsupportedParameterError = InvalidRequestError): void {
  assert.throws(fn, (error: unknown) => error instanceof type && error.param === param);
}

test("tool_choice defaults to auto with tools, none without; none and parserless auto are plain", () => {
  assert.deepEqual(planChatTools({ tools }, server).chatOutput.toolMode, { kind: "auto", syntax: hermesToolSyntax, maxCalls: Infinity });
  assert.deepEqual(planChatTools({ tools, parallel_tool_calls: false }, server).chatOutput.toolMode, { kind: "auto", syntax: hermesToolSyntax, maxCalls: 1 });
  assert.deepEqual(planChatTools({}, server).chatOutput.toolMode, { kind: "plain" });
  assert.deepEqual(planChatTools({ tools, tool_choice: "none" }, server).chatOutput.toolMode, { kind: "plain" });
  assert.deepEqual(planChatTools({ tools }, { toolSyntax: null, reasoningParser: null }).chatOutput.toolMode, { kind: "plain" });
});

test("named: the function's parameters are the output schema; an unknown name is a 400 on tool_choice", () => {
  const plan = planChatTools({ tools, tool_choice: { type: "function", function: { name: "get_weather" } } }, server);
  assert.deepEqual(plan.outputSchema, parameters);
  assert.deepEqual(planChatTools({ tools, tool_choice: { type: "function", function: { name: "ping" } } }, server).outputSchema, { type: "object", properties: {} });
  assertBadRequest(() => planChatTools({ tools, tool_choice: { type: "function", function: { name: "nope" } } }, server), "tool_choice");
  assertBadRequest(() => planChatTools({ tool_choice: "required" }, server), "tool_choice");
});

test("required: an array of {name, parameters} over the tools, one item without parallel calls", () => {
  const plan = planChatTools({ tools, tool_choice: "required", parallel_tool_calls: false }, server);
  assert.equal(plan.outputSchema?.type, "array");
  assert.equal(plan.outputSchema?.minItems, 1);
  assert.equal(plan.outputSchema?.maxItems, 1);
  const grammar = withToolPlan(params, plan, { tools, tool_choice: "required" }).grammar;
  assert.ok(grammar?.includes("root"));
});

test("an unsupported keyword in a tool's parameters is a 400 pointing into tools", () => {
  const bad: ToolRequest = { tools: [{ type: "function", function: { name: "f", parameters: { type: "object", not: {} } } }], tool_choice: "required" };
  assertBadRequest(() => withToolPlan(params, planChatTools(bad, server), bad), "tools[0].function.parameters.not", UnsupportedParameterError);
});

test("a grammar from another constraint cannot be combined with a named choice", () => {
  const request: ToolRequest = { tools, tool_choice: { type: "function", function: { name: "get_weather" } } };
  assertBadRequest(() => withToolPlan({ grammar: "root ::= \"x\"" } as SamplingParams, planChatTools(request, server), request), "tool_choice");
});

test("min_tokens and allowed_token_ids cannot be combined with a named or required choice (they could leave no token)", () => {
  for (const [field, value] of [["min_tokens", 2], ["allowed_token_ids", [1, 2]]] as const) {
    const request = { tools, tool_choice: "required" as const, [field]: value };
    assertBadRequest(() => withToolPlan(params, planChatTools(request, server), request), field, UnsupportedParameterError);
  }
});

test("the mistral parser asks for special tokens rendered ([TOOL_CALLS] is a control token)", () => {
  const plan = planChatTools({ tools }, { toolSyntax: mistralToolSyntax, reasoningParser: null });
  assert.equal(withToolPlan(params, plan, { tools }).skipSpecialTokens, false);
  assert.equal(withToolPlan(params, planChatTools({ tools }, server), { tools }).skipSpecialTokens, undefined);
});
