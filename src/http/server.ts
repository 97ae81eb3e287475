/**
 * The HTTP front: routes, API key, CORS, body limit, JSON or SSE responses,
 * one RequestHandle per request (its id, a client disconnect cancelling its
 * work, its end once the response has closed), an optional path prefix, and
 * refusing new requests while draining.
 *
 * Per request, in order: X-Request-Id (the client's, else a new one) is set on
 * the response; a CORS preflight is answered (before the API key, as browsers
 * send none); CORS headers are set; while draining, a 503; `--root-path` is
 * stripped; then routing, the API key, the method, the handler.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { EngineDeadError, MethodNotAllowedError, RouteNotFoundError, ServiceUnavailableError } from "../errors.js";
import type { LoraAdapterServing } from "../protocol/lora-adapters.js";
import type { ModelRouter } from "../serving/model-router.js";
import { openApiDocument } from "../protocol/openapi.js";
import type { ServingResult } from "../protocol/serving.js";
import { RequestHandle } from "../request-handle.js";
import { ApiKeyCheck } from "./auth.js";
import { readJsonBody } from "./body.js";
import { CorsPolicy, type CorsConfig } from "./cors.js";
import { renderDocsPage } from "./docs-page.js";
import { toErrorResponse } from "./error-response.js";
import { InFlightRequests } from "./in-flight.js";
import type { RequestLog } from "./request-log.js";
import type { ResponsesServing } from "../protocol/responses-serving.js";
import { responsesRoute } from "./responses-routes.js";
import type { WebPage } from "./web-page.js";
import { writeEventStream } from "./sse.js";

export interface HttpConfig {
  apiKeys: readonly string[];
  maxBodyBytes: number;
  version: string;
  /** The Prometheus text GET /metrics answers with. */
  renderMetrics: () => Promise<string>;
  cors: CorsConfig;
  /** A path prefix also served (stripped before routing), e.g. "/llm"; "" for none. */
  rootPath: string;
  /** PEM key and certificate: serve HTTPS. */
  tls?: { key: Buffer; cert: Buffer };
  /** --enable-log-requests. */
  requestLog?: RequestLog;
  /** False once an engine has died of a fault it could not recover from: /health answers 503. */
  isHealthy?: () => boolean;
  /** The Responses API (/v1/responses...). */
  responses?: ResponsesServing;
  /** False while the models load: /health answers 503 then (the server listens before loading, for probes). */
  isReady?: () => boolean;
  /** --enable-runtime-lora-updating: vLLM's /v1/load_lora_adapter and /v1/unload_lora_adapter. */
  loraAdapters?: LoraAdapterServing;
  /** The web page and the engine snapshot routes (http/web-page.ts). */
  webPage?: WebPage;
}

export interface HttpServer {
  readonly server: Server | HttpsServer;
  /** Accepted requests whose responses have not finished. */
  readonly numInFlight: number;
  /** From now on every new request gets a 503 (with Retry-After and `Connection: close`). */
  startDraining(): void;
  /** Resolves when no accepted request is in flight. */
  whenIdle(): Promise<void>;
  /** Stops listening and closes every connection. */
  close(): void;
}

type RouteResult = ServingResult | { kind: "text"; body: string; contentType: string };
type Handler = (request: IncomingMessage, handle: RequestHandle) => Promise<RouteResult> | RouteResult;

interface Route {
  method: "GET" | "POST" | "DELETE";
  handler: Handler;
  /** Open routes (health, version, tokenize) skip the API key, as in vLLM. */
  isOpen?: boolean;
}

export const routeList = [
  "GET  /v1/models",
  "POST /v1/chat/completions",
  "POST /v1/completions",
  "POST /v1/responses",
  "GET  /v1/responses/{response_id}",
  "DELETE /v1/responses/{response_id}",
  "GET  /v1/responses/{response_id}/input_items",
  "POST /v1/responses/{response_id}/cancel",
  "POST /v1/embeddings",
  "POST /tokenize",
  "POST /detokenize",
  "GET  /health",
  "GET  /version",
  "GET  /metrics",
  "GET  /openapi.json",
  "GET  /docs",
];

