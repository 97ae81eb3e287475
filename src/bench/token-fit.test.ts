import assert from "node:assert/strict";
import { test } from "node:test";
import { fitPromptsToTokens, fitToTokens, type TextTokenizer } from "./token-fit.js";

/** One token per character: lengths in tokens are easy to see. */
const perCharacter: TextTokenizer = {
  flavour: "vllm",
  tokenize: async (text) => [...text].map((character) => character.codePointAt(0)!),
  detokenize: async (tokens) => String.fromCodePoint(...tokens),
};

test("a text longer than the target is cut to that many tokens", async () => {
  assert.equal(await fitToTokens(perCharacter, "the cat sat", 5), "the c");
});

test("a shorter text is repeated until long enough, then cut", async () => {
  assert.equal(await fitToTokens(perCharacter, "ab", 7), "ab ab a");
  assert.equal(await fitToTokens(perCharacter, "abc", 3), "abc");
});

test("a tokenizer that counts no more tokens for a longer text is an error, not an endless loop", async () => {
  const silent: TextTokenizer = { ...perCharacter, tokenize: async () => [] };
  await assert.rejects(fitToTokens(silent, "the cat", 5), /does not count more tokens/);
});

test("prompts get as many tokens as they had words; a shared system prompt is tokenized once", async () => {
  let calls = 0;
  const counting: TextTokenizer = { ...perCharacter, tokenize: (text) => (calls++, perCharacter.tokenize(text)) };
  const system = "one two three four";
  const fitted = await fitPromptsToTokens(counting, [
    { system, prompt: "alpha beta" },
    { system, prompt: "gamma delta epsilon" },
  ]);
  assert.deepEqual(fitted, [
    { system: "one ", prompt: "al" },
    { system: "one ", prompt: "gam" },
  ]);
  assert.equal(calls, 3);
});
