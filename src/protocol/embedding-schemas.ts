/**
 * Wire schema of POST /v1/embeddings: OpenAI's fields plus vLLM's extensions
 * (`normalize`, `truncate_prompt_tokens`, `add_special_tokens`). Unknown
 * fields are accepted and ignored, as on the other routes.
 */
import { z } from "zod";

const tokenIds = z.array(z.number().int().min(0, "token ids are >= 0"));

export const embeddingRequestSchema = z.looseObject({
  model: z.string().nullish(),
  /** A string, a list of strings, a list of token ids, or a list of lists of token ids. */
  input: z.union([z.string(), z.array(z.string()), tokenIds, z.array(tokenIds)]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1, "must be >= 1").nullish(),
  user: z.string().nullish(),
  /** vLLM's: false returns the pooled vectors as they are. Default true. */
  normalize: z.boolean().nullish(),
  /** vLLM's: keep only the first k tokens of each input (-1: the model's limit) instead of a 400. */
  truncate_prompt_tokens: z.number().int().min(-1, "must be -1 or >= 1").nullish(),
  /** vLLM's: add the tokenizer's special tokens ([CLS] ... [SEP] for BERT) to text inputs. Default true. */
  add_special_tokens: z.boolean().nullish(),
});

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;
