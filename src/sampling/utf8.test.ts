import { test } from "node:test";
import assert from "node:assert/strict";
import { REPLACEMENT_CHARACTER, stableLength, utf8Bytes } from "./utf8.js";

test("utf8Bytes gives the UTF-8 encoding, as logprobs `bytes` want it", () => {
  assert.deepEqual(utf8Bytes(""), []);
  assert.deepEqual(utf8Bytes(" a"), [0x20, 0x61]);
  assert.deepEqual(utf8Bytes("é"), [0xc3, 0xa9]);
  assert.deepEqual(utf8Bytes("中"), [0xe4, 0xb8, 0xad]);
  assert.deepEqual(utf8Bytes("𝄞"), [0xf0, 0x9d, 0x84, 0x9e]);
  assert.deepEqual(utf8Bytes(REPLACEMENT_CHARACTER), [0xef, 0xbf, 0xbd]);
});

test("stableLength drops only the trailing run of U+FFFD", () => {
  assert.equal(stableLength(""), 0);
  assert.equal(stableLength("abc"), 3);
  assert.equal(stableLength("ab\uFFFD"), 2);
  assert.equal(stableLength("a\uFFFDb\uFFFD\uFFFD"), 3);
  assert.equal(stableLength("\uFFFD\uFFFD"), 0);
  assert.equal(stableLength("𝄞\uFFFD"), 2);
});