/** `serving` routes each request to the model it names (serving/model-router.ts). */
export function createHttpServer(serving: ModelRouter, tokenization: Pick<ModelRouter, "tokenize" | "detokenize">, config: HttpConfig): HttpServer {
  const apiKeys = new ApiKeyCheck(config.apiKeys);
  const cors = new CorsPolicy(config.cors);
  const inFlight = new InFlightRequests();
  const json = (body: unknown): ServingResult => ({ kind: "json", body });
  const readBody = async (request: IncomingMessage, handle: RequestHandle) => {
    const body = await readJsonBody(request, config.maxBodyBytes);
    config.requestLog?.noteBody(handle, body);
    return body;
  };
  const apiDocument = openApiDocument({ version: config.version, rootPath: config.rootPath });
  const routes: Record<string, Route> = {
    "/health": {
      method: "GET",
      isOpen: true,
      handler: () => {
        if (config.isReady && !config.isReady()) throw new ServiceUnavailableError("The model is still loading.");
        if (config.isHealthy && !config.isHealthy()) throw new EngineDeadError();
        return json(null);
      },
    },
    "/version": { method: "GET", isOpen: true, handler: () => json({ version: config.version }) },
    "/metrics": {
      method: "GET",
      isOpen: true,
      handler: async () => ({ kind: "text", body: await config.renderMetrics(), contentType: "text/plain; version=0.0.4; charset=utf-8" }),
    },
    "/v1/models": { method: "GET", handler: () => json(serving.listModels()) },
    "/v1/chat/completions": {
      method: "POST",
      handler: async (request, handle) => serving.chatCompletions(await readBody(request, handle), handle),
    },
    "/v1/completions": {
      method: "POST",
      handler: async (request, handle) => serving.completions(await readBody(request, handle), handle),
    },
    "/v1/embeddings": {
      method: "POST",
      handler: async (request, handle) => serving.embeddings(await readBody(request, handle), handle),
    },
    // Outside /v1 and open, as in vLLM (its API-key middleware guards /v1 only).
    "/tokenize": { method: "POST", isOpen: true, handler: async (request, handle) => json(await tokenization.tokenize(await readBody(request, handle), handle)) },
    "/detokenize": { method: "POST", isOpen: true, handler: async (request, handle) => json(await tokenization.detokenize(await readBody(request, handle), handle)) },
    // Open, as in vLLM: the API description is no secret, and browsers send no key.
    "/openapi.json": { method: "GET", isOpen: true, handler: () => json(apiDocument) },
    "/docs": {
      method: "GET",
      isOpen: true,
      handler: (request) => ({
        kind: "text",
        contentType: "text/html; charset=utf-8",
        body: renderDocsPage(apiDocument, {
          baseUrl: `${config.tls ? "https" : "http"}://${request.headers.host ?? "localhost"}${config.rootPath}`,
          documentPath: `${config.rootPath}/openapi.json`,
        }),
      }),
    },
  };
  const loraAdapters = config.loraAdapters;
  if (loraAdapters) {
    const plainText = (body: string): RouteResult => ({ kind: "text", body, contentType: "text/plain; charset=utf-8" });
    routes["/v1/load_lora_adapter"] = { method: "POST", handler: async (request, handle) => plainText(await loraAdapters.load(await readBody(request, handle))) };
    routes["/v1/unload_lora_adapter"] = { method: "POST", handler: async (request, handle) => plainText(await loraAdapters.unload(await readBody(request, handle))) };
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => void serveRequest(request, response);
  const server = config.tls ? createHttpsServer({ key: config.tls.key, cert: config.tls.cert }, listener) : createServer(listener);

  async function serveRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = requestIdOf(request);
    response.setHeader("X-Request-Id", requestId);
    const handle = new RequestHandle(requestId, { hasClientId: request.headers["x-request-id"] === requestId });
    config.requestLog?.begin(handle, request.method ?? "", routePath(request.url, config.rootPath));
    response.on("close", () => {
      // Closed before the response finished: the client went away, its work stops.
      if (!response.writableFinished) handle.cancel();
      config.requestLog?.noteEnd(handle, response.headersSent ? response.statusCode : null);
      handle.end();
    });
    try {
      if (CorsPolicy.isPreflight(request.method, request.headers)) {
        response.writeHead(204, cors.preflight(request.headers)).end();
        return;
      }
      for (const [name, value] of Object.entries(cors.responseHeaders(request.headers))) response.setHeader(name, value);
      if (inFlight.isDraining) {
        response.setHeader("Connection", "close");
        throw new ServiceUnavailableError("The server is shutting down; retry on another instance.");
      }
      // Before in-flight counting: an open snapshot stream must not hold a drain back.
      if (config.webPage?.serve(request, response, routePath(request.url, config.rootPath), (r) => apiKeys.verify(r))) return;
      // Counted in before the first await, so a drain that starts now waits for this request.
      response.on("close", inFlight.begin());
      const path = routePath(request.url, config.rootPath);
      const route: Route | undefined = routes[path] ?? (config.responses && responsesRoute(request.method, path, config.responses, readBody));
      if (!route) {
        if (path.startsWith("/v1")) apiKeys.verify(request);
        throw new RouteNotFoundError(request.method ?? "GET", path);
      }
      if (!route.isOpen) apiKeys.verify(request);
      if (request.method !== route.method) throw new MethodNotAllowedError(request.method ?? "", path, route.method);
      const result = await route.handler(request, handle);
      if ("requestId" in result && result.requestId !== undefined) response.setHeader("X-Request-Id", headerSafe(result.requestId));
      if (result.kind === "stream") await writeEventStream(response, result.chunks, handle, result.eventNames);
      else if (result.kind === "text") response.writeHead(200, { "Content-Type": result.contentType }).end(result.body);
      else sendJson(response, 200, await result.body);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const { status, headers, body } = toErrorResponse(error, handle.log);
      config.requestLog?.noteError(handle, body.error.type, body.error.code);
      // A body the server did not read (too large) is not worth draining: close the connection.
      if (status === 413) headers.Connection = "close";
      sendJson(response, status, body, headers);
    }
  }

  return {
    server,
    get numInFlight() {
      return inFlight.size;
    },
    startDraining() {
      inFlight.startDraining();
      server.closeIdleConnections();
    },
    whenIdle: () => inFlight.whenIdle(),
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

/**
 * The client's X-Request-Id, else a new UUID. The value is echoed verbatim:
 * Node's parser only accepts header characters that can be sent back.
 */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers["x-request-id"];
  return typeof given === "string" && given !== "" ? given : randomUUID();
}

/**
 * A body `request_id` as a header value: printable ASCII verbatim, any other
 * character percent-encoded as UTF-8 (a lone surrogate as U+FFFD), since
 * Node refuses controls and characters above U+00FF in a header.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/gu, (character) => {
    try {
      return encodeURIComponent(character);
    } catch {
      return "%EF%BF%BD";
    }
  });
}

/** The route path: query dropped, `rootPath` stripped when the path starts with it, trailing slashes dropped. */
export function routePath(url: string | undefined, rootPath: string): string {
  let path = pathnameOf(url ?? "/");
  if (rootPath !== "" && (path === rootPath || path.startsWith(`${rootPath}/`))) path = path.slice(rootPath.length);
  return path.replace(/\/+$/, "") || "/";
}

/** The URL's path; a target such as "//" that URL parsing refuses is read as a path rather than throwing. */
function pathnameOf(url: string): string {
  try {
    return new URL(url, "http://localhost").pathname;
  } catch {
    return new URL(`http://localhost/${url.replace(/^\/+/, "")}`).pathname;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  const text = body === null ? "" : JSON.stringify(body);
  response.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
