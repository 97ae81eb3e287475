/**
 * Writes a complete llama.cpp-loadable model for a SyntheticModelSpec: metadata, tokenizer and
 * seeded random weights, generated and written one tensor (chunk) at a time.
 */
import { buildByteLevelVocab } from "./byte-level-tokenizer.js";
import { readGgufMetadata, pickKeys } from "./gguf-reader.js";
import { gguf, type GgmlTypeName, type GgufMetadata } from "./gguf-types.js";
import { writeGguf, type GgufTensorSource } from "./gguf-writer.js";
import { fileTypeOf, headDim, validateSpec, type SyntheticModelSpec } from "./model-spec.js";
import { hashString, Mulberry32 } from "./mulberry32.js";
import { bertMetadata, planBertTensors } from "./bert-model.js";
import type { PlannedTensor } from "./planned-tensor.js";


export async function generateModel(spec: SyntheticModelSpec, outPath: string): Promise<void> {
  validateSpec(spec);
  const tokenizer = await tokenizerMetadata(spec);
  const tokens = tokenizer.get("tokenizer.ggml.tokens");
  if (tokens?.type !== "array") throw new Error("vocab has no tokenizer.ggml.tokens");
  const vocabSize = tokens.value.length;
  const isBert = spec.architecture === "bert";
  const metadata = new Map([...(isBert ? bertMetadata(spec, vocabSize) : modelMetadata(spec, vocabSize)), ...tokenizer]);
  const tensors = (isBert ? planBertTensors(spec, vocabSize) : planTensors(spec, vocabSize)).map((t) => tensorSource(t, spec.seed));
  await writeGguf(outPath, metadata, tensors);
}

export async function tokenizerMetadata(spec: SyntheticModelSpec): Promise<GgufMetadata> {
  const metadata =
    spec.vocab.kind === "byte-level"
      ? buildByteLevelVocab({ size: spec.vocab.size }).metadata
      : pickKeys(await readGgufMetadata(spec.vocab.path), "tokenizer.");
  if (spec.chatTemplate !== undefined) metadata.set("tokenizer.chat_template", gguf.str(spec.chatTemplate));
  return metadata;
}

export function modelMetadata(spec: SyntheticModelSpec, vocabSize: number): GgufMetadata {
  const a = spec.architecture;
  return new Map([
    ["general.architecture", gguf.str(a)],
    ["general.name", gguf.str(spec.name)],
    ["general.file_type", gguf.u32(fileTypeOf[spec.weightType])],
    ["general.quantization_version", gguf.u32(2)],
    [`${a}.vocab_size`, gguf.u32(vocabSize)],
    [`${a}.context_length`, gguf.u32(spec.contextLength)],
    [`${a}.embedding_length`, gguf.u32(spec.hidden)],
    [`${a}.block_count`, gguf.u32(spec.numLayers)],
    [`${a}.feed_forward_length`, gguf.u32(spec.ffn)],
    [`${a}.attention.head_count`, gguf.u32(spec.numHeads)],
    [`${a}.attention.head_count_kv`, gguf.u32(spec.numKvHeads)],
    [`${a}.rope.freq_base`, gguf.f32(spec.ropeTheta)],
    [`${a}.rope.dimension_count`, gguf.u32(headDim(spec))],
    [`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(spec.rmsNormEps)],
  ]);
}

/** Tensor names and ggml shapes ([row length, rows]) as llama.cpp's loader asks for them. */
export function planTensors(spec: SyntheticModelSpec, vocabSize: number): PlannedTensor[] {
  const { hidden, ffn } = spec;
  const kvDim = headDim(spec) * spec.numKvHeads;
  const out: PlannedTensor[] = [];
  const matrix = (name: string, cols: number, rows: number) =>
    // 1/sqrt(fan-in) keeps activations around unit scale through every layer, so
    // logits come out with std ~1: neither uniform nor one-hot.
    out.push({ name, shape: [cols, rows], type: matrixType(spec, cols), init: { kind: "random", std: 1 / Math.sqrt(cols) } });
  const norm = (name: string, size: number) => out.push({ name, shape: [size], type: "F32", init: { kind: "ones" } });
  const bias = (name: string, size: number) => out.push({ name, shape: [size], type: "F32", init: { kind: "random", std: 0.02 } });

  matrix("token_embd.weight", hidden, vocabSize);
  for (let i = 0; i < spec.numLayers; i++) {
    const blk = `blk.${i}`;
    norm(`${blk}.attn_norm.weight`, hidden);
    matrix(`${blk}.attn_q.weight`, hidden, hidden);
    matrix(`${blk}.attn_k.weight`, hidden, kvDim);
    matrix(`${blk}.attn_v.weight`, hidden, kvDim);
    if (spec.architecture === "qwen2") {
      bias(`${blk}.attn_q.bias`, hidden);
      bias(`${blk}.attn_k.bias`, kvDim);
      bias(`${blk}.attn_v.bias`, kvDim);
    }
    matrix(`${blk}.attn_output.weight`, hidden, hidden);
    norm(`${blk}.ffn_norm.weight`, hidden);
    matrix(`${blk}.ffn_gate.weight`, hidden, ffn);
    matrix(`${blk}.ffn_up.weight`, hidden, ffn);
    matrix(`${blk}.ffn_down.weight`, ffn, hidden);
  }
  norm("output_norm.weight", hidden);
  if (!spec.tiedEmbeddings) matrix("output.weight", hidden, vocabSize);
  return out;
}

/** Q8_0 blocks are 32 values of one row; rows that don't divide stay F32. */
function matrixType(spec: SyntheticModelSpec, rowLength: number): GgmlTypeName {
  return spec.weightType === "Q8_0" && rowLength % 32 !== 0 ? "F32" : spec.weightType;
}

/** ~1M values per chunk, in whole rows, so memory stays flat whatever the tensor size. */
const CHUNK_VALUES = 1 << 20;

function tensorSource(t: PlannedTensor, seed: number): GgufTensorSource {
  return {
    name: t.name,
    shape: t.shape,
    type: t.type,
    *chunks() {
      const rowLength = t.shape[0];
      const rows = t.shape.slice(1).reduce((a, b) => a * b, 1);
      const rowsPerChunk = Math.max(1, Math.floor(CHUNK_VALUES / rowLength));
      const random = new Mulberry32(hashString(t.name, seed));
      // One buffer reused for every chunk: the writer encodes a chunk before pulling the next.
      const buffer = new Float32Array(Math.min(rowsPerChunk, rows) * rowLength);
      for (let row = 0; row < rows; row += rowsPerChunk) {
        const values = buffer.subarray(0, Math.min(rowsPerChunk, rows - row) * rowLength);
        if (t.init.kind === "ones") values.fill(1);
        else random.fillNormalish(values, t.init.std);
        yield values;
      }
    },
  };
}
