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
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    const host = (cause as { hostname?: string }).hostname;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve host ${host ?? ""} (${code}; offline?)`.replace("host  ", "host ");
    if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED; offline or wrong HF_ENDPOINT?)";
    if (code) return `${code}: ${cause.message}`;
    return cause.message;
  }
  return error.message;
}
