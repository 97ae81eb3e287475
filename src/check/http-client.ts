/**
 * The probes' HTTP client, over `fetch` (the shipped CLI has no SDK): JSON in,
 * JSON out, every exchange kept as evidence; streams read to the end with the
 * SSE parser `pagoda bench` uses. Never throws on an HTTP status; a network
 * error or the probe's timeout (its AbortSignal) does throw.
 */
import { SseParser } from "../bench/client.js";

export interface Exchange {
  /** What was sent, for the report: `POST /chat/completions` and the body. */
  sent: { request: string; body?: unknown };
  status: number;
  /** The parsed JSON body, or null when it is not JSON. */
  body: unknown;
  text: string;
}

export interface StreamExchange extends Exchange {
  /** Every `data:` payload except `[DONE]`, parsed (unparsable ones kept as strings). */
  events: unknown[];
  /** Whether the stream ended with `data: [DONE]` (nothing after it). */
  endsWithDone: boolean;
}

export interface RawRequest {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Send no Authorization header even when the client has a key. */
  isAnonymous?: boolean;
}

export class CheckClient {
  constructor(
    /** The OpenAI base URL, e.g. http://127.0.0.1:8000/v1. */
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly signal?: AbortSignal,
  ) {}

  /** The same client bound to a probe's abort signal. */
  withSignal(signal: AbortSignal): CheckClient {
    return new CheckClient(this.baseUrl, this.apiKey, signal);
  }

  /** The server root: the base URL without a trailing /v1 (where vLLM and llama-server keep /tokenize). */
  get rootUrl(): string {
    return this.baseUrl.replace(/\/v1\/?$/, "");
  }

  get(path: string): Promise<Exchange> {
    return this.raw(path, { method: "GET" });
  }

  post(path: string, body: unknown): Promise<Exchange> {
    return this.raw(path, { body: JSON.stringify(body) }, body);
  }

  /** Any request; `path` is under the base URL unless it is absolute. */
  async raw(path: string, request: RawRequest, loggedBody?: unknown): Promise<Exchange> {
    const method = request.method ?? "POST";
    const response = await fetch(this.url(path), { method, headers: this.headers(request), body: request.body, signal: this.signal });
    const text = await response.text();
    return { sent: sentOf(method, path, loggedBody ?? request.body), status: response.status, body: parseJson(text), text };
  }

  /** POSTs `body` (which should ask for `stream: true`) and reads the whole event stream. */
  async stream(path: string, body: unknown): Promise<StreamExchange> {
    const response = await fetch(this.url(path), { method: "POST", headers: this.headers({}), body: JSON.stringify(body), signal: this.signal });
    const sent = sentOf("POST", path, body);
    if (!response.ok || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      const text = await response.text();
      return { sent, status: response.status, body: parseJson(text), text, events: [], endsWithDone: false };
    }
    const text = await response.text();
    const parser = new SseParser();
    const payloads = parser.push(text).concat(parser.end());
    const doneAt = payloads.findIndex((data) => data.trim() === "[DONE]");
    const events = payloads.filter((data) => data.trim() !== "[DONE]").map((data) => parseJson(data) ?? data);
    return { sent, status: response.status, body: { events }, text, events, endsWithDone: doneAt === payloads.length - 1 };
  }

  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
  }

  private headers(request: RawRequest): Record<string, string> {
    const auth: Record<string, string> = this.apiKey && !request.isAnonymous ? { authorization: `Bearer ${this.apiKey}` } : {};
    return { "content-type": "application/json", ...auth, ...request.headers };
  }
}

function sentOf(method: string, path: string, body: unknown): Exchange["sent"] {
  return { request: `${method} ${path}`, ...(body !== undefined ? { body } : {}) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
