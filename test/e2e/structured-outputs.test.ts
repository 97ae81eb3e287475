/**
 * Structured outputs against the real server on the tiny generated model.
 * Its weights are random, so whatever structure the output has comes from
 * the grammar alone: every constrained output must parse and validate.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import OpenAI from "openai";
import { readSse, useServer, type TestServer } from "./server-harness.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--max-model-len", "1024", "--max-num-seqs", "8"] }, (served) => ({ server, client, model } = served));

/** Realistic schemas whose values are bounded (enums, lengths, ranges, item counts), so every generation ends. */
const schemas: Record<string, object> = {
  person: {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, maxLength: 12 },
      age: { type: "integer", minimum: 0, maximum: 120 },
      email: { type: "string", format: "email" },
      role: { enum: ["admin", "user", "guest"] },
      tags: { type: "array", items: { type: "string", maxLength: 6 }, maxItems: 3 },
      nickname: { type: "string", pattern: "^[A-Z][a-z]{1,11}( [A-Z][a-z]{1,11})?$" },
    },
    required: ["name", "age", "role"],
    additionalProperties: false,
  },
  event: {
    type: "object",
    properties: {
      title: { type: "string", maxLength: 20 },
      slug: { type: "string", pattern: "^[\\w ,.!?-]{1,20}$" },
      date: { type: "string", format: "date" },
      starts: { type: "string", format: "date-time" },
      at: { type: "string", format: "time" },
      attendees: {
        type: "array",
        items: { type: "object", properties: { name: { type: "string", pattern: "^[A-Z][a-z]{0,7}$" }, rsvp: { enum: ["yes", "no", null] } }, required: ["name", "rsvp"] },
        minItems: 1,
        maxItems: 2,
      },
    },
    required: ["title", "date", "attendees"],
  },
  order: {
    $defs: {
      line: {
        type: "object",
        properties: { sku: { type: "string", pattern: "^[A-Z]{3}-\\d{4}$" }, quantity: { type: "integer", exclusiveMinimum: 0, maximum: 99 } },
        required: ["sku", "quantity"],
      },
    },
    type: "object",
    properties: {
      id: { type: "string", format: "uuid" },
      status: { const: "open" },
      lines: { type: "array", items: { $ref: "#/$defs/line" }, minItems: 1, maxItems: 3 },
      discount: { anyOf: [{ type: "integer", minimum: 0, maximum: 50 }, { type: "null" }] },
      price: { type: "number", exclusiveMinimum: 0, maximum: 1000 },
      note: { type: ["string", "null"], pattern: "^[a-z ]{0,10}$" },
      coupon: { type: "string", pattern: "^[A-Z0-9]{5}$", nullable: true },
      point: { type: "array", prefixItems: [{ type: "integer", minimum: -90, maximum: 90 }, { type: "boolean" }], items: false, minItems: 2 },
    },
    required: ["id", "status", "lines", "discount", "price", "point"],
  },
  mixed: {
    allOf: [
      { type: "object", properties: { code: { type: "string", pattern: "^(red|green|blue)-[0-9a-f]{2}$" } }, required: ["code"] },
      { properties: { level: { type: "integer", minimum: -5, maximum: 5 }, ok: { type: "boolean" } }, required: ["level"] },
    ],
  },
};

type Spelling = "response_format" | "structured_outputs" | "guided_json";

