/**
 * Finds where a JSON object or array ends without parsing it, so a streamed
 * tool call can be recognized as complete the moment its last bracket
 * arrives. Strings (with escapes) are skipped, so brackets inside them do not
 * count.
 */

/** `end` is the index just past the value; `incomplete` means more text may finish it. */
export type JsonScanResult = { kind: "complete"; end: number } | { kind: "incomplete" } | { kind: "invalid" };

export function scanJsonContainer(text: string, start: number): JsonScanResult {
  const opener = text[start];
  if (opener !== "{" && opener !== "[") return start >= text.length ? { kind: "incomplete" } : { kind: "invalid" };
  const closers: string[] = [];
  let isInString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (isInString) {
      if (char === "\\") i++;
      else if (char === '"') isInString = false;
      continue;
    }
    if (char === '"') isInString = true;
    else if (char === "{") closers.push("}");
    else if (char === "[") closers.push("]");
    else if (char === "}" || char === "]") {
      if (closers.pop() !== char) return { kind: "invalid" };
      if (closers.length === 0) return { kind: "complete", end: i + 1 };
    }
  }
  return { kind: "incomplete" };
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function skipWhitespace(text: string, start: number): number {
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}
