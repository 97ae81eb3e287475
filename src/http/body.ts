/**
 * Reads a JSON request body under a size limit. A body declared as something
 * other than JSON (text/plain, a form) is refused as vLLM refuses it, rather
 * than parsed anyway; a request with no Content-Type at all is still read.
 */
import type { IncomingMessage } from "node:http";
import { InvalidRequestError, PayloadTooLargeError } from "../errors.js";

export async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const contentType = request.headers["content-type"];
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new InvalidRequestError(`Unsupported Content-Type '${contentType}': send the body as application/json.`, { code: "unsupported_media_type" });
  }
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("The request body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

/** application/json, or a structured-syntax +json type, with any parameters (charset). */
function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";", 1)[0].trim().toLowerCase();
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}
