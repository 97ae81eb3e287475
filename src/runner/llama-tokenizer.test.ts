/**
 * pagoda's tokenize path against llama.cpp's own tokenizer test vectors
 * (llama.cpp's models/ folder: `.inp` texts and the expected ids in `.out`), on the
 * real vocabularies of Qwen2, Llama 3, Llama 2, Phi-3, GPT-2, BERT and DeepSeek.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { vocabDir } from "../testing/paths.js";
import { LlamaTokenizer } from "./llama-tokenizer.js";

const separator = "\n__ggml_vocab_test__\n";
const vocabs = readdirSync(vocabDir).filter((name) => name.endsWith(".gguf"));

let llama: Llama;
before(async () => {
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
});
after(async () => {
  await llama.dispose();
});

test("the vocabulary fixtures are present", () => {
  assert.ok(vocabs.length >= 7, `expected the llama.cpp vocab fixtures in ${vocabDir}`);
});

for (const name of vocabs) {
  test(`tokenizes like llama.cpp: ${name}`, async () => {
    const inputs = readFileSync(join(vocabDir, `${name}.inp`), "utf8").split(separator).slice(0, -1);
    const expected = readFileSync(join(vocabDir, `${name}.out`), "utf8").split("\n").slice(0, inputs.length);
    assert.equal(expected.length, inputs.length);
    const model = await llama.loadModel({ modelPath: join(vocabDir, name), vocabOnly: true });
    try {
      const tokenizer = new LlamaTokenizer(model);
      inputs.forEach((text, i) => {
        const want = expected[i].trim() === "" ? [] : expected[i].trim().split(/\s+/).map(Number);
        assert.deepEqual(tokenizer.tokenize(text, { parseSpecialTokens: false }), want, `input ${i}: ${JSON.stringify(text)}`);
      });
    } finally {
      await model.dispose();
    }
  });
}
