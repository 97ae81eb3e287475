/** What a loaded model's GGUF says about embeddings: its pooling, whether it is causal, what ends its inputs. */
import type { LlamaModel } from "node-llama-cpp";

/** llama.cpp's `enum llama_pooling_type`, by id. */
const poolingNames = ["none", "mean", "cls", "last", "rank"] as const;
export type GgufPooling = (typeof poolingNames)[number];

export interface EmbeddingTraits {
  architecture: string;
  /** `{arch}.pooling_type` as loaded (--pooling's override included); null when absent, as in generation models. */
  pooling: GgufPooling | null;
  /** `{arch}.attention.causal`, true when absent. */
  isCausal: boolean;
  /**
   * The token llama.cpp appends to a text with special tokens: [SEP] for
   * WordPiece, EOS for Unigram or a tokenizer that asks for it (as
   * node-llama-cpp's resolveEndTokenToAppend).
   */
  endToken: number | null;
}

export function readEmbeddingTraits(model: LlamaModel): EmbeddingTraits {
  const metadata = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined> & {
    general?: { architecture?: string };
  };
  const architecture = metadata.general?.architecture ?? "";
  const archKeys = metadata[architecture] ?? {};
  const poolingId = archKeys.pooling_type;
  const causal = (archKeys.attention as { causal?: unknown } | undefined)?.causal;
  const { tokens } = model;
  const vocabularyType = String(model.vocabularyType);
  const endToken =
    vocabularyType === "wpm" ? tokens.sep : vocabularyType === "ugm" || tokens.shouldAppendEosToken ? tokens.eos : null;
  return {
    architecture,
    pooling: typeof poolingId === "number" ? (poolingNames[poolingId] ?? null) : null,
    isCausal: causal !== false,
    endToken: vocabularyType === "rwkv" ? null : (endToken as number | null),
  };
}

export function poolingId(pooling: GgufPooling): number {
  return poolingNames.indexOf(pooling);
}
