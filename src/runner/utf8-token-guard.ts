/**
 * Keeps grammar-constrained output equal to the text the client receives.
 * llama.cpp's grammar decodes token bytes without validating them, so with
 * byte-level vocabularies it can accept overlong or out-of-range sequences
 * (e.g. F0 80 A0 80 read as U+0800) that clients then see as several U+FFFD,
 * breaking maxLength and patterns. This bans, at each step, the tokens whose
 * bytes cannot continue the sequence's UTF-8 so far, through the sampler's
 * logit biases. It also bans control tokens in every state: the grammar
 * matches their text ("<|im_start|>" is 12 characters of a string) but the
 * detokenizer drops them, so a string of minLength 1 could arrive empty.
 */
import type { LogitBias } from "../engine/model-runner.js";

/** UTF-8 validation DFA (RFC 3629): where a sequence stands after its bytes. */
const enum Utf8State {
  Boundary,
  Need1,
  Need2,
  Need3,
  AfterE0,
  AfterED,
  AfterF0,
  AfterF4,
  Invalid,
}
const numStates = Utf8State.Invalid;

function step(state: Utf8State, byte: number): Utf8State {
  const isContinuation = byte >= 0x80 && byte <= 0xbf;
  switch (state) {
    case Utf8State.Boundary:
      if (byte <= 0x7f) return Utf8State.Boundary;
      if (byte >= 0xc2 && byte <= 0xdf) return Utf8State.Need1;
      if (byte === 0xe0) return Utf8State.AfterE0;
      if (byte === 0xed) return Utf8State.AfterED;
      if (byte >= 0xe1 && byte <= 0xef) return Utf8State.Need2;
      if (byte === 0xf0) return Utf8State.AfterF0;
      if (byte >= 0xf1 && byte <= 0xf3) return Utf8State.Need3;
      if (byte === 0xf4) return Utf8State.AfterF4;
      return Utf8State.Invalid;
    case Utf8State.Need1:
      return isContinuation ? Utf8State.Boundary : Utf8State.Invalid;
    case Utf8State.Need2:
      return isContinuation ? Utf8State.Need1 : Utf8State.Invalid;
    case Utf8State.Need3:
      return isContinuation ? Utf8State.Need2 : Utf8State.Invalid;
    case Utf8State.AfterE0:
      return byte >= 0xa0 && byte <= 0xbf ? Utf8State.Need1 : Utf8State.Invalid;
    case Utf8State.AfterED:
      return byte >= 0x80 && byte <= 0x9f ? Utf8State.Need1 : Utf8State.Invalid;
    case Utf8State.AfterF0:
      return byte >= 0x90 && byte <= 0xbf ? Utf8State.Need2 : Utf8State.Invalid;
    case Utf8State.AfterF4:
      return byte >= 0x80 && byte <= 0x8f ? Utf8State.Need2 : Utf8State.Invalid;
    default:
      return Utf8State.Invalid;
  }
}

function run(state: Utf8State, bytes: Uint8Array): Utf8State {
  let current = state;
  for (const byte of bytes) if ((current = step(current, byte)) === Utf8State.Invalid) break;
  return current;
}

export interface GuardHolder {
  utf8State: number;
  /** How many generated tokens `utf8State` accounts for. */
  utf8NumTokens: number;
}

export class Utf8TokenGuard {
  /** Per DFA state, the tokens that would make the bytes invalid. */
  private readonly bannedFrom: Uint32Array[];
  private readonly merged = new WeakMap<LogitBias, Map<number, LogitBias>>();
  private readonly bansOnly = new Map<number, LogitBias>();

  /**
   * `tokenBytes[id]`: the token's bytes, or null for tokens the UTF-8 check leaves
   * alone (control tokens; all of them when the vocabulary's bytes are unknown).
   * `alwaysBanned`: tokens banned in every state.
   */
  constructor(
    private readonly tokenBytes: ReadonlyArray<Uint8Array | null>,
    alwaysBanned: readonly number[] = [],
  ) {
    this.bannedFrom = Array.from({ length: numStates }, (_, state) => {
      const banned = [...alwaysBanned];
      tokenBytes.forEach((bytes, token) => {
        // Inside a character, llama.cpp's grammar already rejects a token not starting with a
        // continuation byte; leaving those out keeps the ban lists short (hundreds, not the vocabulary).
        if (bytes === null || (state !== Utf8State.Boundary && !(bytes[0] >= 0x80 && bytes[0] <= 0xbf))) return;
        if (run(state, bytes) === Utf8State.Invalid) banned.push(token);
      });
      return Uint32Array.from(new Set(banned)).sort();
    });
  }

