/**
 * The one error hierarchy. Everything a request can fail with is thrown as a
 * ApiError subclass; `toErrorResponse` (http/) is the only place that turns
 * errors into OpenAI error JSON. An unknown Error is our bug: 500. Below
 * protocol/, code throws domain errors (./domain-errors.ts) instead, which
 * `asApiError` maps.
 */
import {
  DomainError,
  DuplicateRequestId,
  EngineDead,
  EngineFault,
  GrammarDeadEnd,
  InvalidGrammar,
  NoRoomForModel,
  QueueFull,
  ShuttingDown,
} from "./domain-errors.js";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "server_error";

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly type: ErrorType;
  readonly param: string | null;
  readonly code: string | null;
  /** HTTP headers the response must carry (Retry-After, Allow). */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(message: string, options: { param?: string | null; code?: string | null } = {}) {
    super(message);
    this.name = new.target.name;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Invalid JSON, schema violation or a bad value; `param` is the dotted field path. */
export class InvalidRequestError extends ApiError {
  readonly status = 400;
  readonly type = "invalid_request_error" as const;
}

export class ContextLengthExceededError extends ApiError {
  readonly status = 400;
  readonly type = "invalid_request_error" as const;
  constructor(message: string, param: string | null = "messages") {
    super(message, { param, code: "context_length_exceeded" });
  }
}

/** A parameter or feature pagoda does not support. 400, never 501: SDKs retry 5xx. */
export class UnsupportedParameterError extends ApiError {
  readonly status = 400;
  readonly type = "invalid_request_error" as const;
  constructor(message: string, param: string | null = null) {
    super(message, { param, code: "unsupported_parameter" });
  }
}

export class AuthenticationError extends ApiError {
  readonly status = 401;
  readonly type = "authentication_error" as const;
  constructor(message = "Incorrect API key provided. Pass it as 'Authorization: Bearer <key>'.") {
    super(message, { code: "invalid_api_key" });
  }
}

export class ModelNotFoundError extends ApiError {
  readonly status = 404;
  readonly type = "not_found_error" as const;
  constructor(model: string, served: readonly string[]) {
    super(`The model \`${model}\` does not exist. This server serves: ${served.map((name) => `\`${name}\``).join(", ")}.`, {
      param: "model",
      code: "model_not_found",
    });
  }
}

/** An adapter named in /v1/unload_lora_adapter, or a path in /v1/load_lora_adapter, that is not there (vLLM's 404). */
export class LoraAdapterNotFoundError extends ApiError {
  readonly status = 404;
  readonly type = "not_found_error" as const;
  constructor(message: string, param: "lora_name" | "lora_path") {
    super(message, { param, code: "lora_adapter_not_found" });
  }
}

/** Routes that exist only behind a flag, with the flag that turns them on. */
const unservedRouteHints: ReadonlyArray<[RegExp, string]> = [
  [/\/v1\/(un)?load_lora_adapter$/, "Loading LoRA adapters at run time is off: start pagoda with --enable-runtime-lora-updating (or PAGODA_ENABLE_RUNTIME_LORA_UPDATING=1)."],
];

export class RouteNotFoundError extends ApiError {
  readonly status = 404;
  readonly type = "not_found_error" as const;
  constructor(method: string, path: string) {
    const hint = unservedRouteHints.find(([pattern]) => pattern.test(path))?.[1];
    super(`Unknown route: ${method} ${path}${hint ? `. ${hint}` : ""}`, { code: "unknown_url" });
  }
}

/** A stored response (or an item of one) that is not there: never stored, deleted, or evicted; the message says which. */
export class ResponseNotFoundError extends ApiError {
  readonly status = 404;
  readonly type = "not_found_error" as const;
  constructor(message: string, param: string | null = null) {
    super(message, { param, code: "response_not_found" });
  }
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly type = "invalid_request_error" as const;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(method: string, path: string, allowed: string) {
    super(`Method ${method} is not allowed on ${path}; use ${allowed}.`, { code: "method_not_allowed" });
    this.headers = { Allow: allowed };
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly type = "invalid_request_error" as const;
  constructor(limitBytes: number) {
    super(`Request body is larger than ${limitBytes} bytes.`, { code: "payload_too_large" });
  }
}

/** Queue full or shutting down: clients should retry after `retryAfterSeconds`. */
export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly type = "server_error" as const;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(message: string, retryAfterSeconds = 1) {
    super(message, { code: "service_unavailable" });
    this.headers = { "Retry-After": String(retryAfterSeconds) };
  }
}

/**
 * The engine hit a fault it could not recover from and serves nothing more.
 * The process stays up so that /health (503) tells an orchestrator to replace
 * it, instead of dying with requests half answered.
 */
export class EngineDeadError extends ApiError {
  readonly status = 503;
  readonly type = "server_error" as const;
  override readonly headers: Readonly<Record<string, string>> = { "Retry-After": "5" };
  constructor(message = "The inference engine failed and is no longer serving; retry on another instance.") {
    super(message, { code: "engine_dead" });
  }
}

/** A failure inside the server; the message shown to clients stays generic. */
export class InternalServerError extends ApiError {
  readonly status = 500;
  readonly type = "server_error" as const;
  constructor(message = "The server had an error while processing your request.") {
    super(message, { code: "internal_error" });
  }
}

/**
 * A 400 raised about a path inside a wire field (a JSON Schema compiled to a
 * grammar names `properties.x`), re-raised naming the whole path from the
 * request's top (`response_format.json_schema.schema.properties.x`). Any other
 * error is returned as it is.
 */
export function withParamPrefix(error: unknown, prefix: string): unknown {
  if (!(error instanceof InvalidRequestError) && !(error instanceof UnsupportedParameterError)) return error;
  const param = error.param ? `${prefix}.${error.param}` : prefix;
  return error instanceof UnsupportedParameterError ? new UnsupportedParameterError(error.message, param) : new InvalidRequestError(error.message, { param });
}

/** The API error answering each domain error (./domain-errors.ts): their one mapping to a status. */
const domainErrorAnswers: ReadonlyArray<[abstract new (...args: never[]) => DomainError, (error: DomainError) => ApiError]> = [
  [GrammarDeadEnd, (error) => new InvalidRequestError(error.message)],
  [InvalidGrammar, (error) => new InvalidRequestError(error.message, { param: "grammar" })],
  [ShuttingDown, (error) => new ServiceUnavailableError(error.message)],
  [QueueFull, (error) => new ServiceUnavailableError(error.message)],
  [NoRoomForModel, (error) => new ServiceUnavailableError(error.message)],
  [EngineDead, (error) => new EngineDeadError(error.message)],
  [EngineFault, () => new InternalServerError()],
  [DuplicateRequestId, (error) => new InternalServerError(error.message)],
];

/** Any thrown value as a ApiError: a domain error as its answer above, anything else (our bug) a generic 500. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const answer = error instanceof DomainError ? domainErrorAnswers.find(([kind]) => error instanceof kind) : undefined;
  return answer ? answer[1](error as DomainError) : new InternalServerError();
}

/** Whether `error` is a request's expected answer (an API or domain error), not a bug to log with its stack. */
export function isExpectedError(error: unknown): boolean {
  return error instanceof ApiError || error instanceof DomainError;
}

/**
 * A mistake on the command line (a flag, its value, a file it names): the CLI
 * prints the message and exits with status 2. Not an API error: it never
 * reaches a client. Here, not in cli/, because `pagoda bench` throws it too.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
