import assert from "node:assert/strict";
import { test } from "node:test";
import { countWords, entryToPrompt, parseDatasetText, randomPrompts, samplePrompts, sampleLength, sharedPrefixPrompts, WORDS } from "./datasets.js";
import { mulberry32 } from "../models/mulberry32.js";

test("random prompts: seeded, exact word counts without a range ratio, words from the list", () => {
  const a = randomPrompts(5, 128, 0, 1);
  assert.deepEqual(randomPrompts(5, 128, 0, 1), a);
  assert.notDeepEqual(randomPrompts(5, 128, 0, 2), a);
  const known = new Set(WORDS);
  for (const p of a) {
    assert.equal(p.system, undefined);
    const words = p.prompt.split(" ");
    assert.equal(words.length, 128);
    for (const w of words) assert.ok(known.has(w), w);
  }
  assert.equal(new Set(a.map((p) => p.prompt)).size, 5);
});

test("random prompts: the range ratio spreads lengths over [len*(1-r), len*(1+r)]", () => {
  const lengths = randomPrompts(400, 100, 0.5, 3).map((p) => countWords(p.prompt));
  assert.ok(Math.min(...lengths) >= 50);
  assert.ok(Math.max(...lengths) <= 150);
  assert.ok(Math.min(...lengths) < 60 && Math.max(...lengths) > 140, "covers the range");
});

test("sampleLength stays within bounds and is at least 1", () => {
  const random = mulberry32(9);
  for (let i = 0; i < 1000; i++) {
    const n = sampleLength(random, 10, 0.3);
    assert.ok(n >= 7 && n <= 13, String(n));
  }
  assert.equal(sampleLength(random, 0, 0), 1);
  assert.throws(() => sampleLength(random, 10, 1), RangeError);
});

test("shared-prefix prompts share one system prompt and have distinct suffixes", () => {
  const prompts = sharedPrefixPrompts(16, 1000, 20, 0, 4);
  assert.equal(countWords(prompts[0].system!), 1000);
  for (const p of prompts) {
    assert.equal(p.system, prompts[0].system);
    assert.equal(countWords(p.prompt), 20);
  }
  assert.equal(new Set(prompts.map((p) => p.prompt)).size, 16);
  assert.ok(prompts[0].prompt.startsWith("1. "));
  assert.deepEqual(sharedPrefixPrompts(16, 1000, 20, 0, 4), prompts);
});

test("file entries: prompt, or ShareGPT conversations", () => {
  assert.deepEqual(entryToPrompt({ prompt: "hi" }), { prompt: "hi" });
  assert.deepEqual(entryToPrompt({ prompt: "hi", system: "be brief" }), { system: "be brief", prompt: "hi" });
  assert.deepEqual(
    entryToPrompt({ conversations: [{ from: "human", value: "What is 2+2?" }, { from: "gpt", value: "4" }] }),
    { prompt: "What is 2+2?" },
  );
  assert.deepEqual(
    entryToPrompt({ conversations: [{ role: "system", content: "S" }, { role: "user", content: "Q" }] }),
    { system: "S", prompt: "Q" },
  );
  assert.equal(entryToPrompt({ conversations: [{ from: "gpt", value: "only an answer" }] }), undefined);
  assert.equal(entryToPrompt({ prompt: "" }), undefined);
  assert.equal(entryToPrompt(null), undefined);
});

test("parseDatasetText reads JSONL and JSON arrays, skipping unusable entries", () => {
  const jsonl = '{"prompt": "a"}\n\n{"conversations": [{"from": "human", "value": "b"}]}\n{"other": 1}\n';
  assert.deepEqual(parseDatasetText(jsonl), [{ prompt: "a" }, { prompt: "b" }]);
  assert.deepEqual(parseDatasetText('[{"prompt": "x"}, {"prompt": "y"}]'), [{ prompt: "x" }, { prompt: "y" }]);
  assert.throws(() => parseDatasetText('{"prompt": "a"}\nnot json\n', "f.jsonl"), /f\.jsonl:2/);
});

test("samplePrompts shuffles with the seed and repeats a short list", () => {
  const all = [{ prompt: "a" }, { prompt: "b" }, { prompt: "c" }];
  const picked = samplePrompts(all, 7, 1);
  assert.equal(picked.length, 7);
  assert.deepEqual(picked.slice(3, 6), picked.slice(0, 3));
  assert.deepEqual(new Set(picked.slice(0, 3).map((p) => p.prompt)), new Set(["a", "b", "c"]));
  assert.deepEqual(samplePrompts(all, 7, 1), picked);
  assert.throws(() => samplePrompts([], 1, 0), /no usable prompts/);
});

test("countWords splits on whitespace", () => {
  assert.equal(countWords("  a b\n c\t"), 3);
  assert.equal(countWords("   "), 0);
});
