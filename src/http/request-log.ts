/**
 * `--enable-log-requests`: one line per finished HTTP request, with the
 * engine's numbers for the generations it ran (tokens, TTFT, finish reason).
 *
 * The line is written when the request's handle is done (request-handle.ts):
 * the response has ended AND every generation it started (one, or one per
 * prompt of a batched completion) has left the engine and reported its
 * numbers to the handle; a client that disconnects ends the response first
 * and its aborted generation reports a moment later.
 *
 * Prompts are logged only with `maxLogLen > 0`, as the model sees them (after
 * the chat template), cut to that many characters, and never for an error
 * answer. Error lines carry the error type and code, not its message (a JSON
 * parse error quotes the body). Successful GET /health and /metrics (probes,
 * scrapes) are not logged.
 */
import type { RequestTimings } from "../engine/types.js";
import type { RequestHandle } from "../request-handle.js";

export interface RequestLogLine {
  requestId: string;
  method: string;
  route: string;
  /** null: the client went away before a status was sent. */
  status: number | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens: number | null;
  ttftMs: number | null;
  durationMs: number;
  finishReason: string | null;
  errorType?: string;
  errorCode?: string | null;
  /** One per engine request when a completion had several prompts. */
  prompt?: string | string[];
}

export interface RequestLogConfig {
  write: (line: RequestLogLine) => void;
  /** Characters of the prompt to log; 0 never logs prompts. */
  maxLogLen: number;
  /** The model a request without `model` runs on. */
  defaultModel: string;
  now?: () => number;
}

const quietRoutes = new Set(["/health", "/metrics"]);
const round = (ms: number) => Math.round(ms * 10) / 10;

interface LoggedRequest {
  handle: RequestHandle;
  method: string;
  route: string;
  startedAt: number;
  model: string | null;
  error: { type: string; code: string | null } | null;
  /** null: the client went away before a status was sent. */
  status: number | null;
  endedAt: number;
}

export class RequestLog {
  private readonly requests = new WeakMap<RequestHandle, LoggedRequest>();
  private readonly now: () => number;

  constructor(private readonly config: RequestLogConfig) {
    this.now = config.now ?? (() => performance.now());
  }

  /** Logs the request once its handle is done. */
  begin(handle: RequestHandle, method: string, route: string): void {
    const request: LoggedRequest = { handle, method, route, startedAt: this.now(), model: null, error: null, status: null, endedAt: 0 };
    this.requests.set(handle, request);
    handle.onDone(() => this.write(request));
  }

  /** The parsed JSON body: its model. */
  noteBody(handle: RequestHandle, body: Record<string, unknown>): void {
    const request = this.requests.get(handle);
    if (request) request.model = typeof body.model === "string" ? body.model : this.config.defaultModel;
  }

  noteError(handle: RequestHandle, type: string, code: string | null): void {
    const request = this.requests.get(handle);
    if (request) request.error = { type, code };
  }

  /** The response has ended (sent, or the connection closed); call before the handle's `end()`. */
  noteEnd(handle: RequestHandle, status: number | null): void {
    const request = this.requests.get(handle);
    if (!request) return;
    request.status = status;
    request.endedAt = this.now();
  }

  private write(request: LoggedRequest): void {
    const { status } = request;
    if (status !== null && status < 400 && request.method === "GET" && quietRoutes.has(request.route)) return;
    this.config.write(this.lineOf(request));
  }

  private lineOf(request: LoggedRequest): RequestLogLine {
    const generations = request.handle.generations.filter((generation) => generation !== null);
    const timings = generations.map((generation) => generation.timings);
    const sum = (pick: (t: RequestTimings) => number) => (timings.length > 0 ? timings.reduce((total, t) => total + pick(t), 0) : null);
    const ttfts = timings.map((t) => t.timeToFirstTokenMs).filter((ms) => ms !== null);
    const { status } = request;
    const line: RequestLogLine = {
      requestId: request.handle.id,
      method: request.method,
      route: request.route,
      status,
      model: request.model,
      promptTokens: sum((t) => t.numPromptTokens),
      completionTokens: sum((t) => t.numGenerationTokens),
      cachedTokens: sum((t) => t.numCachedPromptTokens),
      ttftMs: ttfts.length > 0 ? round(Math.min(...ttfts)) : null,
      durationMs: round(request.endedAt - request.startedAt),
      finishReason: timings[0]?.finishReason ?? null,
    };
    if (request.error) {
      line.errorType = request.error.type;
      line.errorCode = request.error.code;
    }
    const isError = request.error !== null || (status !== null && status >= 400);
    if (this.config.maxLogLen > 0 && !isError && generations.length > 0) {
      const prompts = generations.map((generation) => truncate(generation.renderPrompt(), this.config.maxLogLen));
      line.prompt = prompts.length === 1 ? prompts[0] : prompts;
    }
    return line;
  }
}

/** The first `maxLength` characters (code points: an emoji is not cut in half). */
export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return Array.from(text).slice(0, maxLength).join("");
}
