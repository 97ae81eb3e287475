import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateModel } from "./generate-model.js";
import { readGgufInfo } from "./gguf-reader.js";
import { getPreset } from "./presets.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pagoda-bert-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("tiny-bert: llama.cpp's bert tensors and keys, with bge's WordPiece vocab", async () => {
  const spec = getPreset("tiny-bert");
  const path = join(dir, "bert.gguf");
  await generateModel(spec, path);
  const info = await readGgufInfo(path);
  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  const kv = (key: string) => info.metadata.get(key);

  assert.deepEqual(kv("general.architecture"), { type: "string", value: "bert" });
  assert.deepEqual(kv("bert.attention.causal"), { type: "bool", value: false });
  assert.deepEqual(kv("bert.pooling_type"), { type: "uint32", value: 1 }); // mean
  assert.deepEqual(kv("bert.context_length"), { type: "uint32", value: 512 });
  assert.equal(kv("bert.attention.layer_norm_epsilon")?.type, "float32");
  assert.deepEqual(kv("tokenizer.ggml.model"), { type: "string", value: "bert" });
  assert.deepEqual(kv("tokenizer.ggml.token_type_count"), { type: "uint32", value: 2 });
  const vocab = (kv("tokenizer.ggml.tokens")?.value as string[]).length;
  assert.equal(vocab, 30522);

  assert.deepEqual(byName.get("token_embd.weight")?.shape, [64, vocab]);
  assert.deepEqual(byName.get("token_types.weight")?.shape, [64, 2]);
  assert.deepEqual(byName.get("position_embd.weight")?.shape, [64, 512]);
  for (const name of ["token_embd_norm.weight", "token_embd_norm.bias", "blk.1.attn_output_norm.bias", "blk.1.layer_output_norm.weight"]) {
    assert.deepEqual(byName.get(name)?.shape, [64], name);
  }
  assert.deepEqual(byName.get("blk.1.ffn_up.weight")?.shape, [64, 128]);
  assert.deepEqual(byName.get("blk.1.ffn_down.weight")?.shape, [128, 64]);
  assert.deepEqual(byName.get("blk.0.attn_q.bias")?.shape, [64]);
  assert.ok(!byName.has("output.weight") && !byName.has("blk.0.ffn_gate.weight"));
  assert.equal(info.tensors.length, 5 + spec.numLayers * 16);
});

test("bench-bge-small has bge-small's shapes and CLS pooling", () => {
  const spec = getPreset("bench-bge-small");
  assert.deepEqual([spec.numLayers, spec.hidden, spec.numHeads, spec.ffn, spec.poolingType], [12, 384, 12, 1536, "cls"]);
});
