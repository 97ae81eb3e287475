/**
 * A tiny GPT-2-style byte-level BPE vocabulary with ChatML special tokens, as GGUF
 * `tokenizer.*` metadata. Any text round-trips through it (every byte has a token),
 * while a few merges keep llama.cpp's BPE loader happy: it refuses a "gpt2" vocab
 * without `tokenizer.ggml.merges`.
 */
import { gguf, type GgufMetadata } from "./gguf-types.js";

/** llama.cpp `llama_token_type` values as stored in tokenizer.ggml.token_type. */
export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export const ENDOFTEXT = "<|endoftext|>";
export const IM_START = "<|im_start|>";
export const IM_END = "<|im_end|>";

/** Qwen's ChatML template without the default system prompt (newlines are real, as in Qwen's tokenizer_config). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/**
 * Common English pairs, in rank order, written as plain text. Each side must already
 * be a token (a byte or an earlier merge), so every merge result is reachable.
 */
const MERGES: ReadonlyArray<readonly [string, string]> = [
  [" ", "t"], ["h", "e"], [" ", "a"], ["i", "n"], [" t", "he"], ["e", "r"], ["o", "n"], [" ", "s"],
  ["r", "e"], [" ", "w"], ["a", "t"], ["e", "n"], ["o", "r"], [" ", "o"], ["i", "s"], [" ", "c"],
  ["e", "s"], ["n", "d"], ["i", "t"], ["a", "n"], [" ", "b"], [" ", "f"], [" ", "p"], [" ", "m"],
  ["o", "u"], ["in", "g"], ["e", "d"], [" a", "nd"], [" t", "o"], [" o", "f"], ["l", "l"], [" ", "h"],
  [" ", "d"], ["a", "r"], ["l", "e"], [" ", "i"], ["a", "l"], ["h", "a"], [" ", "l"], [" w", "h"],
  [" ", "n"], ["l", "o"], [" ", "y"], [" y", "ou"], [" i", "s"], [" i", "n"], [" ", "H"], [" ", "T"],
  ["H", "e"], ["He", "ll"], ["Hell", "o"], ["l", "d"], [" w", "or"], [" wor", "ld"], [" ", "I"],
  ["\n", "\n"], [" ", " "], ["  ", "  "],
];

const SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END];

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100.. so no token holds raw control bytes or spaces. */
export function byteToUnicode(): string[] {
  const direct = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(direct(b) ? b : next++);
  return table;
}

/** Plain text -> its byte-level token spelling (" the" -> "Ġthe"). */
export function encodeByteLevel(text: string): string {
  const table = byteToUnicode();
  return [...Buffer.from(text, "utf8")].map((b) => table[b]).join("");
}

export interface ByteLevelVocabOptions {
  /** Pad with unused tokens up to this many tokens (e.g. 151936 to match Qwen2 shapes). */
  size?: number;
  /** Jinja chat template; ChatML by default. */
  chatTemplate?: string;
}

export interface ByteLevelVocab {
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
  metadata: GgufMetadata;
}

/** Token order: 256 byte tokens (id = byte value), merge results, ChatML specials, then padding. */
export function buildByteLevelVocab(options: ByteLevelVocabOptions = {}): ByteLevelVocab {
  const tokens = byteToUnicode();
  const tokenTypes: number[] = tokens.map(() => TokenType.normal);
  const known = new Set(tokens);
  const merges: string[] = [];
  for (const [left, right] of MERGES) {
    const [l, r, merged] = [encodeByteLevel(left), encodeByteLevel(right), encodeByteLevel(left + right)];
    if (!known.has(l) || !known.has(r)) throw new Error(`merge ${JSON.stringify([left, right])} uses an unknown token`);
    if (known.has(merged)) throw new Error(`merge ${JSON.stringify([left, right])} is listed twice`);
    merges.push(`${l} ${r}`);
    tokens.push(merged);
    tokenTypes.push(TokenType.normal);
    known.add(merged);
  }
  for (const special of SPECIAL_TOKENS) {
    tokens.push(special);
    tokenTypes.push(TokenType.control);
  }
  const size = options.size ?? tokens.length;
  if (size < tokens.length) throw new Error(`vocab size ${size} is below the ${tokens.length} base tokens`);
  // Unused rather than control: llama.cpp scans every control/user-defined token on
  // each tokenize call, which would crawl with ~150k of them; unused ones it skips.
  for (let i = tokens.length; i < size; i++) {
    tokens.push(`<|pad_${i}|>`);
    tokenTypes.push(TokenType.unused);
  }

  const id = (t: string) => tokens.indexOf(t);
  const metadata: GgufMetadata = new Map([
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    // The GPT-2 split regex, which llama.cpp runs with a hand-written fast path.
    ["tokenizer.ggml.pre", gguf.str("gpt-2")],
    ["tokenizer.ggml.tokens", gguf.strs(tokens)],
    ["tokenizer.ggml.token_type", gguf.i32s(tokenTypes)],
    ["tokenizer.ggml.merges", gguf.strs(merges)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(id(ENDOFTEXT))],
    ["tokenizer.ggml.eos_token_id", gguf.u32(id(IM_END))],
    ["tokenizer.ggml.padding_token_id", gguf.u32(id(ENDOFTEXT))],
    ["tokenizer.ggml.add_bos_token", gguf.bool(false)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
    ["tokenizer.chat_template", gguf.str(options.chatTemplate ?? CHATML_TEMPLATE)],
  ]);
  return { tokens, tokenTypes, merges, metadata };
}
