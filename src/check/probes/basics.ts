/** Models list shape; chat and completions answers for string, list and token-id prompts. */
import { accepted, expect, field, type Probe } from "../probe.js";
import type { Exchange } from "../http-client.js";
import { chatBody, completionBody, forcedIds, openaiDocs } from "./shared.js";

const isInt = (value: unknown) => Number.isInteger(value);

/** usage with integer counts that add up. */
export function expectUsage(exchange: Pick<Exchange, "sent" | "body">, usage: unknown): void {
  const [prompt, completion, total] = ["prompt_tokens", "completion_tokens", "total_tokens"].map((key) => field(usage, key));
  expect(isInt(prompt) && isInt(completion) && isInt(total), "usage has integer prompt_tokens, completion_tokens, total_tokens", exchange, usage);
  expect((prompt as number) + (completion as number) === total, "usage.total_tokens = prompt_tokens + completion_tokens", exchange, usage);
}

function expectCompletionEnvelope(exchange: Exchange, body: unknown, object: string): void {
  expect(field(body, "object") === object, `object "${object}"`, exchange);
  expect(typeof field(body, "id") === "string" && (field(body, "id") as string).length > 0, "a non-empty string id", exchange);
  expect(isInt(field(body, "created")), "created is an integer (Unix seconds)", exchange);
  expect(typeof field(body, "model") === "string", "model is a string", exchange);
}

const finishReasons = ["stop", "length", "tool_calls", "content_filter"];

export const basicProbes: Probe[] = [
  {
    id: "models.list",
    group: "models",
    description: "GET /models: object list, entries {id, object: model, created, owned_by}, the checked model among them",
    doc: openaiDocs.models,
    async run(context) {
      const exchange = await context.client.get("/models");
      const body = accepted(exchange);
      expect(field(body, "object") === "list", 'object "list"', exchange);
      const data = field(body, "data");
      expect(Array.isArray(data) && data.length > 0, "a non-empty data array", exchange);
      for (const entry of data) {
        expect(typeof field(entry, "id") === "string" && field(entry, "object") === "model", 'each entry has a string id and object "model"', exchange, entry);
        expect(isInt(field(entry, "created")) && typeof field(entry, "owned_by") === "string", "each entry has integer created and string owned_by", exchange, entry);
      }
      expect(data.some((entry) => field(entry, "id") === context.model), `the model '${context.model}' is listed`, exchange);
    },
  },
  {
    id: "chat.basic",
    group: "basic",
    description: "chat completion: object, id, created, model, one assistant message, finish_reason, usage",
    doc: openaiDocs.chatObject,
    async run(context) {
      const exchange = await context.client.post("/chat/completions", chatBody(context));
      const body = accepted(exchange);
      expectCompletionEnvelope(exchange, body, "chat.completion");
      const choices = field(body, "choices");
      expect(Array.isArray(choices) && choices.length === 1 && field(choices[0], "index") === 0, "exactly one choice, index 0", exchange);
      expect(field(choices[0], "message", "role") === "assistant", 'message.role "assistant"', exchange);
      expect(typeof field(choices[0], "message", "content") === "string", "message.content is a string", exchange);
      expect(finishReasons.includes(field(choices[0], "finish_reason") as string), `finish_reason one of ${finishReasons.join(", ")}`, exchange);
      expectUsage(exchange, field(body, "usage"));
    },
  },
  {
    id: "chat.max-completion-tokens",
    group: "basic",
    description: "max_completion_tokens (the newer name of max_tokens) caps the answer: finish_reason length",
    doc: openaiDocs.chat("max_completion_tokens"),
    async run(context) {
      const exchange = await context.client.post("/chat/completions", chatBody(context, { max_tokens: undefined, max_completion_tokens: 3, temperature: 1, seed: 7 }));
      const body = accepted(exchange);
      const completion = field(body, "usage", "completion_tokens");
      expect(isInt(completion) && (completion as number) <= 3, "usage.completion_tokens <= 3", exchange);
      if (completion === 3) expect(field(body, "choices", 0, "finish_reason") === "length", 'finish_reason "length" after 3 of 3 tokens', exchange);
    },
  },
  {
    id: "completions.string-prompt",
    group: "basic",
    description: "completion of a string prompt: object text_completion, one choice with text, finish_reason, usage",
    doc: openaiDocs.completions("prompt"),
    async run(context) {
      const exchange = await context.client.post("/completions", completionBody(context));
      const body = accepted(exchange);
      expectCompletionEnvelope(exchange, body, "text_completion");
      const choices = field(body, "choices");
      expect(Array.isArray(choices) && choices.length === 1 && field(choices[0], "index") === 0, "exactly one choice, index 0", exchange);
      expect(typeof field(choices[0], "text") === "string", "choices[0].text is a string", exchange);
      expect(finishReasons.includes(field(choices[0], "finish_reason") as string), "a finish_reason", exchange);
      expectUsage(exchange, field(body, "usage"));
    },
  },
  {
    id: "completions.list-prompt",
    group: "basic",
    description: "a list of string prompts gets one choice per prompt, in order (index 0, 1), each as if sent alone",
    doc: openaiDocs.completions("prompt"),
    async run(context) {
      const prompts = ["Once upon a time", "The capital of France is"];
      const exchange = await context.client.post("/completions", completionBody(context, { prompt: prompts, max_tokens: 6 }));
      const choices = field(accepted(exchange), "choices");
      expect(Array.isArray(choices) && choices.length === 2, "two choices", exchange);
      expect(choices.map((choice) => field(choice, "index")).join() === "0,1", "indexes 0 and 1", exchange);
      const alone = await context.client.post("/completions", completionBody(context, { prompt: prompts[1], max_tokens: 6 }));
      expect(field(accepted(alone), "choices", 0, "text") === field(choices[1], "text"), "the second prompt's greedy text equals its text when sent alone", alone, { alone: field(alone.body, "choices", 0, "text"), inList: field(choices[1], "text") });
    },
  },
  {
    id: "completions.token-prompt",
    group: "basic",
    description: "a token-id prompt is used as is: usage.prompt_tokens is its length",
    doc: openaiDocs.completions("prompt"),
    async run(context) {
      const ids = [forcedIds[0], forcedIds[1], forcedIds[0], forcedIds[1], forcedIds[0]];
      const exchange = await context.client.post("/completions", completionBody(context, { prompt: ids, max_tokens: 6 }));
      const body = accepted(exchange);
      expect(typeof field(body, "choices", 0, "text") === "string", "choices[0].text is a string", exchange);
      expect(field(body, "usage", "prompt_tokens") === ids.length, `usage.prompt_tokens = ${ids.length}`, exchange);
    },
  },
  {
    id: "completions.token-prompts",
    group: "basic",
    description: "a list of token-id prompts gets one choice per prompt, with usage.prompt_tokens their sum",
    doc: openaiDocs.completions("prompt"),
    async run(context) {
      const prompts = [[forcedIds[0], forcedIds[1], forcedIds[0]], [forcedIds[1], forcedIds[1]]];
      const exchange = await context.client.post("/completions", completionBody(context, { prompt: prompts, max_tokens: 4 }));
      const body = accepted(exchange);
      expect(Array.isArray(field(body, "choices")) && (field(body, "choices") as unknown[]).length === 2, "two choices", exchange);
      expect(field(body, "usage", "prompt_tokens") === 5, "usage.prompt_tokens = 5 (3 + 2)", exchange);
    },
  },
];
