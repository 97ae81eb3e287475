/**
 * A deliberately wrong OpenAI-compatible server for `pagoda check`'s tests: an
 * in-process proxy in front of the real pagoda that breaks one thing, as
 * servers in the wild do (ignores a field, drops a chunk, misreports a
 * number, accepts what it should refuse). It also answers /responses itself
 * (a minimal Responses API over /chat/completions), so the Responses probes
 * have a correct server to pass against and wrong ones to fail against.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/* eslint-disable @typescript-eslint/no-explicit-any -- mutations rewrite arbitrary wire JSON */
export type Json = any;

export interface Mutation {
  /** Rewrites the request body before pagoda sees it (a server ignoring or coercing a field). */
  request?: (body: Json, path: string) => Json;
  /** Rewrites a JSON answer; may change the status. */
  response?: (answer: { status: number; body: Json }, path: string, request: Json) => { status: number; body: Json };
  /** Rewrites a stream's events: parsed chunks, and the string "[DONE]". */
  events?: (events: Json[], path: string, request: Json) => Json[];
  /** Rewrites the request headers (e.g. a server that needs no key). */
  headers?: (headers: Record<string, string>) => Record<string, string>;
}

export interface Proxy {
  baseURL: string;
  close(): Promise<void>;
}

export async function startProxy(upstream: string, mutation: Mutation = {}): Promise<Proxy> {
  const server = createServer((request, response) => {
    handle(upstream, mutation, request)
      .then(({ status, contentType, text }) => {
        response.writeHead(status, { "content-type": contentType });
        response.end(text);
      })
      .catch((error: unknown) => {
        response.writeHead(502, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { message: String(error), type: "proxy_error" } }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { baseURL: `http://127.0.0.1:${port}/v1`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function parse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function handle(upstream: string, mutation: Mutation, request: IncomingMessage): Promise<Answer> {
  const path = (request.url ?? "/").replace(/^\/v1/, "");
  const rawText = await readText(request);
  let body = parse(rawText);
  if (body !== undefined && mutation.request) body = mutation.request(structuredClone(body), path);
  const headers: Record<string, string> = {};
  for (const name of ["content-type", "authorization"]) if (typeof request.headers[name] === "string") headers[name] = request.headers[name];
  const sentHeaders = mutation.headers ? mutation.headers(headers) : headers;
  if (path === "/responses" && request.method === "POST") return fakeResponses(upstream, mutation, body, sentHeaders);
  const sentText = body !== undefined ? JSON.stringify(body) : rawText;
  const answer = await fetch(`${upstream}${request.url}`, { method: request.method, headers: sentHeaders, body: request.method === "GET" ? undefined : sentText });
  const contentType = answer.headers.get("content-type") ?? "application/json";
  const text = await answer.text();
  if (contentType.includes("text/event-stream")) {
    const events = text.split("\n\n").filter((frame) => frame.startsWith("data: ")).map((frame) => frame.slice(6)).map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
    const mutated = mutation.events ? mutation.events(events, path, body) : events;
    return { status: answer.status, contentType, text: mutated.map((event) => `data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`).join("") };
  }
  const json = parse(text);
  if (json === undefined || !mutation.response) return { status: answer.status, contentType, text };
  const mutated = mutation.response({ status: answer.status, body: json }, path, body);
  return { status: mutated.status, contentType, text: JSON.stringify(mutated.body) };
}

/** A minimal stateless Responses API: input text -> one chat completion -> a response object (or its event stream). */
async function fakeResponses(upstream: string, mutation: Mutation, body: Json, headers: Record<string, string>): Promise<Answer> {
  const chat = { model: body.model, messages: [{ role: "user", content: body.input }], max_tokens: body.max_output_tokens, temperature: body.temperature };
  const answer = await fetch(`${upstream}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify(chat) });
  const completion: Json = await answer.json();
  if (!answer.ok) return { status: answer.status, contentType: "application/json", text: JSON.stringify(completion) };
  const text: string = completion.choices[0].message.content;
  const isCut = completion.choices[0].finish_reason === "length";
  const usage = { input_tokens: completion.usage.prompt_tokens, output_tokens: completion.usage.completion_tokens, total_tokens: completion.usage.total_tokens };
  const message = { type: "message", id: "msg_1", role: "assistant", status: "completed", content: [{ type: "output_text", text, annotations: [] }] };
  const response = { id: "resp_1", object: "response", created_at: completion.created, model: body.model, status: isCut ? "incomplete" : "completed", incomplete_details: isCut ? { reason: "max_output_tokens" } : null, output: [message], usage };
  if (!body.stream) {
    const mutated = mutation.response ? mutation.response({ status: 200, body: response }, "/responses", body) : { status: 200, body: response };
    return { status: mutated.status, contentType: "application/json", text: JSON.stringify(mutated.body) };
  }
  const halves = [text.slice(0, Math.floor(text.length / 2)), text.slice(Math.floor(text.length / 2))];
  let events: Json[] = [
    { type: "response.created", response: { ...response, status: "in_progress", output: [] } },
    { type: "response.output_item.added", output_index: 0, item: { ...message, status: "in_progress", content: [] } },
    ...halves.map((delta) => ({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })),
    { type: "response.output_text.done", item_id: "msg_1", output_index: 0, content_index: 0, text },
    { type: "response.output_item.done", output_index: 0, item: message },
    { type: isCut ? "response.incomplete" : "response.completed", response },
  ].map((event, i) => ({ ...event, sequence_number: i }));
  if (mutation.events) events = mutation.events(events, "/responses", body);
  return { status: 200, contentType: "text/event-stream", text: events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("") };
}
