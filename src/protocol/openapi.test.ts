import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { z } from "zod";
import { routeList } from "../http/server.js";
import { apiRoutes, openApiDocument } from "./openapi.js";
import { chatCompletionRequestSchema, completionRequestSchema, detokenizeRequestSchema, tokenizeChatRequestSchema, tokenizeCompletionRequestSchema } from "./request-schemas.js";

type Json = Record<string, any>;
const document = openApiDocument({ version: "1.2.3", rootPath: "" }) as Json;

/** A validator of the request body of `method path`, resolving the document's own $refs. */
function bodyValidator(method: string, path: string) {
  const schema = document.paths[path][method].requestBody.content["application/json"].schema as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile({ ...schema, components: document.components });
}

test("every route the server has is in the document, with its method, and nothing else", () => {
  const served = routeList.map((line) => line.split(/\s+/)).map(([method, path]) => `${method.toLowerCase()} ${path}`);
  const documented = Object.entries(document.paths as Record<string, Json>).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
  assert.deepEqual([...documented].sort(), [...served].sort());
});

test("the document is OpenAPI 3.1 with bearer auth on /v1/* and the error shape on every operation", () => {
  assert.equal(document.openapi, "3.1.0");
  assert.equal(document.info.version, "1.2.3");
  assert.deepEqual(document.components.securitySchemes.bearerAuth, { ...document.components.securitySchemes.bearerAuth, type: "http", scheme: "bearer" });
  for (const [path, operations] of Object.entries(document.paths as Record<string, Json>)) {
    for (const operation of Object.values(operations as Record<string, Json>)) {
      assert.deepEqual(operation.security, path.startsWith("/v1/") ? [{ bearerAuth: [] }] : [], path);
      assert.equal(operation.responses.default.content["application/json"].schema.$ref, "#/components/schemas/ErrorResponse", path);
      if (path.startsWith("/v1/")) assert.ok(operation.responses["401"], path);
    }
  }
  const ids = Object.values(document.paths as Record<string, Json>).flatMap((operations) => Object.values(operations).map((operation: Json) => operation.operationId));
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
});

test("every $ref resolves to a schema in the document", () => {
  const refs: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (key === "$ref") refs.push(child as string);
        else walk(child);
      }
    }
  };
  walk(document);
  assert.ok(refs.length >= apiRoutes.length);
  for (const ref of refs) {
    assert.match(ref, /^#\//);
    const target = ref.slice(2).split("/").reduce<any>((node, key) => node?.[key], document);
    assert.equal(typeof target, "object", `${ref} does not resolve`);
  }
});

test("request fields carry their constraints and descriptions", () => {
  const chat = document.components.schemas.ChatCompletionRequest as Json;
  assert.deepEqual(chat.required, ["messages"]);
  assert.equal(chat.properties.messages.minItems, 1);
  assert.deepEqual(chat.properties.top_p.anyOf[0], { type: "number", exclusiveMinimum: 0, maximum: 1 });
  assert.match(chat.properties.temperature.description, /temperature/i);
  assert.equal(chat.$schema, undefined, "no dialect inside OpenAPI components");
});

test("--root-path becomes the server URL", () => {
  assert.deepEqual(document.servers, [{ url: "/" }]);
  assert.deepEqual((openApiDocument({ version: "1", rootPath: "/llm" }) as Json).servers, [{ url: "/llm" }]);
});

const cases: Array<{ path: string; schemas: z.ZodType[]; body: unknown }> = [
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [{ role: "user", content: "hi" }] } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { model: null, messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], stop: ["a", "b"], logit_bias: { "5": -100 }, stream: true, stream_options: { include_usage: true }, extra_vllm_field: 1 } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [] } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [{ role: "user", content: "hi" }], top_p: 0 } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [{ role: "user", content: "hi" }], temperature: -1 } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [{ role: "user", content: "hi" }], stop: Array(17).fill("x") } },
  { path: "/v1/chat/completions", schemas: [chatCompletionRequestSchema], body: { messages: [{ role: "user", content: "hi" }], n: 1.5 } },
  { path: "/v1/completions", schemas: [completionRequestSchema], body: { prompt: [[1, 2], [3]], max_tokens: 4, echo: true } },
  { path: "/v1/completions", schemas: [completionRequestSchema], body: { prompt: [] } },
  { path: "/v1/completions", schemas: [completionRequestSchema], body: { prompt: [-1] } },
  { path: "/v1/completions", schemas: [completionRequestSchema], body: { max_tokens: 4 } },
  { path: "/tokenize", schemas: [tokenizeCompletionRequestSchema, tokenizeChatRequestSchema], body: { prompt: "hi", return_token_strs: true } },
  { path: "/tokenize", schemas: [tokenizeCompletionRequestSchema, tokenizeChatRequestSchema], body: { messages: [{ role: "system", content: "x" }], add_generation_prompt: false } },
  { path: "/tokenize", schemas: [tokenizeCompletionRequestSchema, tokenizeChatRequestSchema], body: { prompt: 5 } },
  { path: "/detokenize", schemas: [detokenizeRequestSchema], body: { tokens: [1, 2, 3] } },
  { path: "/detokenize", schemas: [detokenizeRequestSchema], body: { tokens: ["a"] } },
];

test("the JSON Schema accepts exactly what the zod schema accepts, for valid and invalid requests", () => {
  let numValid = 0;
  for (const { path, schemas, body } of cases) {
    const isValidForZod = schemas.some((schema) => schema.safeParse(body).success);
    const validate = bodyValidator("post", path);
    assert.equal(validate(body), isValidForZod, `${path} ${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`);
    if (isValidForZod) numValid++;
  }
  assert.ok(numValid >= 5 && numValid < cases.length, "both valid and invalid requests were tried");
});

test("every route's example request is valid for both the zod schema and the JSON Schema", () => {
  for (const route of apiRoutes.filter((r) => r.request)) {
    const example = route.request!.example;
    assert.ok(Object.values(route.request!.schemas).some((schema) => schema.safeParse(example).success), route.path);
    const validate = bodyValidator(route.method, route.path);
    assert.ok(validate(example), `${route.path}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(document.paths[route.path][route.method].requestBody.content["application/json"].example, example);
    assert.doesNotMatch(JSON.stringify(example), /'/, "the /docs curl quotes examples in single quotes");
  }
});
