/** The one place any thrown error becomes an OpenAI-shaped error response. */
import { asServerError, ServerError, type ErrorBody } from "../errors.js";

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

export function toErrorResponse(error: unknown): ErrorResponse {
  if (!(error instanceof ServerError)) console.error("pagoda: internal error:", error);
  const serverError = asServerError(error);
  return { status: serverError.status, headers: { ...serverError.headers }, body: serverError.toBody() };
}
