/**
 * The OpenAPI 3.1 document of GET /openapi.json, generated from the same zod
 * schemas that validate requests, so the document cannot drift from what the
 * server accepts. A route is one entry of `apiRoutes`; a new route is one line.
 *
 * Request bodies are JSON Schema 2020-12 (OpenAPI 3.1's dialect) from
 * `z.toJSONSchema` with `io: "input"`: what a client may send, before any
 * transform. Field descriptions come from ./field-descriptions.ts.
 */
import { embeddingRequestSchema } from "./embedding-schemas.js";
import { z } from "zod";
import { describeFields } from "./field-descriptions.js";
import { responseCreateSchema } from "./responses-request.js";
import {
  chatCompletionRequestSchema,
  completionRequestSchema,
  detokenizeRequestSchema,
  tokenizeChatRequestSchema,
  tokenizeCompletionRequestSchema,
} from "./request-schemas.js";

type JsonSchema = Record<string, unknown>;

export interface ApiRoute {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  /** Open routes take no API key (as in vLLM: everything outside /v1). */
  isOpen: boolean;
  /** Named request schemas; several mean "one of these". */
  request?: { schemas: Record<string, z.ZodType>; example: Record<string, unknown> };
  response: { description: string; contentTypes: Record<string, JsonSchema | null> };
  /** Path and query parameters (OpenAPI parameter objects). */
  parameters?: JsonSchema[];
}

const sseNote = "With `stream: true`, a `text/event-stream` of `data: {chunk}` frames ending with `data: [DONE]`.";
const tokenIds: JsonSchema = { type: "array", items: { type: "integer", minimum: 0 } };
const responseIdParameter: JsonSchema = { name: "response_id", in: "path", required: true, schema: { type: "string" }, description: "The response's `resp_` id." };
const queryParameter = (name: string, schema: JsonSchema): JsonSchema => ({ name, in: "query", required: false, schema });

