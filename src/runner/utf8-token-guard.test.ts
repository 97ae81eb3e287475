import assert from "node:assert/strict";
import { test } from "node:test";
import { controlTokensBannedUnderGrammar, PackedTokenBytes, Utf8TokenGuard, vocabularyBytes, type TokenBytes } from "./utf8-token-guard.js";

// Token ids: 0 "a", 1 F0, 2 80, 3 "9F 98 80" (rest of U+1F600 after F0), 4 "C1 A1" (overlong 'a'),
// 5 E0, 6 "A0 80" (U+0800 after E0), 7 "ED A0" (surrogate start), 8 F5, 9 a control token.
const vocabulary = [[0x61], [0xf0], [0x80], [0x9f, 0x98, 0x80], [0xc1, 0xa1], [0xe0], [0xa0, 0x80], [0xed, 0xa0], [0xf5], null].map((bytes) =>
  bytes === null ? null : Uint8Array.from(bytes),
);

function bannedAfter(guard: Utf8TokenGuard, generated: number[]): number[] {
  const bias = guard.biasFor({ utf8State: 0, utf8NumTokens: 0 }, generated, null);
  return bias === null ? [] : [...bias.tokenIds].filter((_, i) => bias!.biases[i] === -Infinity);
}

test("at a character boundary, tokens that are invalid on their own are banned", () => {
  assert.deepEqual(bannedAfter(new Utf8TokenGuard(vocabulary), []), [2, 3, 4, 6, 7, 8]);
});

test("inside a character, only valid continuations remain", () => {
  const guard = new Utf8TokenGuard(vocabulary);
  // After F0 the next byte must be 90-BF: "80" (overlong) is banned, "9F 98 80" allowed.
  // Tokens not starting with a continuation byte are left to llama.cpp's grammar, which rejects them itself.
  assert.deepEqual(bannedAfter(guard, [1]), [2]);
  assert.deepEqual(bannedAfter(guard, [5]), [2, 3]);
  assert.deepEqual(bannedAfter(guard, [1, 3]), [2, 3, 4, 6, 7, 8]);
});

test("the request's own biases are kept, and the same object comes back for the same state", () => {
  const guard = new Utf8TokenGuard(vocabulary);
  const requestBias = { tokenIds: Uint32Array.of(0, 2), biases: Float32Array.of(5, 3) };
  const holder = { utf8State: 0, utf8NumTokens: 0 };
  const bias = guard.biasFor(holder, [], requestBias)!;
  assert.deepEqual([...bias.tokenIds], [0, 2, 3, 4, 6, 7, 8]);
  assert.equal(bias.biases[0], 5);
  assert.equal(bias.biases[1], -Infinity);
  assert.equal(guard.biasFor(holder, [0], requestBias), bias);
});

/** The table as plain arrays, to compare. */
function listed(table: TokenBytes): Array<number[] | null> {
  return Array.from({ length: table.length }, (_, token) => {
    const bytes = table.at(token);
    return bytes ? [...bytes] : null;
  });
}

test("vocabulary bytes: GPT-2 byte-level and SentencePiece byte tokens", () => {
  const gpt2 = vocabularyBytes("gpt2", ["Ġa", "Ã©", "<|im_end|>", "ð"], [1, 1, 3, 1])!;
  assert.deepEqual(listed(gpt2), [[0x20, 0x61], [0xc3, 0xa9], null, [0xf0]]);
  const spm = vocabularyBytes("llama", ["▁hi", "<0xE0>", "<s>"], [1, 6, 3])!;
  assert.deepEqual(listed(spm), [[0x20, 0x68, 0x69], [0xe0], null]);
  assert.equal(vocabularyBytes("bert", [], []), null);
});

test("tokens banned always are banned in every state, alongside the UTF-8 bans", () => {
  const guard = new Utf8TokenGuard(vocabulary, [9]);
  assert.deepEqual(bannedAfter(guard, []), [2, 3, 4, 6, 7, 8, 9]);
  assert.deepEqual(bannedAfter(guard, [1]), [2, 9]);
  assert.deepEqual(bannedAfter(new Utf8TokenGuard([], [9, 4]), [0]), [4, 9], "without known bytes, only the control tokens");
});

test("control tokens are banned under a grammar, except the end-of-generation ones", () => {
  // normal, control (<|im_start|>), control (<|im_end|>, end of generation), user-defined, unused
  assert.deepEqual(controlTokensBannedUnderGrammar([1, 3, 3, 4, 5], new Set([2])), [1]);
});

test("packed token bytes hold what they were given, across buffer growth, and ban the same tokens as the plain list", () => {
  const many = Array.from({ length: 30_000 }, (_, i) => (i % 7 === 0 ? null : Uint8Array.from({ length: i % 5 }, (_, j) => (i + j) & 0xff)));
  const packed = PackedTokenBytes.from(many);
  assert.deepEqual(listed(packed), listed(many));
  assert.equal(packed.at(-1), undefined);
  assert.equal(packed.at(many.length), undefined);
  const plain = new Utf8TokenGuard(vocabulary, [9]);
  const fromPacked = new Utf8TokenGuard(PackedTokenBytes.from(vocabulary), [9]);
  for (const generated of [[], [1], [5], [1, 3], [0, 7]]) assert.deepEqual(bannedAfter(fromPacked, generated), bannedAfter(plain, generated));
});
