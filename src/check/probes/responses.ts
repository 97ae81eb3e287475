/** The Responses API (POST /responses), as openai's API reference documents it; UNSUPPORTED where absent. */
import { accepted, expect, field, type Probe } from "../probe.js";
import { acceptedStream } from "./streaming.js";
import { openaiDocs, referenceMessages } from "./shared.js";

/** The text of every output_text part of every message item. */
function outputText(response: unknown): string {
  const output = field(response, "output");
  if (!Array.isArray(output)) return "";
  return output
    .filter((item) => field(item, "type") === "message")
    .flatMap((item) => (field(item, "content") as unknown[] | undefined) ?? [])
    .filter((part) => field(part, "type") === "output_text")
    .map((part) => String(field(part, "text")))
    .join("");
}

const body = (model: string, extra: Record<string, unknown> = {}) => ({ model, input: referenceMessages[0].content, max_output_tokens: 16, temperature: 0, ...extra });

export const responsesProbes: Probe[] = [
  {
    id: "responses.create",
    group: "responses",
    description: "POST /responses: object response, status, an assistant message with output_text, usage",
    doc: openaiDocs.responses,
    async run(context) {
      const exchange = await context.client.post("/responses", body(context.model));
      const response = accepted(exchange);
      expect(field(response, "object") === "response" && typeof field(response, "id") === "string", 'object "response" and a string id', exchange);
      const status = field(response, "status");
      expect(status === "completed" || (status === "incomplete" && field(response, "incomplete_details", "reason") === "max_output_tokens"), 'status "completed", or "incomplete" with reason max_output_tokens', exchange);
      const message = (field(response, "output") as unknown[] | undefined)?.find((item) => field(item, "type") === "message");
      expect(field(message, "role") === "assistant" && Array.isArray(field(message, "content")), "an output item of type message, role assistant, with content parts", exchange);
      const usage = field(response, "usage");
      expect(field(usage, "total_tokens") === (field(usage, "input_tokens") as number) + (field(usage, "output_tokens") as number), "usage: input_tokens + output_tokens = total_tokens", exchange, usage);
    },
  },
  {
    id: "responses.stream",
    group: "responses",
    description: "streamed: response.created first, response.completed last, increasing sequence_number, deltas = final text",
    doc: openaiDocs.responsesStreaming,
    async run(context) {
      const exchange = acceptedStream(await context.client.stream("/responses", body(context.model, { stream: true })));
      const types = exchange.events.map((event) => field(event, "type"));
      expect(types[0] === "response.created", "response.created first", exchange, types);
      const last = exchange.events.at(-1);
      expect(field(last, "type") === "response.completed" || field(last, "type") === "response.incomplete", "response.completed (or .incomplete) last", exchange, types);
      const numbers = exchange.events.map((event) => field(event, "sequence_number") as number);
      expect(numbers.every((n, i) => Number.isInteger(n) && (i === 0 || n > numbers[i - 1])), "sequence_number increases", exchange, numbers);
      const deltas = exchange.events.filter((event) => field(event, "type") === "response.output_text.delta").map((event) => String(field(event, "delta"))).join("");
      expect(deltas === outputText(field(last, "response")), "output_text deltas join to the final response's text", exchange, { deltas, final: outputText(field(last, "response")) });
    },
  },
];