export const apiRoutes: ApiRoute[] = [
  {
    method: "post",
    path: "/v1/chat/completions",
    summary: "Chat completion (OpenAI), with vLLM's extra sampling fields",
    isOpen: false,
    request: {
      schemas: { ChatCompletionRequest: chatCompletionRequestSchema },
      example: { messages: [{ role: "user", content: "Say hello." }], max_tokens: 32, temperature: 0.7 },
    },
    response: { description: `A ChatCompletion object. ${sseNote}`, contentTypes: { "application/json": null, "text/event-stream": null } },
  },
  {
    method: "post",
    path: "/v1/completions",
    summary: "Text completion (OpenAI legacy completions), with vLLM's extra sampling fields",
    isOpen: false,
    request: {
      schemas: { CompletionRequest: completionRequestSchema },
      example: { prompt: "Once upon a time", max_tokens: 32 },
    },
    response: { description: `A Completion object. ${sseNote}`, contentTypes: { "application/json": null, "text/event-stream": null } },
  },
  {
    method: "post",
    path: "/v1/responses",
    summary: "Create a response (OpenAI's Responses API), run on the chat path: same template, tool and reasoning parsers, grammars",
    isOpen: false,
    request: {
      schemas: { ResponseCreateRequest: responseCreateSchema },
      example: { input: "Say hello.", instructions: "Be brief.", max_output_tokens: 32 },
    },
    response: {
      description: "A Response object (`resp_` id, `output` items, `usage`), stored unless `store: false`. With `stream: true`, a `text/event-stream` of `event: <type>` / `data: {event}` frames, each with an increasing `sequence_number`, from `response.created` to `response.completed`, `response.incomplete` or `response.failed`.",
      contentTypes: { "application/json": null, "text/event-stream": null },
    },
  },
  {
    method: "get",
    path: "/v1/responses/{response_id}",
    summary: "A stored response (also one in progress); `?stream=true` replays it as events (`starting_after` skips some)",
    isOpen: false,
    parameters: [responseIdParameter, queryParameter("stream", { type: "boolean" }), queryParameter("starting_after", { type: "integer" })],
    response: { description: "The Response object, or its events as `text/event-stream`. 404 when unknown, deleted or evicted.", contentTypes: { "application/json": null, "text/event-stream": null } },
  },
  {
    method: "delete",
    path: "/v1/responses/{response_id}",
    summary: "Delete a stored response",
    isOpen: false,
    parameters: [responseIdParameter],
    response: { description: "`{id, object: \"response\", deleted: true}`.", contentTypes: { "application/json": null } },
  },
  {
    method: "get",
    path: "/v1/responses/{response_id}/input_items",
    summary: "The input items of a stored response, as a cursor list",
    isOpen: false,
    parameters: [
      responseIdParameter,
      queryParameter("limit", { type: "integer", minimum: 1, maximum: 100 }),
      queryParameter("order", { enum: ["asc", "desc"] }),
      queryParameter("after", { type: "string" }),
      queryParameter("before", { type: "string" }),
    ],
    response: { description: "`{object: \"list\", data, first_id, last_id, has_more}`.", contentTypes: { "application/json": null } },
  },
  {
    method: "post",
    path: "/v1/responses/{response_id}/cancel",
    summary: "Cancel a response in progress: its generation stops and it ends with status `cancelled`",
    isOpen: false,
    parameters: [responseIdParameter],
    response: { description: "The cancelled Response. 400 when it has already finished.", contentTypes: { "application/json": null } },
  },
  {
    method: "post",
    path: "/v1/embeddings",
    summary: "Embeddings (OpenAI), from an embedding model or a generation model started with --pooling",
    isOpen: false,
    request: { schemas: { EmbeddingRequest: embeddingRequestSchema }, example: { input: "hello" } },
    response: { description: "OpenAI's embedding list: `data[].embedding` (floats, or base64 little-endian float32), `usage`.", contentTypes: { "application/json": null } },
  },
  {
    method: "get",
    path: "/v1/models",
    summary: "The served model names",
    isOpen: false,
    response: {
      description: "OpenAI's model list; each entry also has `max_model_len` (vLLM).",
      contentTypes: {
        "application/json": {
          type: "object",
          properties: {
            object: { const: "list" },
            data: {
              type: "array",
              items: {
                type: "object",
                properties: { id: { type: "string" }, object: { const: "model" }, created: { type: "integer" }, owned_by: { type: "string" }, max_model_len: { type: "integer" } },
              },
            },
          },
        },
      },
    },
  },
  {
    method: "post",
    path: "/tokenize",
    summary: "The prompt a generation request would run, as token ids (vLLM)",
    isOpen: true,
    request: {
      schemas: { TokenizeCompletionRequest: tokenizeCompletionRequestSchema, TokenizeChatRequest: tokenizeChatRequestSchema },
      example: { prompt: "Hello, world", add_special_tokens: true, return_token_strs: true },
    },
    response: {
      description: "`count` is what `usage.prompt_tokens` will say for the same prompt.",
      contentTypes: {
        "application/json": {
          type: "object",
          properties: { count: { type: "integer" }, max_model_len: { type: "integer" }, tokens: tokenIds, token_strs: { type: "array", items: { type: "string" } } },
          required: ["count", "max_model_len", "tokens"],
        },
      },
    },
  },
  {
    method: "post",
    path: "/detokenize",
    summary: "Token ids back to text (vLLM)",
    isOpen: true,
    request: { schemas: { DetokenizeRequest: detokenizeRequestSchema }, example: { tokens: [72, 105] } },
    response: { description: "The text of the tokens, special tokens rendered.", contentTypes: { "application/json": { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] } } },
  },
  {
    method: "get",
    path: "/health",
    summary: "Liveness: 200 with an empty body once the model is loaded",
    isOpen: true,
    response: { description: "Empty body.", contentTypes: {} },
  },
  {
    method: "get",
    path: "/version",
    summary: "pagoda's version",
    isOpen: true,
    response: { description: "The version.", contentTypes: { "application/json": { type: "object", properties: { version: { type: "string" } }, required: ["version"] } } },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics, with vLLM's names and labels",
    isOpen: true,
    response: { description: "Prometheus text exposition format 0.0.4.", contentTypes: { "text/plain": { type: "string" } } },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    isOpen: true,
    response: { description: "OpenAPI 3.1.", contentTypes: { "application/json": { type: "object" } } },
  },
  {
    method: "get",
    path: "/docs",
    summary: "This document as a readable HTML page",
    isOpen: true,
    response: { description: "A self-contained HTML page.", contentTypes: { "text/html": { type: "string" } } },
  },
];

