import assert from "node:assert/strict";
import { test } from "node:test";
import { availableQuants, hasQuant, pickGgufFiles, quantOfFile, splitPartOf } from "./quant-picker.js";

const qwen = [
  ".gitattributes",
  "README.md",
  "qwen2.5-0.5b-instruct-fp16.gguf",
  "qwen2.5-0.5b-instruct-q2_k.gguf",
  "qwen2.5-0.5b-instruct-q4_k_m.gguf",
  "qwen2.5-0.5b-instruct-q4_k_s.gguf",
  "qwen2.5-0.5b-instruct-q8_0.gguf",
];

test("a quant matches case-insensitively and as a whole token", () => {
  assert.deepEqual(pickGgufFiles(qwen, "Q4_K_M")?.files, ["qwen2.5-0.5b-instruct-q4_k_m.gguf"]);
  assert.deepEqual(pickGgufFiles(qwen, "q8_0")?.files, ["qwen2.5-0.5b-instruct-q8_0.gguf"]);
  // Q4_K is not Q4_K_M or Q4_K_S.
  assert.equal(pickGgufFiles(qwen, "Q4_K"), null);
  assert.equal(hasQuant("model-Q4_K_M.gguf", "q4_k_m"), true);
  assert.equal(hasQuant("model-IQ4_XS.gguf", "Q4_XS"), false);
  assert.equal(hasQuant("Q8_0/model-Q8_0-00001-of-00002.gguf", "Q8_0"), true);
});

test("without a quant: Q4_K_M, else Q8_0, else the first GGUF, with the reason", () => {
  const picked = pickGgufFiles(qwen, null)!;
  assert.deepEqual(picked.files, ["qwen2.5-0.5b-instruct-q4_k_m.gguf"]);
  assert.match(picked.reason, /Q4_K_M, the default quant/);
  assert.deepEqual(pickGgufFiles(["m-Q8_0.gguf", "m-F16.gguf"], null)?.files, ["m-Q8_0.gguf"]);
  const first = pickGgufFiles(["README.md", "m-Q6_K.gguf", "m-Q5_K_M.gguf"], null)!;
  assert.deepEqual(first.files, ["m-Q5_K_M.gguf"]);
  assert.equal(first.quant, "Q5_K_M");
  assert.match(first.reason, /first GGUF/);
});

test("projector and imatrix files are never picked", () => {
  assert.deepEqual(pickGgufFiles(["mmproj-model-f16.gguf", "model-Q4_K_M.gguf"], null)?.files, ["model-Q4_K_M.gguf"]);
  assert.equal(pickGgufFiles(["mmproj-Q8_0.gguf", "README.md"], null), null);
});

test("a split quant brings all its parts in order, the first one first", () => {
  const files = [
    "Q4_K_M/Big-Q4_K_M-00003-of-00003.gguf",
    "Q4_K_M/Big-Q4_K_M-00001-of-00003.gguf",
    "Q4_K_M/Big-Q4_K_M-00002-of-00003.gguf",
    "Q8_0/Big-Q8_0-00001-of-00002.gguf",
    "Q8_0/Big-Q8_0-00002-of-00002.gguf",
  ];
  assert.deepEqual(pickGgufFiles(files, "q4_k_m")?.files, [
    "Q4_K_M/Big-Q4_K_M-00001-of-00003.gguf",
    "Q4_K_M/Big-Q4_K_M-00002-of-00003.gguf",
    "Q4_K_M/Big-Q4_K_M-00003-of-00003.gguf",
  ]);
  assert.deepEqual(pickGgufFiles(files, "Q8_0")?.files, ["Q8_0/Big-Q8_0-00001-of-00002.gguf", "Q8_0/Big-Q8_0-00002-of-00002.gguf"]);
  assert.deepEqual(splitPartOf("a/x-00002-of-00005.gguf"), { index: 2, count: 5, stem: "a/x" });
  assert.equal(splitPartOf("x.gguf"), null);
});

test("quant names are read from file names", () => {
  assert.equal(quantOfFile("qwen2.5-0.5b-instruct-q4_k_m.gguf"), "Q4_K_M");
  assert.equal(quantOfFile("Llama-3.2-1B-Instruct-IQ3_XS.gguf"), "IQ3_XS");
  assert.equal(quantOfFile("model.BF16-00001-of-00002.gguf"), "BF16");
  assert.equal(quantOfFile("model.gguf"), null);
  assert.deepEqual(availableQuants(qwen), ["FP16", "Q2_K", "Q4_K_M", "Q4_K_S", "Q8_0"].filter((q) => q !== "FP16"));
});
