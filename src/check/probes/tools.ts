/**
 * Tool calling: tool_choice none / auto / required / named, arguments valid
 * against the tool's schema, streamed argument deltas that concatenate to
 * valid JSON, and parallel_tool_calls: false.
 */
import { accepted, expect, field, type Probe, type ProbeContext } from "../probe.js";
import type { Exchange } from "../http-client.js";
import { schemaViolation, type Schema } from "../schema-check.js";
import { acceptedStream, choiceChunks } from "./streaming.js";
import { chatBody, openaiDocs } from "./shared.js";

const weatherSchema: Schema = {
  type: "object",
  properties: { city: { type: "string", maxLength: 8 }, days: { type: "integer", minimum: 1, maximum: 7 }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
  required: ["city", "days", "unit"],
  additionalProperties: false,
};
const timeSchema: Schema = { type: "object", properties: { zone: { type: "string", enum: ["UTC", "CET", "PST"] } }, required: ["zone"], additionalProperties: false };
const schemas: Record<string, Schema> = { get_weather: weatherSchema, get_time: timeSchema };
const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather forecast for a city.", parameters: weatherSchema } },
  { type: "function", function: { name: "get_time", description: "Current time in a zone.", parameters: timeSchema } },
];
const messages = [{ role: "user", content: "What is the weather in Paris for the next three days?" }];
const seeds = [1, 2, 3];
const maxTokens = 256;

interface Call {
  id: unknown;
  type: unknown;
  name: unknown;
  arguments: unknown;
}

function toolBody(context: ProbeContext, extra: Record<string, unknown>): Record<string, unknown> {
  return chatBody(context, { messages, tools, temperature: 1, max_tokens: maxTokens, ...extra });
}

function callsOf(message: unknown): Call[] {
  const calls = field(message, "tool_calls");
  return Array.isArray(calls) ? calls.map((call) => ({ id: field(call, "id"), type: field(call, "type"), name: field(call, "function", "name"), arguments: field(call, "function", "arguments") })) : [];
}

function expectValidCall(call: Call, exchange: Pick<Exchange, "sent" | "body">, name?: string): void {
  expect(typeof call.id === "string" && call.id !== "" && call.type === "function", 'a call has a string id and type "function"', exchange, call);
  expect(typeof call.name === "string" && call.name in schemas && (name === undefined || call.name === name), name ? `a call to ${name}` : "a call to one of the tools", exchange, call);
  let args: unknown;
  try {
    args = JSON.parse(String(call.arguments));
  } catch {
    expect(false, "arguments are a JSON string", exchange, call);
  }
  const violation = schemaViolation(args, schemas[call.name as string]);
  expect(violation === null, `arguments valid against ${call.name}'s parameters${violation ? ` (${violation})` : ""}`, exchange, call);
}

/**
 * "length" is the right finish for an answer that spent its whole max_tokens:
 * tool_choice "required" lets a model call again and again (a small or
 * random-weight model may), so a cut there is conformance, not a failure.
 */
function cutAtLimit(exchange: Pick<Exchange, "body">, choice: unknown, limit: number): boolean {
  return field(choice, "finish_reason") === "length" && field(exchange.body, "usage", "completion_tokens") === limit;
}

/** A streamed answer's tool calls, assembled as OpenAI documents; checks each first delta's shape on the way. */
function assembleStreamedCalls(events: unknown[], exchange: Exchange): Call[] {
  const calls: Call[] = [];
  for (const choice of choiceChunks(events)) {
    for (const delta of (field(choice, "delta", "tool_calls") as unknown[] | undefined) ?? []) {
      const index = field(delta, "index") as number;
      if (index === calls.length) {
        expect(typeof field(delta, "id") === "string" && field(delta, "type") === "function" && typeof field(delta, "function", "name") === "string", "the first delta of a call carries id, type and function.name", exchange, delta);
        calls.push({ id: field(delta, "id"), type: "function", name: field(delta, "function", "name"), arguments: String(field(delta, "function", "arguments") ?? "") });
      } else {
        expect(Number.isInteger(index) && index < calls.length, "deltas are numbered by index in order", exchange, delta);
        expect(field(delta, "function", "name") === undefined || field(delta, "function", "name") === null, "later deltas of a call carry no name", exchange, delta);
        calls[index].arguments = String(calls[index].arguments) + String(field(delta, "function", "arguments") ?? "");
      }
    }
  }
  return calls;
}

