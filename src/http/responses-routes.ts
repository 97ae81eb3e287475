/**
 * The Responses API's routes, whose paths carry a response id:
 * POST /v1/responses, GET|DELETE /v1/responses/{id},
 * GET /v1/responses/{id}/input_items, POST /v1/responses/{id}/cancel.
 */
import type { IncomingMessage } from "node:http";
import { InvalidRequestError } from "../errors.js";
import type { ListQuery } from "../protocol/responses-request.js";
import type { ResponsesServing } from "../protocol/responses-serving.js";
import type { ServingResult } from "../protocol/serving.js";
import type { RequestHandle } from "../request-handle.js";

export interface DynamicRoute {
  method: "GET" | "POST" | "DELETE";
  handler: (request: IncomingMessage, handle: RequestHandle) => Promise<ServingResult> | ServingResult;
}

type ReadBody = (request: IncomingMessage, handle: RequestHandle) => Promise<Record<string, unknown>>;

export function responsesRoute(method: string | undefined, path: string, responses: ResponsesServing, readBody: ReadBody): DynamicRoute | undefined {
  const json = (body: unknown): ServingResult => ({ kind: "json", body });
  if (path === "/v1/responses") return { method: "POST", handler: async (request, handle) => responses.create(await readBody(request, handle), handle) };
  const match = /^\/v1\/responses\/([^/]+)(?:\/(input_items|cancel))?$/.exec(path);
  if (!match) return undefined;
  const id = decodeURIComponent(match[1]);
  if (match[2] === "cancel") return { method: "POST", handler: () => json(responses.cancel(id)) };
  if (match[2] === "input_items") return { method: "GET", handler: (request) => json(responses.inputItems(id, listQuery(queryOf(request)))) };
  if (method === "DELETE") return { method: "DELETE", handler: () => json(responses.delete(id)) };
  return { method: "GET", handler: (request) => responses.retrieve(id, queryOf(request)) };
}

function queryOf(request: IncomingMessage): URLSearchParams {
  return new URL(request.url ?? "/", "http://localhost").searchParams;
}

/** OpenAI's list query: limit 1-100 (default 20), order asc|desc (default desc), after/before item ids. */
function listQuery(query: URLSearchParams): ListQuery {
  const limit = query.get("limit") === null ? 20 : Number(query.get("limit"));
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidRequestError("'limit' must be an integer from 1 to 100.", { param: "limit" });
  const order = query.get("order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw new InvalidRequestError("'order' must be asc or desc.", { param: "order" });
  return { limit, order, after: query.get("after"), before: query.get("before") };
}
