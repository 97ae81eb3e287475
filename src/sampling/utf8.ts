/**
 * UTF-8 helpers for output processing. TextEncoder rather than Buffer keeps
 * sampling/ free of Node-only APIs.
 */

/** U+FFFD, what a lenient UTF-8 decoder yields for bytes it cannot decode (yet). */
export const REPLACEMENT_CHARACTER = "\uFFFD";

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`, as OpenAI logprobs `bytes` fields want them.
 * A token that holds only part of a character has already been turned into
 * U+FFFD by the detokenizer, so callers that still have the token's raw bytes
 * should report those instead.
 */
export function utf8Bytes(text: string): number[] {
  return Array.from(encoder.encode(text));
}

/**
 * Length of `text` without its trailing run of U+FFFD: a lenient decoder ends
 * an incomplete multi-byte sequence with U+FFFD, and the text before it is final.
 */
export function stableLength(text: string): number {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
  return end;
}
