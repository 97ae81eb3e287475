/**
 * Writes a GGUF LoRA adapter for a generated (or any) base model, in
 * llama.cpp's adapter format (src/llama-adapter.cpp): general.type "adapter",
 * adapter.type "lora", adapter.lora.alpha, and for an adapted weight W with
 * ggml shape [in, out] the pair `W.lora_a` [in, rank] and `W.lora_b`
 * [rank, out]; llama.cpp adds (alpha / rank) * B·A to W at every decode.
 *
 * The weights are random and large (std 1), so the adapter visibly changes
 * the base model's greedy output: it exists to test adapter serving.
 */
import { readGgufInfoSync } from "./gguf-reader.js";
import { gguf } from "./gguf-types.js";
import { writeGguf, type GgufTensorSource } from "./gguf-writer.js";
import { hashString, Mulberry32 } from "./mulberry32.js";

export interface LoraAdapterOptions {
  rank?: number;
  seed?: number;
}

/** Adapts the output projection (the strongest lever on the next token), else the first attention output. */
const targetNames = ["output.weight", "blk.0.attn_output.weight"];

export async function generateLoraAdapter(basePath: string, outPath: string, options: LoraAdapterOptions = {}): Promise<void> {
  const rank = options.rank ?? 4;
  const seed = options.seed ?? 7;
  const base = readGgufInfoSync(basePath);
  const architecture = base.metadata.get("general.architecture");
  if (architecture?.type !== "string") throw new Error(`${basePath} has no general.architecture`);
  const target = targetNames.map((name) => base.tensors.find((tensor) => tensor.name === name)).find((tensor) => tensor !== undefined);
  if (!target || target.shape.length !== 2) throw new Error(`${basePath} has none of ${targetNames.join(", ")}`);
  const [inputs, outputs] = target.shape;
  const metadata = new Map([
    ["general.architecture", gguf.str(architecture.value)],
    ["general.type", gguf.str("adapter")],
    ["general.name", gguf.str(`pagoda-test-lora-${seed}`)],
    ["adapter.type", gguf.str("lora")],
    // alpha = rank: a scale of 1 on B·A.
    ["adapter.lora.alpha", gguf.f32(rank)],
  ]);
  await writeGguf(outPath, metadata, [
    randomTensor(`${target.name}.lora_a`, [inputs, rank], seed),
    randomTensor(`${target.name}.lora_b`, [rank, outputs], seed),
  ]);
}

function randomTensor(name: string, shape: number[], seed: number): GgufTensorSource {
  return {
    name,
    shape,
    type: "F32",
    *chunks() {
      const values = new Float32Array(shape[0] * shape[1]);
      new Mulberry32(hashString(name, seed)).fillNormalish(values, 1);
      yield values;
    },
  };
}
