/**
 * Named model specs: the built-in default model, the shapes tests load, and a
 * benchmark model shaped like Qwen2.5-0.5B-Instruct.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureLlamaCppModels } from "./llama-cpp-models.js";
import type { SyntheticModelSpec } from "./model-spec.js";

export const presetNames = ["builtin", "tiny-f32", "tiny-f16", "tiny-q8_0", "tiny-qwen2", "bench-qwen2.5-0.5b", "tiny-bert", "bench-bge-small"] as const;
export type PresetName = (typeof presetNames)[number];

export function isPresetName(name: string): name is PresetName {
  return (presetNames as readonly string[]).includes(name);
}

/** The real Qwen2 tokenizer (vocab-only GGUF from llama.cpp, unpacked into the cache on first use). */
export function qwen2VocabPath(): string {
  return join(ensureLlamaCppModels().dir, "ggml-vocab-qwen2.gguf");
}
/** The real WordPiece tokenizer of bge (BERT uncased, 30522 tokens). */
function bertVocabPath(): string {
  return join(ensureLlamaCppModels().dir, "ggml-vocab-bert-bge.gguf");
}
function qwen25Template(): string {
  return readFileSync(join(ensureLlamaCppModels().templatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja"), "utf8");
}

// Small enough to generate in milliseconds and run on one thread; hidden is a
// multiple of 32 so the same shape works as Q8_0.
const tiny: Omit<SyntheticModelSpec, "name" | "weightType"> = {
  architecture: "llama",
  numLayers: 2,
  hidden: 64,
  numHeads: 4,
  numKvHeads: 2,
  ffn: 128,
  vocab: { kind: "byte-level" },
  contextLength: 2048,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  tiedEmbeddings: false,
  seed: 1,
};

/** Resolved at call time: the presets with a real vocabulary unpack llama.cpp's files on first use. */
export function getPreset(name: PresetName): SyntheticModelSpec {
  switch (name) {
    case "builtin":
      return { ...tiny, name: "pagoda-builtin", weightType: "F32", seed: 20240601 };
    case "tiny-f32":
      return { ...tiny, name: "pagoda-tiny-f32", weightType: "F32" };
    case "tiny-f16":
      return { ...tiny, name: "pagoda-tiny-f16", weightType: "F16" };
    case "tiny-q8_0":
      return { ...tiny, name: "pagoda-tiny-q8_0", weightType: "Q8_0" };
    case "tiny-qwen2":
      return {
        ...tiny,
        name: "pagoda-tiny-qwen2",
        architecture: "qwen2",
        vocab: { kind: "gguf", path: qwen2VocabPath() },
        tiedEmbeddings: true,
        ropeTheta: 1e6,
        rmsNormEps: 1e-6,
        weightType: "Q8_0",
      };
    case "tiny-bert":
      return bertPreset({ name: "pagoda-tiny-bert", numLayers: 2, hidden: 64, numHeads: 4, ffn: 128, poolingType: "mean", weightType: "F32", seed: 7 });
    case "bench-bge-small":
      // bge-small-en-v1.5's shapes and pooling; F16 as its usual GGUF.
      return bertPreset({ name: "pagoda-bench-bge-small", numLayers: 12, hidden: 384, numHeads: 12, ffn: 1536, poolingType: "cls", weightType: "F16", seed: 8 });
    case "bench-qwen2.5-0.5b":
      return {
        name: "pagoda-bench-qwen2.5-0.5b",
        architecture: "qwen2",
        numLayers: 24,
        hidden: 896,
        numHeads: 14,
        numKvHeads: 2,
        ffn: 4864,
        vocab: { kind: "gguf", path: qwen2VocabPath() },
        chatTemplate: qwen25Template(),
        contextLength: 32768,
        ropeTheta: 1e6,
        rmsNormEps: 1e-6,
        tiedEmbeddings: true,
        weightType: "Q8_0",
        seed: 5,
      };
  }
}

type BertShape = Pick<SyntheticModelSpec, "name" | "numLayers" | "hidden" | "numHeads" | "ffn" | "poolingType" | "weightType" | "seed">;

function bertPreset(shape: BertShape): SyntheticModelSpec {
  return {
    ...shape,
    architecture: "bert",
    numKvHeads: shape.numHeads,
    vocab: { kind: "gguf", path: bertVocabPath() },
    contextLength: 512,
    ropeTheta: 10000, // unused: BERT has learned positions
    rmsNormEps: 1e-12,
    tiedEmbeddings: true,
  };
}
