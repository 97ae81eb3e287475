/** Request validation: a zod schema violation becomes a 400 naming the dotted field path. */
import type { z } from "zod";
import { InvalidRequestError } from "../errors.js";

export function parseRequest<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.length > 0 ? formatPath(issue.path) : null;
  const message = param ? `Invalid value for '${param}': ${issue.message}` : issue.message;
  throw new InvalidRequestError(message, { param });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}
