/**
 * Turns a stream of token ids into a stream of text without ever emitting part
 * of a character. Same idea as vLLM's `detokenize_incrementally`: decode a small
 * window of recent tokens, emit what grew since last time, and hold back a
 * trailing U+FFFD because it usually means "multi-byte character not finished".
 */
import { REPLACEMENT_CHARACTER, stableLength } from "./utf8.js";

/** The model's detokenizer. Must decode incomplete UTF-8 leniently (to U+FFFD), not throw. */
export type Decode = (tokenIds: readonly number[]) => string;

export interface IncrementalDetokenizerOptions {
  /**
   * Tokens that precede the output (the end of the prompt). They are decoded
   * for context only, never emitted: SentencePiece drops the space of "▁word"
   * at the start of a string, so the first output token needs a predecessor.
   */
  contextTokenIds?: readonly number[];
}

// Tokens kept in front of the unemitted ones when the window is trimmed.
const CONTEXT_TOKENS = 6;
// Trim once the window is this long, so each push decodes O(1) tokens.
const MAX_WINDOW = 16;
// A valid UTF-8 character has at most 3 bytes still missing after its first
// token, so text unfinished for this many tokens holds genuinely invalid bytes;
// holding it longer would only grow the window. Then all but the last U+FFFD is
// released: decoders replace each maximal ill-formed subpart by one U+FFFD
// (Unicode's recommended practice, followed by TextDecoder and V8), so only the
// last one can still turn into a character.
const MAX_PENDING_TOKENS = 8;

export class IncrementalDetokenizer {
  private readonly decode: Decode;
  // Recent tokens; the text before `emitted` in decode(window) has been emitted.
  private window: number[];
  private emitted: number;
  // Tokens pushed since the window last yielded final text.
  private pending = 0;
  private output = "";

  constructor(decode: Decode, options: IncrementalDetokenizerOptions = {}) {
    this.decode = decode;
    this.window = (options.contextTokenIds ?? []).slice(-CONTEXT_TOKENS);
    this.emitted = this.window.length === 0 ? 0 : stableLength(decode(this.window));
  }

  /** All text emitted so far, by push() and flush(). */
  get text(): string {
    return this.output;
  }

  /** Adds one token; returns the text it finalized, possibly "". */
  push(tokenId: number): string {
    this.window.push(tokenId);
    this.pending++;
    const full = this.decode(this.window);
    const forced = this.pending > MAX_PENDING_TOKENS;
    const end = !forced ? stableLength(full) : full.endsWith(REPLACEMENT_CHARACTER) ? full.length - 1 : full.length;
    let delta = "";
    if (end > this.emitted) {
      delta = full.slice(this.emitted, end);
      this.emitted = end;
      this.pending = 0;
    }
    if (forced) this.pending = 0;
    if (this.pending === 0 && this.window.length > MAX_WINDOW) this.trim(full);
    this.output += delta;
    return delta;
  }

  /** Ends the stream: returns everything still held, U+FFFD included (the bytes were invalid). */
  flush(): string {
    const full = this.window.length === 0 ? "" : this.decode(this.window);
    const delta = full.length > this.emitted ? full.slice(this.emitted) : "";
    this.emitted = Math.max(this.emitted, full.length);
    this.pending = 0;
    this.output += delta;
    return delta;
  }

  // Keeps the last few tokens. What is still unemitted is the end of the text
  // and is produced by the last tokens, so it stays the same length.
  private trim(full: string): void {
    const held = Math.max(0, full.length - this.emitted);
    this.window = this.window.slice(-CONTEXT_TOKENS);
    this.emitted = Math.max(0, this.decode(this.window).length - held);
  }
}
