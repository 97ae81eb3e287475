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

/** Each token's bytes by id (null: leave the token alone): a plain array, or PackedTokenBytes. */
export interface TokenBytes {
  readonly length: number;
  at(token: number): Uint8Array | null | undefined;
}

/**
 * Every token's bytes in one buffer. A 152k-token vocabulary held as 152k
 * small Uint8Arrays took 31 MB of heap for as long as the model is loaded;
 * packed it takes ~1.5 MB. `at` returns a view, made on each call.
 */
export class PackedTokenBytes implements TokenBytes {
  private constructor(
    private readonly bytes: Uint8Array,
    /** Token i's bytes are bytes[offsets[i], offsets[i + 1]). */
    private readonly offsets: Uint32Array,
    private readonly isNull: Uint8Array,
  ) {}

  get length(): number {
    return this.isNull.length;
  }

  at(token: number): Uint8Array | null | undefined {
    if (!(token >= 0 && token < this.isNull.length)) return undefined;
    return this.isNull[token] ? null : this.bytes.subarray(this.offsets[token], this.offsets[token + 1]);
  }

  static from(tokens: Iterable<ArrayLike<number> | null>): PackedTokenBytes {
    let bytes = new Uint8Array(1 << 16);
    const offsets: number[] = [0];
    const isNull: number[] = [];
    let end = 0;
    for (const token of tokens) {
      isNull.push(token === null ? 1 : 0);
      const length = token?.length ?? 0;
      if (end + length > bytes.length) {
        const grown = new Uint8Array(Math.max(2 * bytes.length, end + length));
        grown.set(bytes.subarray(0, end));
        bytes = grown;
      }
      for (let i = 0; i < length; i++) bytes[end + i] = token![i];
      end += length;
      offsets.push(end);
    }
    return new PackedTokenBytes(bytes.slice(0, end), Uint32Array.from(offsets), Uint8Array.from(isNull));
  }
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
    private readonly tokenBytes: TokenBytes,
    alwaysBanned: readonly number[] = [],
  ) {
    this.bannedFrom = Array.from({ length: numStates }, (_, state) => {
      const banned = [...alwaysBanned];
      for (let token = 0; token < tokenBytes.length; token++) {
        const bytes = tokenBytes.at(token);
        // Inside a character, llama.cpp's grammar already rejects a token not starting with a
        // continuation byte; leaving those out keeps the ban lists short (hundreds, not the vocabulary).
        if (!bytes || (state !== Utf8State.Boundary && !(bytes[0] >= 0x80 && bytes[0] <= 0xbf))) continue;
        if (run(state, bytes) === Utf8State.Invalid) banned.push(token);
      }
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
      const bytes = this.tokenBytes.at(generatedTokens[holder.utf8NumTokens]);
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

/** `items.map(f)`, one at a time: the vocabulary's per-token arrays are packed as they come, never all held at once. */
function* eachOf<T, R>(items: readonly T[], f: (item: T, index: number) => R): Generator<R> {
  for (let i = 0; i < items.length; i++) yield f(items[i], i);
}

/**
 * Token bytes from GGUF vocabulary strings: byte-level BPE ("gpt2") or
 * SentencePiece ("llama", with <0xNN> byte tokens). null for other
 * tokenizers: no guard then.
 */
export function vocabularyBytes(tokenizerModel: unknown, pieces: readonly unknown[], tokenTypes: readonly unknown[]): PackedTokenBytes | null {
  const encoder = new TextEncoder();
  if (tokenizerModel === "gpt2") {
    const decoder = byteLevelDecoder();
    return PackedTokenBytes.from(
      eachOf(pieces, (piece, token) => {
        if (typeof piece !== "string" || tokenTypes[token] === controlTokenType) return null;
        const bytes: number[] = [];
        for (const char of piece) {
          const byte = decoder.get(char);
          if (byte === undefined) return encoder.encode(piece); // user-defined tokens are plain text
          bytes.push(byte);
        }
        return bytes;
      }),
    );
  }
  if (tokenizerModel === "llama") {
    return PackedTokenBytes.from(
      eachOf(pieces, (piece, token) => {
        if (typeof piece !== "string" || tokenTypes[token] === controlTokenType) return null;
        const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
        return byteToken ? [parseInt(byteToken[1], 16)] : encoder.encode(piece.replace(/\u2581/g, " "));
      }),
    );
  }
  return null;
}
