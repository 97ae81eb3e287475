import assert from "node:assert/strict";
import { test } from "node:test";
import { readGgufMetadata } from "./gguf-reader.js";
import { qwen2VocabPath } from "./presets.js";
import {
  buildByteLevelVocab,
  byteToUnicode,
  CHATML_TEMPLATE,
  encodeByteLevel,
  ENDOFTEXT,
  IM_END,
  IM_START,
  TokenType,
} from "./byte-level-tokenizer.js";

test("byte-to-unicode table matches GPT-2's", () => {
  const table = byteToUnicode();
  assert.equal(new Set(table).size, 256);
  assert.equal(table[0x21], "!");
  assert.equal(table[0x20], "Ġ"); // space
  assert.equal(table[0x0a], "Ċ"); // newline
  assert.equal(table[0x00], "Ā");
  assert.equal(table[0xad], "Ń"); // soft hyphen is not kept as itself
  assert.equal(encodeByteLevel(" the"), "Ġthe");
  assert.equal(encodeByteLevel("ö"), "Ã¶");
});

test("vocab: unique tokens, reachable merges, ChatML control tokens", () => {
  const { tokens, tokenTypes, merges, metadata } = buildByteLevelVocab();
  // llama.cpp aborts (GGML_ASSERT) on duplicate token texts.
  assert.equal(new Set(tokens).size, tokens.length);
  assert.equal(tokenTypes.length, tokens.length);
  assert.ok(merges.length >= 20);
  for (const merge of merges) {
    const [left, right] = merge.split(" ");
    assert.ok(tokens.includes(left) && tokens.includes(right) && tokens.includes(left + right), merge);
  }
  assert.ok(merges.includes("Ġ t") && merges.includes("h e"));
  for (const special of [ENDOFTEXT, IM_START, IM_END]) {
    assert.equal(tokenTypes[tokens.indexOf(special)], TokenType.control, special);
  }
  assert.equal(tokenTypes.filter((t) => t === TokenType.control).length, 3);

  const get = (key: string) => metadata.get(key)?.value;
  assert.equal(get("tokenizer.ggml.model"), "gpt2");
  assert.equal(get("tokenizer.ggml.bos_token_id"), tokens.indexOf(ENDOFTEXT));
  assert.equal(get("tokenizer.ggml.eos_token_id"), tokens.indexOf(IM_END));
  assert.equal(get("tokenizer.ggml.padding_token_id"), tokens.indexOf(ENDOFTEXT));
  assert.equal(get("tokenizer.ggml.add_bos_token"), false);
  assert.equal(get("tokenizer.chat_template"), CHATML_TEMPLATE);
  assert.deepEqual(metadata.get("tokenizer.ggml.token_type"), { type: "array", itemType: "int32", value: tokenTypes });
  assert.deepEqual(metadata.get("tokenizer.ggml.bos_token_id")?.type, "uint32");
});

test("padding to a requested size adds unique unused tokens", () => {
  const base = buildByteLevelVocab().tokens.length;
  const { tokens, tokenTypes } = buildByteLevelVocab({ size: base + 1000 });
  assert.equal(tokens.length, base + 1000);
  assert.equal(new Set(tokens).size, tokens.length);
  assert.ok(tokenTypes.slice(base).every((t) => t === TokenType.unused));
  assert.equal(tokens[base], `<|pad_${base}|>`);
  assert.throws(() => buildByteLevelVocab({ size: 10 }), /below/);
});

test("the ChatML template is the Qwen one without a default system prompt", () => {
  assert.ok(CHATML_TEMPLATE.startsWith("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'"));
  assert.ok(CHATML_TEMPLATE.includes("{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"));
  assert.ok(!CHATML_TEMPLATE.includes("system"));
});

test("it is the Qwen2 fixture's template minus the default system message", async () => {
  const qwen = (await readGgufMetadata(qwen2VocabPath())).get("tokenizer.chat_template")?.value as string;
  const withoutSystem = qwen.replace(/\{% if loop\.first.*?\{% endif %\}/s, "");
  assert.equal(withoutSystem, CHATML_TEMPLATE);
});