async function generateJson(schemaName: string, spelling: Spelling, route: "chat" | "completion", n: number): Promise<string[]> {
  const schema = schemas[schemaName];
  const constraint =
    spelling === "response_format"
      ? { response_format: { type: "json_schema", json_schema: { name: schemaName, schema, strict: true } } }
      : spelling === "structured_outputs"
        ? { structured_outputs: { json: schema } }
        : { guided_json: schema };
  const common = { model, n, temperature: 1, max_tokens: 400, ...constraint };
  if (route === "chat") {
    const response = await client.chat.completions.create({ ...common, messages: [{ role: "user", content: `A ${schemaName}, please.` }] } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    return response.choices.map((choice) => {
      assert.equal(choice.finish_reason, "stop", choice.message.content ?? "");
      return choice.message.content ?? "";
    });
  }
  const response = await client.completions.create({ ...common, prompt: `A ${schemaName}:` } as OpenAI.CompletionCreateParamsNonStreaming);
  return response.choices.map((choice) => {
    assert.equal(choice.finish_reason, "stop", choice.text);
    return choice.text;
  });
}

function assertValid(schemaName: string, text: string): void {
  let value: unknown;
  assert.doesNotThrow(() => (value = JSON.parse(text)), `not JSON: ${text}`);
  assert.ok(ajv.validate(schemas[schemaName], value), `${schemaName}: ${ajv.errorsText()} in ${text}`);
  assert.doesNotMatch(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'), /\s/, `compact JSON, nothing around the value: ${text}`);
}

test("ajv checks formats (so the validation below can fail)", () => {
  assert.ok(!ajv.validate({ type: "string", format: "email" }, "not an email"));
  assert.ok(!ajv.validate({ type: "string", format: "date" }, "2024-02-30"));
  assert.ok(!ajv.validate(schemas.order, { id: "x" }));
});

test("200 schema-constrained generations at temperature 1 all parse and validate", async () => {
  const jobs: Array<{ schemaName: string; spelling: Spelling; route: "chat" | "completion"; n: number }> = [];
  const spellings: Spelling[] = ["response_format", "structured_outputs", "guided_json"];
  for (let i = 0; i < 50; i++) {
    jobs.push({ schemaName: Object.keys(schemas)[i % 4], spelling: spellings[i % 3], route: i % 5 === 4 ? "completion" : "chat", n: 4 });
  }
  let numValidated = 0;
  const concurrency = 4;
  for (let start = 0; start < jobs.length; start += concurrency) {
    const batch = jobs.slice(start, start + concurrency);
    const outputs = await Promise.all(batch.map((job) => generateJson(job.schemaName, job.spelling, job.route, job.n)));
    outputs.forEach((texts, i) => {
      for (const text of texts) {
        assertValid(batch[i].schemaName, text);
        numValidated++;
      }
    });
  }
  assert.equal(numValidated, 200);
});

test("streamed constrained output concatenates to a valid value", async () => {
  for (const schemaName of Object.keys(schemas)) {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "go" }],
      max_tokens: 400,
      stream: true,
      n: 2,
      response_format: { type: "json_schema", json_schema: { name: schemaName, schema: schemas[schemaName] as Record<string, unknown> } },
    });
    const texts = ["", ""];
    const finishReasons: Array<string | null> = [null, null];
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? "";
        finishReasons[choice.index] = choice.finish_reason ?? finishReasons[choice.index];
      }
    }
    assert.deepEqual(finishReasons, ["stop", "stop"]);
    for (const text of texts) assertValid(schemaName, text);
  }
});

/** Token ids of texts that close JSON strings and containers: biased up so free-form JSON ends within max_tokens. */
async function closingTokenBias(): Promise<Record<string, number>> {
  const bias: Record<string, number> = {};
  for (const text of ['"', "}", "]"]) {
    const response = await fetch(`${server.url}/tokenize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: text, add_special_tokens: false }),
    });
    const { tokens } = (await response.json()) as { tokens: number[] };
    assert.equal(tokens.length, 1);
    bias[String(tokens[0])] = 8;
  }
  return bias;
}

test("a control token never enters constrained output, even at logit_bias +100 (its text would count as 12 characters)", async () => {
  const response = await fetch(`${server.url}/tokenize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: "<|im_start|>", add_special_tokens: false }),
  });
  const { tokens } = (await response.json()) as { tokens: number[] };
  assert.equal(tokens.length, 1, "<|im_start|> is one control token");
  const schema = { type: "object", properties: { name: { type: "string", minLength: 1, maxLength: 12 } }, required: ["name"], additionalProperties: false };
  schemas.controlProbe = schema;
  const completion = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "A name." }],
    n: 4,
    temperature: 1,
    max_tokens: 100,
    logit_bias: { [String(tokens[0])]: 100 },
    response_format: { type: "json_schema", json_schema: { name: "controlProbe", schema } },
  });
  for (const choice of completion.choices) assertValid("controlProbe", choice.message.content ?? "");
});

