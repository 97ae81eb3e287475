/** The one place any thrown error becomes an OpenAI-shaped error response. */
import { asApiError, isExpectedError, type ErrorBody } from "../errors.js";
import type { Logger } from "../logger.js";

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** An internal error (our bug) is logged with its stack on `log`, the request's logger, whose lines carry the request id so a client's report can be found. */
export function toErrorResponse(error: unknown, log: Logger): ErrorResponse {
  if (!isExpectedError(error)) log.error({ err: error }, "internal error");
  const apiError = asApiError(error);
  return { status: apiError.status, headers: { ...apiError.headers }, body: apiError.toBody() };
}
