/**
 * What a conformance probe is, and how it reports: a probe returns normally
 * for PASS and throws `ProbeFailure` (with the evidence: what was sent, what
 * came back, what was expected), `ProbeUnsupported` (the server refused the
 * feature with a 4xx) or `ProbeSkipped` (nothing to test, e.g. auth on a
 * server started without a key).
 */
import type { CheckClient, Exchange } from "./http-client.js";

export const groupNames = ["models", "basic", "streaming", "sampling", "logprobs", "bias", "vllm", "structured", "tools", "embeddings", "responses", "errors", "auth"] as const;
export type GroupName = (typeof groupNames)[number];

export type ProbeStatus = "PASS" | "FAIL" | "UNSUPPORTED" | "SKIP";

export interface ProbeContext {
  client: CheckClient;
  /** The generation model requested. */
  model: string;
  /** The model requested on /embeddings. */
  embeddingModel: string;
  /** The key the user gave, if any (auth probes need it to exist). */
  apiKey: string | undefined;
  /** One value per key for the whole run: reference generations several probes share. */
  memo<T>(key: string, make: () => Promise<T>): Promise<T>;
}

export interface Probe {
  id: string;
  group: GroupName;
  description: string;
  /** Documentation of the field or behaviour the probe checks. */
  doc: string;
  run(context: ProbeContext): Promise<void>;
}

export interface Evidence {
  sent?: unknown;
  got?: unknown;
  expected: string;
}

export class ProbeFailure extends Error {
  constructor(readonly evidence: Evidence) {
    super(evidence.expected);
    this.name = "ProbeFailure";
  }
}

export class ProbeUnsupported extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ProbeUnsupported";
  }
}

export class ProbeSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ProbeSkipped";
  }
}

/** Fails the probe with the evidence unless `condition` holds. */
export function expect(condition: unknown, expected: string, exchange?: Pick<Exchange, "sent" | "body">, got?: unknown): asserts condition {
  if (!condition) throw new ProbeFailure({ expected, sent: exchange?.sent, got: got ?? exchange?.body });
}

/**
 * The body of a 2xx answer. A 4xx (or 501 Not Implemented) means the server
 * declined the feature (UNSUPPORTED, with its message); anything else is a failure.
 */
export function accepted<T = Record<string, unknown>>(exchange: Exchange): T {
  if (exchange.status >= 200 && exchange.status < 300) {
    expect(typeof exchange.body === "object" && exchange.body !== null, "a JSON object body", exchange, exchange.text.slice(0, 500));
    return exchange.body as T;
  }
  if ((exchange.status >= 400 && exchange.status < 500) || exchange.status === 501) throw new ProbeUnsupported(`HTTP ${exchange.status}: ${errorMessage(exchange.body) ?? exchange.text.slice(0, 200)}`);
  throw new ProbeFailure({ expected: "a 2xx answer", sent: exchange.sent, got: `HTTP ${exchange.status}: ${exchange.text.slice(0, 500)}` });
}

function errorMessage(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === "string") return error;
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : undefined;
}

/** Reads a nested field without a cast at every step. */
export function field(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