test("a grammar its token bans leave no way to continue: a 400 for that request alone, its batch goes on", async () => {
  // The choice's only first token is the banned word's token.
  const deadEnd = { model, prompt: "pick", max_tokens: 4, guided_choice: ["a"], bad_words: ["a"] } as OpenAI.CompletionCreateParamsNonStreaming;
  const [rejected, fine] = await Promise.allSettled([
    client.completions.create(deadEnd),
    client.completions.create({ model, prompt: "story", max_tokens: 16, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming),
  ]);
  assert.equal(rejected.status, "rejected");
  assert.ok(rejected.reason instanceof OpenAI.BadRequestError, String(rejected.reason));
  assert.match(rejected.reason.message, /No token can continue the output/);
  assert.equal(fine.status, "fulfilled");
  assert.equal(fine.value.usage?.completion_tokens, 16);

  // Streaming, stuck after the first token ("x", then only the banned "q" fits):
  // "x" is sent, then the error as the stream's error event, then the end.
  const stream = await fetch(`${server.url}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, prompt: "pick", max_tokens: 4, guided_choice: ["xq"], bad_words: ["q"], stream: true }),
  });
  assert.equal(stream.status, 200);
  const frames = await readSse(stream);
  assert.equal(frames.length, 3, frames.join("\n"));
  assert.equal((JSON.parse(frames[0]) as OpenAI.Completion).choices[0].text, "x");
  const { error } = JSON.parse(frames[1]) as { error: { type: string; message: string } };
  assert.equal(error.type, "invalid_request_error");
  assert.match(error.message, /^No token can continue the output/);
  assert.equal(frames[2], "[DONE]");

  // allowed_token_ids could exclude everything a grammar accepts: refused up front.
  await assert.rejects(
    client.completions.create({ model, prompt: "json", max_tokens: 4, allowed_token_ids: [5], response_format: { type: "json_object" } } as OpenAI.CompletionCreateParamsNonStreaming),
    (error: unknown) => error instanceof OpenAI.BadRequestError && (error.error as { param?: string }).param === "allowed_token_ids",
  );
});

test("json_object gives a JSON object, on chat and completions", async () => {
  const logit_bias = await closingTokenBias();
  const chat = await client.chat.completions.create({ model, messages: [{ role: "user", content: "json" }], max_tokens: 400, n: 8, logit_bias, response_format: { type: "json_object" } });
  for (const choice of chat.choices) {
    assert.equal(choice.finish_reason, "stop", choice.message.content!);
    const value: unknown = JSON.parse(choice.message.content!);
    assert.ok(typeof value === "object" && value !== null && !Array.isArray(value));
  }
  const completion = await client.completions.create({ model, prompt: "json", max_tokens: 400, n: 8, logit_bias, response_format: { type: "json_object" } } as OpenAI.CompletionCreateParamsNonStreaming);
  for (const choice of completion.choices) {
    assert.equal(choice.finish_reason, "stop", choice.text);
    const value: unknown = JSON.parse(choice.text);
    assert.ok(typeof value === "object" && value !== null && !Array.isArray(value));
  }
});

test("regex and choice outputs match", async () => {
  const pattern = "[A-Z][a-z]{2,5} (\\d{1,3}|[xy]{1,4})!";
  for (const body of [{ structured_outputs: { regex: pattern } }, { guided_regex: pattern }]) {
    const response = await client.completions.create({ model, prompt: "say", max_tokens: 60, n: 4, ...body } as OpenAI.CompletionCreateParamsNonStreaming);
    for (const choice of response.choices) assert.match(choice.text, new RegExp(`^(?:${pattern})$`));
  }
  const choices = ["positive", "negative", "it's \"complicated\""];
  for (const body of [{ structured_outputs: { choice: choices } }, { guided_choice: choices }]) {
    const response = await client.chat.completions.create({ model, messages: [{ role: "user", content: "mood?" }], max_tokens: 60, n: 4, ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    for (const choice of response.choices) assert.ok(choices.includes(choice.message.content!), choice.message.content!);
  }
  const grammar = 'root ::= "v" [0-9] "." [0-9] ( "-rc" [1-3] )?\n';
  const response = await client.completions.create({ model, prompt: "version", max_tokens: 20, n: 3, structured_outputs: { grammar } } as OpenAI.CompletionCreateParamsNonStreaming);
  for (const choice of response.choices) assert.match(choice.text, /^v\d\.\d(-rc[1-3])?$/);
});

const jsonSchemaFormat = (schema: unknown) => ({ response_format: { type: "json_schema", json_schema: { name: "s", schema } } });
const schemaParam = "response_format.json_schema.schema";
const badRequests: Array<[string, Record<string, unknown>, string, string]> = [
  ["multipleOf", jsonSchemaFormat({ type: "integer", multipleOf: 3 }), `${schemaParam}.multipleOf`, "unsupported_parameter"],
  ["not", jsonSchemaFormat({ not: { type: "null" } }), `${schemaParam}.not`, "unsupported_parameter"],
  ["if/then", jsonSchemaFormat({ if: { type: "string" }, then: { maxLength: 2 } }), `${schemaParam}.if`, "unsupported_parameter"],
  ["patternProperties", jsonSchemaFormat({ type: "object", patternProperties: { "^x": {} } }), `${schemaParam}.patternProperties`, "unsupported_parameter"],
  ["uniqueItems", jsonSchemaFormat({ type: "array", uniqueItems: true }), `${schemaParam}.uniqueItems`, "unsupported_parameter"],
  ["fractional number minimum", jsonSchemaFormat({ type: "object", properties: { p: { type: "number", minimum: 0.5 } } }), `${schemaParam}.properties.p.minimum`, "unsupported_parameter"],
  ["format uri", jsonSchemaFormat({ type: "string", format: "uri" }), `${schemaParam}.format`, "unsupported_parameter"],
  ["lookahead in pattern", { guided_json: { type: "string", pattern: "(?!a)b" } }, "guided_json.pattern", "unsupported_parameter"],
  ["unknown type", jsonSchemaFormat({ type: "strnig" }), `${schemaParam}.type`, "null"],
  ["dangling $ref", { structured_outputs: { json: { $ref: "#/$defs/nope" } } }, "structured_outputs.json.$ref", "null"],
  ["schema not JSON", { guided_json: "{oops" }, "guided_json", "null"],
  ["invalid regex", { structured_outputs: { regex: "(ab" } }, "structured_outputs.regex", "null"],
  ["backreference", { guided_regex: "(a)\\1" }, "guided_regex", "unsupported_parameter"],
  ["invalid grammar", { structured_outputs: { grammar: 'root ::= "a" missing-rule' } }, "structured_outputs.grammar", "null"],
  ["left-recursive grammar", { guided_grammar: 'root ::= root "a" | "b"' }, "grammar", "null"],
  ["empty choice", { guided_choice: [] }, "guided_choice", "null"],
  ["two constraints", { guided_regex: "a", response_format: { type: "json_object" } }, "guided_regex", "null"],
];

for (const [name, fields, param, code] of badRequests) {
  test(`400 for ${name}, naming '${param}', and the server goes on`, async () => {
    for (const [path, body] of [
      ["/v1/chat/completions", { model, messages: [{ role: "user", content: "x" }], max_tokens: 5, ...fields }],
      ["/v1/completions", { model, prompt: "x", max_tokens: 5, stream: true, ...fields }],
    ] as const) {
      const response = await fetch(`${server.baseURL}${path.slice(3)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as { error: { param: string | null; code: string | null; type: string } };
      assert.equal(error.type, "invalid_request_error");
      assert.equal(error.param, param);
      assert.equal(String(error.code), code);
    }
    const next = await client.chat.completions.create({ model, messages: [{ role: "user", content: "y" }], max_tokens: 20, guided_choice: ["ok"] } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(next.choices[0].message.content, "ok");
  });
}
