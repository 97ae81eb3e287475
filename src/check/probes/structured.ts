/**
 * Structured outputs, enforced over many seeded samples at temperature 1:
 * response_format json_object and json_schema (validated against the schema),
 * and vLLM's structured_outputs regex, choice and grammar.
 */
import { accepted, expect, field, type Probe, type ProbeContext } from "../probe.js";
import type { Exchange } from "../http-client.js";
import { schemaViolation, type Schema } from "../schema-check.js";
import { chatBody, openaiDocs, vllmDocs } from "./shared.js";

const numSamples = 6;
const seeds = Array.from({ length: numSamples }, (_, i) => 100 + i);

export const personSchema: Schema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 8 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    role: { type: "string", enum: ["admin", "user", "guest"] },
    active: { type: "boolean" },
    tags: { type: "array", items: { type: "string", maxLength: 5 }, maxItems: 3 },
  },
  required: ["name", "age", "role", "active", "tags"],
  additionalProperties: false,
};

/** The content of each seeded sample that finished (a sample cut by max_tokens proves nothing). */
async function samples(context: ProbeContext, extra: Record<string, unknown>, maxTokens = 96): Promise<Array<{ content: string; exchange: Exchange }>> {
  const finished: Array<{ content: string; exchange: Exchange }> = [];
  for (const seed of seeds) {
    const exchange = await context.client.post("/chat/completions", chatBody(context, { messages: [{ role: "user", content: "Describe a user as JSON." }], temperature: 1, seed, max_tokens: maxTokens, ...extra }));
    const body = accepted(exchange);
    if (field(body, "choices", 0, "finish_reason") === "stop") finished.push({ content: String(field(body, "choices", 0, "message", "content")), exchange });
  }
  expect(finished.length >= numSamples / 2, `at least ${numSamples / 2} of ${numSamples} constrained samples end before max_tokens ${maxTokens}`, undefined, `${finished.length} did`);
  return finished;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function expectAll(list: Array<{ content: string; exchange: Exchange }>, rule: string, isValid: (content: string) => string | null): void {
  for (const { content, exchange } of list) {
    const problem = isValid(content);
    expect(problem === null, `${rule}${problem ? ` (${problem})` : ""}`, exchange, content);
  }
}

export const structuredProbes: Probe[] = [
  {
    id: "structured.json-object",
    group: "structured",
    description: `response_format json_object: each of ${numSamples} seeded samples is a JSON object`,
    doc: openaiDocs.chat("response_format"),
    async run(context) {
      const list = await samples(context, { response_format: { type: "json_object" } }, 160);
      expectAll(list, "the content parses as a JSON object", (content) => {
        const value = parseJson(content);
        return typeof value === "object" && value !== null && !Array.isArray(value) ? null : "not a JSON object";
      });
    },
  },
  {
    id: "structured.json-schema",
    group: "structured",
    description: `response_format json_schema: each of ${numSamples} seeded samples validates against the schema`,
    doc: openaiDocs.structured,
    async run(context) {
      const list = await samples(context, { response_format: { type: "json_schema", json_schema: { name: "person", schema: personSchema, strict: true } } });
      expectAll(list, "the content is JSON valid against the schema", (content) => {
        const value = parseJson(content);
        return value === undefined ? "not JSON" : schemaViolation(value, personSchema);
      });
    },
  },
  {
    id: "structured.regex",
    group: "structured",
    description: "vLLM structured_outputs.regex: each sample matches [a-z]{3}-[0-9]{2,4}",
    doc: vllmDocs.structured,
    async run(context) {
      const list = await samples(context, { structured_outputs: { regex: "[a-z]{3}-[0-9]{2,4}" } }, 16);
      expectAll(list, "the content matches ^[a-z]{3}-[0-9]{2,4}$", (content) => (/^[a-z]{3}-[0-9]{2,4}$/.test(content) ? null : "no match"));
    },
  },
  {
    id: "structured.choice",
    group: "structured",
    description: "vLLM structured_outputs.choice: each sample is exactly one of the choices",
    doc: vllmDocs.structured,
    async run(context) {
      const choices = ["positive", "negative", "neutral"];
      const list = await samples(context, { structured_outputs: { choice: choices } }, 16);
      expectAll(list, `the content is one of ${JSON.stringify(choices)}`, (content) => (choices.includes(content) ? null : "not a choice"));
    },
  },
  {
    id: "structured.grammar",
    group: "structured",
    description: "vLLM structured_outputs.grammar (GBNF): each sample is in the grammar's language",
    doc: vllmDocs.structured,
    async run(context) {
      const grammar = 'root ::= "SELECT " column " FROM t" \ncolumn ::= "a" | "b" | "c"';
      const list = await samples(context, { structured_outputs: { grammar } }, 16);
      expectAll(list, "the content is SELECT a|b|c FROM t", (content) => (/^SELECT [abc] FROM t$/.test(content) ? null : "not in the language"));
    },
  },
];