  /** The sampler biases for `holder`'s next token: the request's own plus the bans of its UTF-8 state. */
  biasFor(holder: GuardHolder, generatedTokens: readonly number[], requestBias: LogitBias | null): LogitBias | null {
    if (holder.utf8NumTokens > generatedTokens.length) {
      holder.utf8State = Utf8State.Boundary;
      holder.utf8NumTokens = 0;
    }
    for (; holder.utf8NumTokens < generatedTokens.length; holder.utf8NumTokens++) {
      const bytes = this.tokenBytes[generatedTokens[holder.utf8NumTokens]];
      if (bytes) holder.utf8State = run(holder.utf8State, bytes);
    }
    const state = holder.utf8State === Utf8State.Invalid ? Utf8State.Boundary : holder.utf8State;
    const banned = this.bannedFrom[state];
    if (banned.length === 0) return requestBias;
    // The same object for the same inputs: the addon keeps its sampler chain when biases are unchanged.
    if (requestBias === null) {
      let bias = this.bansOnly.get(state);
      if (!bias) this.bansOnly.set(state, (bias = merge(null, banned)));
      return bias;
    }
    let byState = this.merged.get(requestBias);
    if (!byState) this.merged.set(requestBias, (byState = new Map()));
    let bias = byState.get(state);
    if (!bias) byState.set(state, (bias = merge(requestBias, banned)));
    return bias;
  }
}

function merge(requestBias: LogitBias | null, banned: Uint32Array): LogitBias {
  const biases = new Map<number, number>();
  if (requestBias) requestBias.tokenIds.forEach((token, i) => biases.set(token, requestBias.biases[i]));
  for (const token of banned) biases.set(token, -Infinity);
  const tokenIds = Uint32Array.from([...biases.keys()].sort((a, b) => a - b));
  return { tokenIds, biases: Float32Array.from(tokenIds, (token) => biases.get(token)!) };
}

/** GPT-2's byte-level alphabet: the character each byte is written as in the vocabulary. */
function byteLevelDecoder(): Map<string, number> {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const decoder = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) decoder.set(String.fromCodePoint(printable(b) ? b : 256 + extra++), b);
  return decoder;
}

const controlTokenType = 3;

/**
 * The tokens a grammar must never let through: control tokens, except the
 * end-of-generation ones, which llama.cpp's grammar allows only where the
 * grammar is complete.
 */
export function controlTokensBannedUnderGrammar(tokenTypes: readonly unknown[], endOfGenerationTokens: ReadonlySet<number>): number[] {
  const banned: number[] = [];
  tokenTypes.forEach((type, token) => {
    if (type === controlTokenType && !endOfGenerationTokens.has(token)) banned.push(token);
  });
  return banned;
}

/**
 * Token bytes from GGUF vocabulary strings: byte-level BPE ("gpt2") or
 * SentencePiece ("llama", with <0xNN> byte tokens). null for other
 * tokenizers: no guard then.
 */
export function vocabularyBytes(tokenizerModel: unknown, pieces: readonly unknown[], tokenTypes: readonly unknown[]): Array<Uint8Array | null> | null {
  const encoder = new TextEncoder();
  if (tokenizerModel === "gpt2") {
    const decoder = byteLevelDecoder();
    return pieces.map((piece, token) => {
      if (typeof piece !== "string" || tokenTypes[token] === controlTokenType) return null;
      const bytes: number[] = [];
      for (const char of piece) {
        const byte = decoder.get(char);
        if (byte === undefined) return encoder.encode(piece); // user-defined tokens are plain text
        bytes.push(byte);
      }
      return Uint8Array.from(bytes);
    });
  }
  if (tokenizerModel === "llama") {
    return pieces.map((piece, token) => {
      if (typeof piece !== "string" || tokenTypes[token] === controlTokenType) return null;
      const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      return byteToken ? Uint8Array.of(parseInt(byteToken[1], 16)) : encoder.encode(piece.replace(/\u2581/g, " "));
    });
  }
  return null;
}