/** OpenAI's error body, the shape of every 4xx/5xx answer. */
const errorResponseSchema: JsonSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        message: { type: "string", description: "What went wrong, for a human." },
        type: { type: "string", description: "invalid_request_error, authentication_error, not_found_error, server_error, ..." },
        param: { type: ["string", "null"], description: "The dotted path of the request field at fault, when one is." },
        code: { type: ["string", "null"], description: "A machine-readable code, e.g. context_length_exceeded, unsupported_parameter." },
      },
      required: ["message", "type", "param", "code"],
    },
  },
  required: ["error"],
};

export interface OpenApiOptions {
  version: string;
  /** --root-path: the prefix clients behind a proxy use; "" for none. */
  rootPath: string;
  routes?: readonly ApiRoute[];
}

/** The request body's JSON Schema, as a validator sees it (no `$schema`, descriptions added). */
export function requestJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return describeFields(jsonSchema);
}

export function openApiDocument(options: OpenApiOptions): JsonSchema {
  const schemas: Record<string, JsonSchema> = { ErrorResponse: errorResponseSchema };
  const paths: Record<string, Record<string, unknown>> = {};
  const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/ErrorResponse" } } };
  for (const route of options.routes ?? apiRoutes) {
    const responses: Record<string, unknown> = {
      "200": {
        description: route.response.description,
        ...(Object.keys(route.response.contentTypes).length > 0
          ? { content: Object.fromEntries(Object.entries(route.response.contentTypes).map(([type, schema]) => [type, schema ? { schema } : {}])) }
          : {}),
      },
    };
    let requestBody: unknown;
    if (route.request) {
      const refs = Object.entries(route.request.schemas).map(([name, schema]) => {
        schemas[name] = requestJsonSchema(schema);
        return { $ref: `#/components/schemas/${name}` };
      });
      requestBody = {
        required: true,
        content: { "application/json": { schema: refs.length === 1 ? refs[0] : { oneOf: refs }, example: route.request.example } },
      };
      responses["400"] = { description: "Invalid request: bad JSON, a field out of range, an unsupported field, or a prompt too long.", content: errorContent };
    }
    if (!route.isOpen) responses["401"] = { description: "Missing or wrong API key.", content: errorContent };
    responses.default = { description: "Any other error, in OpenAI's error shape.", content: errorContent };
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: {
        operationId: operationId(route),
        summary: route.summary,
        security: route.isOpen ? [] : [{ bearerAuth: [] }],
        ...(route.parameters ? { parameters: route.parameters } : {}),
        ...(requestBody ? { requestBody } : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "pagoda",
      version: options.version,
      description: "An OpenAI-compatible LLM inference server on llama.cpp. Request fields follow OpenAI's API plus vLLM's extensions.",
    },
    servers: [{ url: options.rootPath === "" ? "/" : options.rootPath }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "Needed on /v1/* when the server runs with --api-key (or PAGODA_API_KEY)." },
      },
    },
  };
}

function operationId(route: ApiRoute): string {
  const words = route.path.split(/[^a-zA-Z0-9]+/).filter((word) => word !== "" && word !== "v1");
  return [route.method, ...words].map((word, i) => (i === 0 ? word : word[0].toUpperCase() + word.slice(1))).join("");
}
