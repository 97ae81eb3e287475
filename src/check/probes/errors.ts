/**
 * Errors and auth: bad requests get the right 4xx with OpenAI's error shape
 * {"error": {"message", "type", ...}}, and the server answers a good request
 * right after each one.
 */
import { accepted, expect, field, ProbeSkipped, type Probe, type ProbeContext } from "../probe.js";
import type { Exchange, RawRequest } from "../http-client.js";
import { chatBody, openaiDocs } from "./shared.js";

function expectErrorShape(exchange: Exchange, statuses: number[]): void {
  expect(statuses.includes(exchange.status), `HTTP ${statuses.join(" or ")}`, exchange, `HTTP ${exchange.status}: ${exchange.text.slice(0, 300)}`);
  const error = field(exchange.body, "error");
  expect(typeof field(error, "message") === "string" && typeof field(error, "type") === "string", 'an OpenAI error body {"error": {"message": string, "type": string, ...}}', exchange, exchange.text.slice(0, 300));
}

async function expectStillServing(context: ProbeContext): Promise<void> {
  const exchange = await context.client.post("/chat/completions", chatBody(context, { max_tokens: 1 }));
  expect(exchange.status === 200, "the next good request answers 200", exchange, `HTTP ${exchange.status}`);
}

/** A probe sending one bad chat request (as a body, or raw) and expecting an error of one of `statuses`. */
function badRequest(id: string, description: string, statuses: number[], request: (context: ProbeContext) => Promise<Exchange>, doc = openaiDocs.errors): Probe {
  return {
    id,
    group: "errors",
    description,
    doc,
    async run(context) {
      expectErrorShape(await request(context), statuses);
      await expectStillServing(context);
    },
  };
}

const rawChat = (context: ProbeContext, request: RawRequest) => context.client.raw("/chat/completions", request, request.body);

export const errorProbes: Probe[] = [
  badRequest("errors.bad-type", 'temperature: "hot" is a 400 with the error shape; the server still serves', [400], (context) =>
    context.client.post("/chat/completions", chatBody(context, { temperature: "hot" })),
  ),
  badRequest("errors.out-of-range", "temperature: -1 is a 400 with the error shape; the server still serves", [400], (context) =>
    context.client.post("/chat/completions", chatBody(context, { temperature: -1 })),
  ),
  badRequest("errors.missing-field", "a chat request without messages is a 400; the server still serves", [400], (context) =>
    context.client.post("/chat/completions", { model: context.model, max_tokens: 1 }),
  ),
  badRequest("errors.unknown-model", "an unknown model is a 404 with the error shape; the server still serves", [404], (context) =>
    context.client.post("/chat/completions", chatBody(context, { model: "no-such-model-pagoda-check" })),
  ),
  badRequest("errors.context-overflow", "a prompt far beyond any context (~200k tokens) is a 400; the server still serves", [400, 413], (context) =>
    context.client.post("/chat/completions", chatBody(context, { messages: [{ role: "user", content: "hello ".repeat(200_000) }], max_tokens: 1 })),
  ),
  badRequest("errors.bad-json", "a body that is not JSON is a 400; the server still serves", [400], (context) => rawChat(context, { body: '{"model": "x", "messages": [' })),
  badRequest("errors.content-type", "a JSON body sent as text/plain is a 400 or 415; the server still serves", [400, 415], (context) =>
    rawChat(context, { body: JSON.stringify(chatBody(context, { max_tokens: 1 })), headers: { "content-type": "text/plain" } }),
  ),
  {
    id: "errors.top-logprobs",
    group: "errors",
    description: "top_logprobs above 20 (OpenAI's limit) is a 400; the server still serves",
    doc: openaiDocs.chat("top_logprobs"),
    async run(context) {
      expectErrorShape(await context.client.post("/chat/completions", chatBody(context, { logprobs: true, top_logprobs: 21, max_tokens: 1 })), [400]);
      await expectStillServing(context);
    },
  },
  {
    id: "errors.unknown-route",
    group: "errors",
    description: "an unknown route under the base URL is a 404",
    doc: openaiDocs.errors,
    async run(context) {
      const exchange = await context.client.post("/no-such-route", {});
      expect(exchange.status === 404, "HTTP 404", exchange, `HTTP ${exchange.status}`);
    },
  },
];

function authProbe(id: string, description: string, request: RawRequest): Probe {
  return {
    id,
    group: "auth",
    description,
    doc: openaiDocs.auth,
    async run(context) {
      if (!context.apiKey) throw new ProbeSkipped("pass --api-key to check a server that requires one");
      const exchange = await context.client.raw("/models", { method: "GET", ...request });
      expectErrorShape(exchange, [401]);
      accepted(await context.client.get("/models"));
    },
  };
}

export const authProbes: Probe[] = [
  authProbe("auth.no-key", "without Authorization: 401 with the error shape; the right key still works", { isAnonymous: true }),
  authProbe("auth.wrong-key", "with a wrong Bearer key: 401 with the error shape; the right key still works", { headers: { authorization: "Bearer wrong-key-pagoda-check" } }),
];
