/** The one place any thrown error becomes an OpenAI-shaped error response. */
import { asServerError, ServerError, ServiceUnavailableError, type ErrorBody } from "../errors.js";

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

export function toErrorResponse(error: unknown): ErrorResponse {
  if (!(error instanceof ServerError)) console.error("pagoda: internal error:", error);
  const serverError = asServerError(error);
  const headers: Record<string, string> = {};
  if (serverError instanceof ServiceUnavailableError) headers["Retry-After"] = String(serverError.retryAfterSeconds);
  return { status: serverError.status, headers, body: serverError.toBody() };
}
