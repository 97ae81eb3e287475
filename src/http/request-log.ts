/**
 * `--enable-log-requests`: one line per finished HTTP request, with the
 * engine's numbers for the generation it ran (tokens, TTFT, finish reason).
 *
 * The engine's numbers arrive through the same `onRequestFinished` hook that
 * feeds /metrics (`observeEngineRequest`). They are tied to the HTTP request
 * that started them by `track(engine)`: the route handler runs inside the
 * request's AsyncLocalStorage context, so the engine requests it starts
 * (one, or one per prompt of a batched completion) are known without the
 * protocol layer knowing about logs.
 *
 * A line is written once the response has ended AND every engine request it
 * started has reported; a client that disconnects ends the response first and
 * its aborted generation reports a moment later.
 *
 * Prompts are logged only with `maxLogLen > 0`, as the model sees them (after
 * the chat template), cut to that many characters, and never for an error
 * answer. Error lines carry the error type and code, not its message (a JSON
 * parse error quotes the body). Successful GET /health and /metrics (probes,
 * scrapes) are not logged.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestTimings } from "../engine/types.js";
import type { GenerationEngine } from "../protocol/serving.js";

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

export class LoggedRequest {
  model: string | null = null;
  readonly engineRequestIds: string[] = [];
  /** The prompt of each generation, rendered only when a line logs it. */
  readonly prompts: Array<() => string> = [];
  readonly timings = new Map<string, RequestTimings>();
  error: { type: string; code: string | null } | null = null;
  /** undefined until the response has ended. */
  status: number | null | undefined = undefined;
  endedAt = 0;
  isWritten = false;

  constructor(
    readonly requestId: string,
    readonly method: string,
    readonly route: string,
    readonly startedAt: number,
  ) {}

  get isComplete(): boolean {
    return this.status !== undefined && this.engineRequestIds.every((id) => this.timings.has(id));
  }
}

export class RequestLog {
  private readonly current = new AsyncLocalStorage<LoggedRequest>();
  private readonly byEngineRequestId = new Map<string, LoggedRequest>();
  private readonly now: () => number;

  constructor(private readonly config: RequestLogConfig) {
    this.now = config.now ?? (() => performance.now());
  }

  begin(requestId: string, method: string, route: string): LoggedRequest {
    return new LoggedRequest(requestId, method, route, this.now());
  }

  /** Runs a route handler so that what it starts is attributed to `request`. */
  run<T>(request: LoggedRequest, handler: () => T): T {
    return this.current.run(request, handler);
  }

  /** The parsed JSON body of the current request: its model. */
  noteBody(body: Record<string, unknown>): void {
    const request = this.current.getStore();
    if (request) request.model = typeof body.model === "string" ? body.model : this.config.defaultModel;
  }

  noteError(request: LoggedRequest, type: string, code: string | null): void {
    request.error = { type, code };
  }

  /** The response has ended (sent, or the connection closed). */
  finish(request: LoggedRequest, status: number | null): void {
    request.status = status;
    request.endedAt = this.now();
    this.writeIfComplete(request);
  }

  /** The engine's `onRequestFinished`, beside /metrics. */
  observeEngineRequest(timings: RequestTimings): void {
    const request = this.byEngineRequestId.get(timings.requestId);
    if (!request) return;
    this.byEngineRequestId.delete(timings.requestId);
    request.timings.set(timings.requestId, timings);
    this.writeIfComplete(request);
  }

  /**
   * The engine as the protocol layer sees it, noting which HTTP request starts
   * each generation; `renderPrompt` turns that model's token ids into text (special tokens rendered).
   */
  track(engine: GenerationEngine, renderPrompt: (tokens: readonly number[]) => string): GenerationEngine {
    return {
      generate: (generateRequest) => {
        const outputs = engine.generate(generateRequest);
        const request = this.current.getStore();
        if (request) {
          request.engineRequestIds.push(generateRequest.requestId);
          request.prompts.push(() => renderPrompt(generateRequest.promptTokens));
          this.byEngineRequestId.set(generateRequest.requestId, request);
        }
        return outputs;
      },
      abort: (requestId) => engine.abort(requestId),
      hasRequest: (requestId) => engine.hasRequest(requestId),
    };
  }

  private writeIfComplete(request: LoggedRequest): void {
    if (request.isWritten || !request.isComplete) return;
    request.isWritten = true;
    const { status } = request;
    if (status !== null && status !== undefined && status < 400 && request.method === "GET" && quietRoutes.has(request.route)) return;
    this.config.write(this.lineOf(request));
  }

  private lineOf(request: LoggedRequest): RequestLogLine {
    const timings = request.engineRequestIds.map((id) => request.timings.get(id)!);
    const sum = (pick: (t: RequestTimings) => number) => (timings.length > 0 ? timings.reduce((total, t) => total + pick(t), 0) : null);
    const ttfts = timings.map((t) => t.timeToFirstTokenMs).filter((ms) => ms !== null);
    const status = request.status ?? null;
    const line: RequestLogLine = {
      requestId: request.requestId,
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
    if (this.config.maxLogLen > 0 && !isError && request.prompts.length > 0) {
      const prompts = request.prompts.map((render) => truncate(render(), this.config.maxLogLen));
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
