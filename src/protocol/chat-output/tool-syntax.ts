/**
 * A model family's own tool-call syntax, as the streaming tool-call parser
 * (./tool-call-stream-parser.ts) drives it: which markers open a call, and
 * how a region starting at such a marker is read once enough text is there.
 */
import { tryParseJson } from "./json-scan.js";

export interface ParsedToolCall {
  name: string;
  /** The arguments object as compact JSON, exactly what the client receives. */
  arguments: string;
}

export type RegionScan =
  /** More text is needed (never answered when `isFinal`). */
  | { kind: "incomplete" }
  /** `consumed` characters are these calls. */
  | { kind: "calls"; calls: ParsedToolCall[]; consumed: number }
  /** `consumed` characters (> 0) are not a call after all: they are content. */
  | { kind: "text"; consumed: number };

export interface ToolSyntax {
  /** vLLM's `--tool-call-parser` name. */
  readonly name: string;
  /** Markers that open a call anywhere in the output. */
  readonly openersAnywhere: readonly string[];
  /** Markers that open a call only at the start of the output (after whitespace). */
  readonly openersAtStart: readonly string[];
  /** Markers that open another call right after a call (after whitespace). */
  readonly openersAfterCall: readonly string[];
  /** Reads a region that starts with one of the openers. */
  scan(region: string, isFinal: boolean): RegionScan;
  /** Whether the call markers are control tokens, which the text shows only with special tokens rendered (vLLM's skip_special_tokens=False). */
  readonly needsSpecialTokens?: boolean;
  /** Tool call ids this family's templates accept (Mistral's must be 9 alphanumerics). */
  readonly idStyle: "openai" | "mistral";
}

/** A call from a JSON object `{"name": ..., "arguments"|"parameters": {...}}`, or null when it is not one. */
export function callFromJsonObject(value: unknown): ParsedToolCall | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.name !== "string") return null;
  const args = record.arguments ?? record.parameters ?? {};
  const object = typeof args === "string" ? tryParseJson(args) : args;
  if (typeof object !== "object" || object === null || Array.isArray(object)) return null;
  return { name: record.name, arguments: JSON.stringify(object) };
}

