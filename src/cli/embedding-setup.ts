/**
 * How `pagoda serve` serves embeddings:
 * - a GGUF that declares a pooling type or non-causal attention (BERT, bge,
 *   nomic-bert, ...) is an embedding model: /v1/embeddings with its own
 *   pooling (or --pooling's), and the generation routes answer 400;
 * - a generation model serves /v1/embeddings only with --pooling mean|cls|last
 *   (a second, embeddings-only llama.cpp context on the same weights);
 *   without it the route answers 400 naming the flag. The built-in model
 *   (a bare `pagoda serve`) gets --pooling mean unless told otherwise, so
 *   every route answers on the default start.
 */
import { UsageError } from "../errors.js";
import { readGgufInfoSync } from "../models/gguf-reader.js";
import { EmbeddingBatcher } from "../engine/embedding-batcher.js";
import type { EmbeddingPooling } from "../engine/embedding-runner.js";
import { poolingId, type GgufPooling } from "../runner/embedding-traits.js";
import type { LlamaRunner } from "../runner/llama-runner.js";

const servablePoolings: readonly EmbeddingPooling[] = ["mean", "cls", "last"];

export interface EmbeddingSetup {
  isEmbeddingOnly: boolean;
  /** null: /v1/embeddings is off (a generation model without --pooling). */
  batcher: EmbeddingBatcher | null;
  dimensions: number;
  maxInputTokens: number;
  /** Appended to text inputs of an embedding model ([SEP]); null otherwise. */
  endToken: number | null;
  /** One line for the banner. */
  summary: string;
  close(): Promise<void>;
}

/** `--pooling` checked, and the metadata override that loads the model with it (reads the GGUF header only then). */
export function poolingOverrides(modelPath: string, pooling: string | null): Record<string, Record<string, number>> | undefined {
  if (pooling === null) return undefined;
  if (!servablePoolings.includes(pooling as EmbeddingPooling)) {
    throw new UsageError(`--pooling must be one of ${servablePoolings.join(", ")}, not '${pooling}'`);
  }
  const architecture = readGgufInfoSync(modelPath, { skipArrays: true }).metadata.get("general.architecture")?.value;
  if (typeof architecture !== "string") throw new UsageError(`${modelPath} has no general.architecture`);
  return { [architecture]: { pooling_type: poolingId(pooling as GgufPooling) } };
}

export async function setUpEmbeddings(
  runner: LlamaRunner,
  options: { pooling: string | null; maxInputTokens: number; maxBatchTokens: number; threads: number; maxWaitingRequests: number },
): Promise<EmbeddingSetup> {
  // With --pooling the loaded metadata carries the override, so only
  // non-causal attention still marks an embedding-only model then.
  const traits = runner.embeddingTraits();
  const hasOwnPooling = options.pooling === null && traits.pooling !== null && traits.pooling !== "none";
  const isEmbeddingOnly = !traits.isCausal || hasOwnPooling;
  const pooling = (options.pooling ?? traits.pooling) as EmbeddingPooling | null;
  if (pooling === null || !servablePoolings.includes(pooling)) {
    if (isEmbeddingOnly) throw new UsageError(`this model's pooling (${traits.pooling ?? "none"}) is not served; pass --pooling mean, cls or last`);
    return {
      isEmbeddingOnly,
      batcher: null,
      dimensions: 0,
      maxInputTokens: 0,
      endToken: null,
      summary: "off (start with --pooling mean|cls|last to serve them from this model)",
      close: async () => {},
    };
  }
  const embeddingRunner = await runner.createEmbeddingRunner({ maxInputTokens: options.maxInputTokens, threads: options.threads, pooling });
  const { info } = embeddingRunner;
  const batcher = new EmbeddingBatcher(embeddingRunner, {
    maxBatchTokens: Math.max(options.maxBatchTokens, info.maxInputTokens),
    maxWaitingRequests: options.maxWaitingRequests,
  });
  return {
    isEmbeddingOnly,
    batcher,
    dimensions: info.dimensions,
    maxInputTokens: info.maxInputTokens,
    endToken: isEmbeddingOnly ? traits.endToken : null,
    summary: `${info.dimensions} dimensions, ${pooling} pooling, inputs up to ${info.maxInputTokens} tokens${isEmbeddingOnly ? " (embedding model: no text generation)" : ""}`,
    close: async () => {
      await batcher.stop();
      await embeddingRunner.close();
    },
  };
}
