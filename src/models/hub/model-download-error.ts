/**
 * A model could not be resolved or downloaded. The message is complete on its
 * own (model, URL tried, cache path) because the CLI prints only the message.
 */
export class ModelDownloadError extends Error {
  constructor(
    message: string,
    /** `network`: the server could not be reached, so a cached copy may stand in. */
    readonly kind: "network" | "http" | "integrity" | "not-found" = "http",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModelDownloadError";
  }
}

/** "ECONNREFUSED", "ENOTFOUND host", "terminated"...: the useful part of a fetch failure. */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the socket error as its cause; node:http rejects with it directly.
  const cause = (error as { cause?: unknown }).cause;
  const root = cause instanceof Error ? cause : error;
  const code = (root as { code?: string }).code;
  const host = (root as { hostname?: string }).hostname;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve host${host ? ` ${host}` : ""} (${code}; offline?)`;
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED; offline or wrong HF_ENDPOINT?)";
  if (code && !root.message.includes(code)) return `${code}: ${root.message}`;
  return root.message;
}
