/**
 * What a generated model looks like: a real llama.cpp architecture with chosen
 * sizes. Everything that affects the file's bytes is in here (plus the vocab
 * file's content), which is what lets the cache key files by spec.
 */

export type Architecture = "llama" | "qwen2" | "bert";
/** llama.cpp `llama_pooling_type` names, written as `{arch}.pooling_type` (bert only). */
export type PoolingType = "none" | "mean" | "cls" | "last";
export type WeightType = "F32" | "F16" | "Q8_0";

export type VocabSource =
  /** Our own byte-level BPE vocab, optionally padded with unused tokens to `size`. */
  | { kind: "byte-level"; size?: number }
  /** Copy every `tokenizer.*` key from a GGUF (e.g. a vocab-only llama.cpp fixture). */
  | { kind: "gguf"; path: string };

/** The spec of a synthetic GGUF (seeded random weights), not of a model a user serves (cli's ServedModelSpec). */
export interface SyntheticModelSpec {
  /** general.name */
  name: string;
  /** "qwen2" is llama plus q/k/v biases; "bert" is a non-causal encoder (./bert-model.ts). */
  architecture: Architecture;
  numLayers: number;
  hidden: number;
  numHeads: number;
  numKvHeads: number;
  ffn: number;
  vocab: VocabSource;
  /** Overrides tokenizer.chat_template from the vocab. */
  chatTemplate?: string;
  contextLength: number;
  ropeTheta: number;
  /** For "bert", the LayerNorm epsilon. */
  rmsNormEps: number;
  /** How "bert" pools token states into one embedding; llama.cpp reads it as the default. */
  poolingType?: PoolingType;
  /** No output.weight: llama.cpp reuses token_embd for the output projection. */
  tiedEmbeddings: boolean;
  /** Type of the 2-D weights; 1-D tensors are always F32, as llama.cpp's quantizer does. */
  weightType: WeightType;
  seed: number;
}

/** llama.cpp `llama_ftype` for general.file_type. */
export const fileTypeOf: Record<WeightType, number> = { F32: 0, F16: 1, Q8_0: 7 };


export function headDim(spec: SyntheticModelSpec): number {
  return spec.hidden / spec.numHeads;
}

export function validateSpec(spec: SyntheticModelSpec): void {
  const ints = ["numLayers", "hidden", "numHeads", "numKvHeads", "ffn", "contextLength", "seed"] as const;
  for (const key of ints) {
    const min = key === "seed" ? 0 : 1;
    if (!Number.isSafeInteger(spec[key]) || spec[key] < min) throw new Error(`spec.${key} must be an integer >= ${min}`);
  }
  if (spec.hidden % spec.numHeads !== 0) throw new Error("hidden must be divisible by numHeads");
  if (spec.numHeads % spec.numKvHeads !== 0) throw new Error("numHeads must be divisible by numKvHeads (GQA groups)");
  if (headDim(spec) % 2 !== 0) throw new Error("head dimension must be even for RoPE");
  if (!(spec.ropeTheta > 0) || !(spec.rmsNormEps > 0)) throw new Error("ropeTheta and rmsNormEps must be positive");
  if (spec.vocab.kind === "byte-level" && spec.vocab.size !== undefined && !Number.isSafeInteger(spec.vocab.size)) {
    throw new Error("vocab.size must be an integer");
  }
}
