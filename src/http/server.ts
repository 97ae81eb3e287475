/**
 * The HTTP front: routes, API key, body limit, JSON or SSE responses, and a
 * client disconnect turned into an abort of the request's generation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { EngineStats } from "../engine/types.js";
import { MethodNotAllowedError, RouteNotFoundError } from "../errors.js";
import { renderMetrics } from "../metrics/prometheus.js";
import type { OpenAIServing, ServingResult } from "../protocol/serving.js";
import { ApiKeyCheck } from "./auth.js";
import { readJsonBody } from "./body.js";
import { toErrorResponse } from "./error-response.js";
import { writeEventStream } from "./sse.js";

export interface HttpConfig {
  apiKeys: readonly string[];
  maxBodyBytes: number;
  version: string;
  stats: () => EngineStats;
  /** The label metrics carry: the first served model name. */
  modelName: string;
}

type RouteResult = ServingResult | { kind: "text"; body: string; contentType: string };
type Handler = (request: IncomingMessage, signal: AbortSignal) => Promise<RouteResult> | RouteResult;

interface Route {
  method: "GET" | "POST";
  handler: Handler;
  /** Open routes (health, version) skip the API key, as in vLLM. */
  isOpen?: boolean;
}

export const routeList = [
  "GET  /v1/models",
  "POST /v1/chat/completions",
  "POST /v1/completions",
  "GET  /health",
  "GET  /version",
  "GET  /metrics",
];

export function createHttpServer(serving: OpenAIServing, config: HttpConfig): Server {
  const apiKeys = new ApiKeyCheck(config.apiKeys);
  const json = (body: unknown): ServingResult => ({ kind: "json", body });
  const routes: Record<string, Route> = {
    "/health": { method: "GET", isOpen: true, handler: () => json(null) },
    "/version": { method: "GET", isOpen: true, handler: () => json({ version: config.version }) },
    "/metrics": {
      method: "GET",
      isOpen: true,
      handler: () => ({ kind: "text", body: renderMetrics(config.stats(), config.modelName), contentType: "text/plain; version=0.0.4" }),
    },
    "/v1/models": { method: "GET", handler: () => json(serving.listModels()) },
    "/v1/chat/completions": {
      method: "POST",
      handler: async (request, signal) => serving.chatCompletions(await readJsonBody(request, config.maxBodyBytes), signal),
    },
    "/v1/completions": {
      method: "POST",
      handler: async (request, signal) => serving.completions(await readJsonBody(request, config.maxBodyBytes), signal),
    },
  };

  return createServer((request, response) => {
    const disconnect = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) disconnect.abort();
    });
    void handle(request, response, disconnect.signal);
  });

  async function handle(request: IncomingMessage, response: ServerResponse, signal: AbortSignal): Promise<void> {
    try {
      const path = new URL(request.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "") || "/";
      const route = routes[path];
      if (!route) {
        if (path.startsWith("/v1")) apiKeys.verify(request);
        throw new RouteNotFoundError(request.method ?? "GET", path);
      }
      if (!route.isOpen) apiKeys.verify(request);
      if (request.method !== route.method) throw new MethodNotAllowedError(request.method ?? "", path, route.method);
      const result = await route.handler(request, signal);
      if (result.kind === "stream") await writeEventStream(response, result.chunks, signal);
      else if (result.kind === "text") response.writeHead(200, { "Content-Type": result.contentType }).end(result.body);
      else sendJson(response, 200, await result.body);
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const { status, headers, body } = toErrorResponse(error);
      sendJson(response, status, body, headers);
    }
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  const text = body === null ? "" : JSON.stringify(body);
  response.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}
