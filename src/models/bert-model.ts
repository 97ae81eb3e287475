/**
 * The metadata and tensors of llama.cpp's `bert` architecture (BERT, bge,
 * MiniLM): learned position and token-type embeddings, post-LayerNorm blocks,
 * a GELU FFN without gate, non-causal attention and a pooling type, as
 * llama.cpp's src/models/bert.cpp loads them. The WordPiece tokenizer comes
 * from the spec's vocab (it must declare `tokenizer.ggml.token_type_count`).
 */
import type { PlannedTensor } from "./planned-tensor.js";
import { gguf, type GgmlTypeName, type GgufMetadata } from "./gguf-types.js";
import { fileTypeOf, type SyntheticModelSpec, type PoolingType } from "./model-spec.js";

/** llama.cpp's `enum llama_pooling_type`. */
export const poolingTypeIds: Record<PoolingType, number> = { none: 0, mean: 1, cls: 2, last: 3 };

/** Sentence A and sentence B, as every BERT checkpoint has. */
const numTokenTypes = 2;

export function bertMetadata(spec: SyntheticModelSpec, vocabSize: number): GgufMetadata {
  return new Map([
    ["general.architecture", gguf.str("bert")],
    ["general.name", gguf.str(spec.name)],
    ["general.file_type", gguf.u32(fileTypeOf[spec.weightType])],
    ["general.quantization_version", gguf.u32(2)],
    ["bert.vocab_size", gguf.u32(vocabSize)],
    ["bert.context_length", gguf.u32(spec.contextLength)],
    ["bert.embedding_length", gguf.u32(spec.hidden)],
    ["bert.block_count", gguf.u32(spec.numLayers)],
    ["bert.feed_forward_length", gguf.u32(spec.ffn)],
    ["bert.attention.head_count", gguf.u32(spec.numHeads)],
    ["bert.attention.layer_norm_epsilon", gguf.f32(spec.rmsNormEps)],
    ["bert.attention.causal", gguf.bool(false)],
    ["bert.pooling_type", gguf.u32(poolingTypeIds[spec.poolingType ?? "mean"])],
  ]);
}

export function planBertTensors(spec: SyntheticModelSpec, vocabSize: number): PlannedTensor[] {
  const { hidden, ffn } = spec;
  const out: PlannedTensor[] = [];
  const matrixType = (rowLength: number): GgmlTypeName =>
    spec.weightType === "Q8_0" && rowLength % 32 !== 0 ? "F32" : spec.weightType;
  const matrix = (name: string, cols: number, rows: number) =>
    out.push({ name, shape: [cols, rows], type: matrixType(cols), init: { kind: "random", std: 1 / Math.sqrt(cols) } });
  // Embedding tables llama.cpp adds to F32 activations directly: kept F32.
  const table = (name: string, cols: number, rows: number) =>
    out.push({ name, shape: [cols, rows], type: "F32", init: { kind: "random", std: 1 / Math.sqrt(cols) } });
  const vector = (name: string, size: number, std: number) =>
    out.push({ name, shape: [size], type: "F32", init: { kind: "random", std } });
  const layerNorm = (name: string) => {
    out.push({ name: `${name}.weight`, shape: [hidden], type: "F32", init: { kind: "ones" } });
    vector(`${name}.bias`, hidden, 0.02);
  };
  const linear = (name: string, cols: number, rows: number) => {
    matrix(`${name}.weight`, cols, rows);
    vector(`${name}.bias`, rows, 0.02);
  };

  matrix("token_embd.weight", hidden, vocabSize);
  table("token_types.weight", hidden, numTokenTypes);
  table("position_embd.weight", hidden, spec.contextLength);
  layerNorm("token_embd_norm");
  for (let i = 0; i < spec.numLayers; i++) {
    const blk = `blk.${i}`;
    linear(`${blk}.attn_q`, hidden, hidden);
    linear(`${blk}.attn_k`, hidden, hidden);
    linear(`${blk}.attn_v`, hidden, hidden);
    linear(`${blk}.attn_output`, hidden, hidden);
    layerNorm(`${blk}.attn_output_norm`);
    linear(`${blk}.ffn_up`, hidden, ffn);
    linear(`${blk}.ffn_down`, ffn, hidden);
    layerNorm(`${blk}.layer_output_norm`);
  }
  return out;
}
