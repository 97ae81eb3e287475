/**
 * Every small generated model must load in llama.cpp, tokenize ChatML faithfully
 * and produce tokens: the GGUF writer's unit tests can't tell whether llama.cpp
 * agrees with our reading of the format, only loading can.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { ensureGeneratedModel } from "../models/model-cache.js";
import { type PresetName } from "../models/presets.js";
import { testCacheDir } from "../testing/paths.js";

let llama: Llama;
before(async () => {
  // Explicit thread counts everywhere: node-llama-cpp's default crawls on 2 cores.
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
});
after(async () => {
  await llama.dispose();
});

const cases: { preset: PresetName; eos: string; skip?: string }[] = [
  { preset: "builtin", eos: "<|im_end|>" },
  { preset: "tiny-f32", eos: "<|im_end|>" },
  { preset: "tiny-f16", eos: "<|im_end|>" },
  { preset: "tiny-q8_0", eos: "<|im_end|>" },
  // The real Qwen2 vocab names <|endoftext|> as eos; llama.cpp still ends turns on <|im_end|>.
  { preset: "tiny-qwen2", eos: "<|endoftext|>" },
];

for (const { preset, eos, skip } of cases) {
  test(`${preset}: loads, round-trips ChatML text and generates`, { skip }, async () => {
    const modelPath = await ensureGeneratedModel(preset, testCacheDir);
    const model = await llama.loadModel({ modelPath });
    try {
      assert.equal(model.vocabularyType, "bpe");
      assert.equal(model.tokens.eosString, eos);
      assert.equal(model.tokens.shouldPrependBosToken, false);
      assert.match(model.fileInfo.metadata.tokenizer.chat_template ?? "", /<\|im_start\|>.*add_generation_prompt/s);

      const text = "Hello <|im_start|>user\nwörld 𝄞";
      const tokens = model.tokenize(text, true);
      assert.equal(model.detokenize(tokens, true), text);
      // With special tokens on, ChatML markers are single control tokens; off, plain text.
      assert.equal(model.tokenize("<|im_start|>", true).length, 1);
      assert.ok(model.tokenize("<|im_start|>", false).length > 1);
      assert.equal(model.detokenize(model.tokenize("<|im_end|>", true), false), "");

      const vocabSize = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
      const context = await model.createContext({ contextSize: 128, threads: 1 });
      try {
        const generated: number[] = [];
        for await (const token of context.getSequence().evaluate(tokens, { temperature: 0 })) {
          generated.push(token);
          if (generated.length === 4) break;
        }
        assert.equal(generated.length, 4);
        for (const token of generated) assert.ok(Number.isInteger(token) && token >= 0 && token < vocabSize, `token ${token}`);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
}
