import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateModel, planTensors } from "./generate-model.js";
import { readGgufInfo, readGgufMetadata } from "./gguf-reader.js";
import { dequantizeQ8_0 } from "./tensor-encoding.js";
import type { SyntheticModelSpec } from "./model-spec.js";
import { getPreset, qwen2VocabPath } from "./presets.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pagoda-gen-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = async (path: string) => createHash("sha256").update(await readFile(path)).digest("hex");

test("same spec twice gives byte-identical files; another seed does not", async () => {
  const spec = getPreset("tiny-q8_0");
  await generateModel(spec, join(dir, "a.gguf"));
  await generateModel({ ...spec }, join(dir, "b.gguf"));
  await generateModel({ ...spec, seed: spec.seed + 1 }, join(dir, "c.gguf"));
  const [a, b, c] = await Promise.all(["a", "b", "c"].map((n) => sha256(join(dir, `${n}.gguf`))));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test("llama tensors: names, ggml shapes (innermost first) and types", async () => {
  const spec = getPreset("tiny-q8_0");
  const path = join(dir, "llama.gguf");
  await generateModel(spec, path);
  const info = await readGgufInfo(path);
  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  const vocab = (info.metadata.get("tokenizer.ggml.tokens")?.value as string[]).length;
  assert.equal(info.tensors.length, 3 + spec.numLayers * 9);
  assert.deepEqual(byName.get("token_embd.weight")?.shape, [64, vocab]);
  assert.deepEqual(byName.get("output.weight")?.shape, [64, vocab]);
  assert.deepEqual(byName.get("output_norm.weight"), { ...byName.get("output_norm.weight"), shape: [64], type: "F32" });
  assert.deepEqual(byName.get("blk.1.attn_q.weight")?.shape, [64, 64]);
  assert.deepEqual(byName.get("blk.1.attn_k.weight")?.shape, [64, 32]); // headDim 16 * 2 KV heads
  assert.deepEqual(byName.get("blk.1.ffn_up.weight")?.shape, [64, 128]);
  assert.deepEqual(byName.get("blk.1.ffn_down.weight")?.shape, [128, 64]);
  assert.equal(byName.get("blk.0.ffn_gate.weight")?.type, "Q8_0");
  assert.equal(byName.get("blk.0.attn_norm.weight")?.type, "F32");
  assert.ok(!byName.has("blk.0.attn_q.bias"));

  const kv = (key: string) => info.metadata.get(key);
  assert.deepEqual(kv("general.architecture"), { type: "string", value: "llama" });
  assert.deepEqual(kv("llama.context_length"), { type: "uint32", value: 2048 });
  assert.deepEqual(kv("llama.attention.head_count_kv"), { type: "uint32", value: 2 });
  assert.deepEqual(kv("llama.rope.freq_base"), { type: "float32", value: 10000 });
  assert.deepEqual(kv("general.file_type"), { type: "uint32", value: 7 });
});

test("weights are small, centred and not degenerate; norms are 1", async () => {
  const path = join(dir, "weights.gguf");
  await generateModel(getPreset("tiny-q8_0"), path);
  const info = await readGgufInfo(path);
  const file = await readFile(path);
  const tensor = (name: string) => info.tensors.find((t) => t.name === name)!;
  const q = tensor("blk.0.attn_q.weight");
  const values = dequantizeQ8_0(file.subarray(info.dataOffset + q.offset, info.dataOffset + q.offset + (64 * 64 / 32) * 34));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(std - 1 / 8) < 0.01, `std ${std}`); // 1/sqrt(fan-in 64)
  const norm = tensor("blk.0.ffn_norm.weight");
  const normStart = info.dataOffset + norm.offset;
  for (let i = 0; i < 64; i++) assert.equal(file.readFloatLE(normStart + i * 4), 1);
});

test("qwen2 adds q/k/v biases; tied embeddings drop output.weight", () => {
  const spec: SyntheticModelSpec = { ...getPreset("tiny-f32"), architecture: "qwen2", tiedEmbeddings: true };
  const names = planTensors(spec, 300).map((t) => t.name);
  assert.ok(names.includes("blk.0.attn_q.bias") && names.includes("blk.1.attn_v.bias"));
  assert.deepEqual(planTensors(spec, 300).find((t) => t.name === "blk.0.attn_k.bias")?.shape, [32]);
  assert.ok(!names.includes("output.weight"));
});

test("Q8_0 keeps rows that are not a multiple of 32 in F32", () => {
  const spec: SyntheticModelSpec = { ...getPreset("tiny-q8_0"), hidden: 48, numHeads: 3, numKvHeads: 1, ffn: 64 };
  const types = new Map(planTensors(spec, 300).map((t) => [t.name, t.type]));
  assert.equal(types.get("blk.0.attn_q.weight"), "F32"); // rows of 48
  assert.equal(types.get("blk.0.ffn_down.weight"), "Q8_0"); // rows of 64
});

test("the bench preset has Qwen2.5-0.5B's shapes", () => {
  const spec = getPreset("bench-qwen2.5-0.5b");
  const plan = planTensors(spec, 151936);
  const params = plan.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(params, 494032768); // Qwen2.5-0.5B's parameter count (tied embeddings)
  assert.ok(plan.every((t) => t.type === (t.shape.length === 1 ? "F32" : "Q8_0")));
});

test("vocabFrom a GGUF copies every tokenizer key and can override the template", async () => {
  const spec: SyntheticModelSpec = { ...getPreset("tiny-qwen2"), numLayers: 1, chatTemplate: "{{ messages }}" };
  const path = join(dir, "qwen2.gguf");
  await generateModel(spec, path);
  const source = await readGgufMetadata(qwen2VocabPath());
  const info = await readGgufInfo(path);
  for (const [key, value] of source) {
    if (key.startsWith("tokenizer.") && key !== "tokenizer.chat_template") assert.deepEqual(info.metadata.get(key), value, key);
  }
  assert.equal(info.metadata.get("tokenizer.chat_template")?.value, "{{ messages }}");
  const vocab = (source.get("tokenizer.ggml.tokens")?.value as string[]).length;
  assert.deepEqual(info.tensors.find((t) => t.name === "token_embd.weight")?.shape, [64, vocab]);
  assert.deepEqual(info.metadata.get("qwen2.vocab_size"), { type: "uint32", value: vocab });
});

test("invalid specs are rejected before writing", async () => {
  const spec = getPreset("tiny-f32");
  await assert.rejects(generateModel({ ...spec, numHeads: 5 }, join(dir, "x.gguf")), /divisible by numHeads/);
  await assert.rejects(generateModel({ ...spec, numKvHeads: 3 }, join(dir, "x.gguf")), /numKvHeads/);
});