export const toolsProbes: Probe[] = [
  {
    id: "tools.none",
    group: "tools",
    description: 'tool_choice "none": no tool_calls, content instead',
    doc: openaiDocs.chat("tool_choice"),
    async run(context) {
      for (const seed of seeds) {
        const exchange = await context.client.post("/chat/completions", toolBody(context, { tool_choice: "none", seed, max_tokens: 64 }));
        const message = field(accepted(exchange), "choices", 0, "message");
        expect(callsOf(message).length === 0 && typeof field(message, "content") === "string", "no tool_calls and string content", exchange);
        expect(field(accepted(exchange), "choices", 0, "finish_reason") !== "tool_calls", 'finish_reason is not "tool_calls"', exchange);
      }
    },
  },
  {
    id: "tools.auto",
    group: "tools",
    description: 'tool_choice "auto": content or valid calls; finish_reason "tool_calls" exactly when there are calls',
    doc: openaiDocs.tools,
    async run(context) {
      for (const seed of seeds) {
        const exchange = await context.client.post("/chat/completions", toolBody(context, { tool_choice: "auto", seed, max_tokens: 64 }));
        const choice = field(accepted(exchange), "choices", 0);
        const calls = callsOf(field(choice, "message"));
        for (const call of calls) expectValidCall(call, exchange);
        const finish = field(choice, "finish_reason");
        if (cutAtLimit(exchange, choice, 64)) continue;
        expect(calls.length > 0 ? finish === "tool_calls" : finish !== "tool_calls", 'finish_reason "tool_calls" if and only if there are calls (or "length" with completion_tokens = max_tokens)', exchange);
      }
    },
  },
  {
    id: "tools.required",
    group: "tools",
    description: 'tool_choice "required": at least one call, each valid against its tool\'s schema',
    doc: openaiDocs.chat("tool_choice"),
    async run(context) {
      for (const seed of seeds) {
        const exchange = await context.client.post("/chat/completions", toolBody(context, { tool_choice: "required", seed }));
        const choice = field(accepted(exchange), "choices", 0);
        const calls = callsOf(field(choice, "message"));
        expect(calls.length >= 1, "at least one tool call", exchange);
        for (const call of calls) expectValidCall(call, exchange);
        const finish = field(choice, "finish_reason");
        expect(finish === "tool_calls" || finish === "stop" || cutAtLimit(exchange, choice, maxTokens), 'finish_reason "tool_calls" (or "stop", or "length" with completion_tokens = max_tokens)', exchange);
      }
    },
  },
  {
    id: "tools.named",
    group: "tools",
    description: "a named tool_choice: exactly one call to that function, arguments valid against its schema",
    doc: openaiDocs.chat("tool_choice"),
    async run(context) {
      for (const seed of seeds) {
        const exchange = await context.client.post("/chat/completions", toolBody(context, { tool_choice: { type: "function", function: { name: "get_time" } }, seed }));
        const calls = callsOf(field(accepted(exchange), "choices", 0, "message"));
        expect(calls.length === 1, "exactly one tool call", exchange);
        expectValidCall(calls[0], exchange, "get_time");
      }
    },
  },
  {
    id: "tools.stream-deltas",
    group: "tools",
    description: "streamed named call: first delta has id, type, name; argument fragments join to valid JSON",
    doc: openaiDocs.chatStreaming,
    async run(context) {
      for (const seed of seeds) {
        const exchange = acceptedStream(await context.client.stream("/chat/completions", toolBody(context, { tool_choice: { type: "function", function: { name: "get_weather" } }, seed, stream: true })));
        const calls = assembleStreamedCalls(exchange.events, exchange);
        expect(calls.length === 1, "one streamed call", exchange, calls);
        expectValidCall(calls[0], exchange, "get_weather");
      }
    },
  },
  {
    id: "tools.parallel-false",
    group: "tools",
    description: 'parallel_tool_calls: false with tool_choice "required": exactly one call',
    doc: openaiDocs.chat("parallel_tool_calls"),
    async run(context) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const exchange = await context.client.post("/chat/completions", toolBody(context, { tool_choice: "required", parallel_tool_calls: false, seed }));
        const calls = callsOf(field(accepted(exchange), "choices", 0, "message"));
        expect(calls.length === 1, "exactly one tool call", exchange);
        expectValidCall(calls[0], exchange);
      }
    },
  },
];
