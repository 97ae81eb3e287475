/** The one place any thrown error becomes an OpenAI-shaped error response. */
import { asApiError, isExpectedError, type ErrorBody } from "../errors.js";

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** `requestId` (the X-Request-Id) goes into the log line of an internal error, so a client's report can be found. */
export function toErrorResponse(error: unknown, requestId?: string): ErrorResponse {
  if (!isExpectedError(error)) console.error(`pagoda: internal error${requestId === undefined ? "" : ` (request ${requestId})`}:`, error);
  const apiError = asApiError(error);
  return { status: apiError.status, headers: { ...apiError.headers }, body: apiError.toBody() };
}
