/**
 * POST /v1/embeddings: validate, tokenize (as /tokenize does, so
 * `usage.prompt_tokens` equals its `count`), check lengths, run the inputs
 * through the embedding batcher, and shape OpenAI's response.
 *
 * Decisions where OpenAI and vLLM leave room:
 * - vectors are L2-normalized unless `normalize: false` (vLLM's field);
 * - `dimensions` keeps the first N values and renormalizes (OpenAI's
 *   Matryoshka truncation) on any model; meaningful only for models trained
 *   for it; larger than the model's size is a 400;
 * - an input longer than the model's limit is a 400 `context_length_exceeded`
 *   unless `truncate_prompt_tokens` asks to keep its first k tokens (-1: the
 *   limit); a text input then keeps its end token ([SEP]);
 * - an empty string, an empty list or an empty token list is a 400, as OpenAI.
 */
import { randomBytes } from "node:crypto";
import type { CreateEmbeddingResponse } from "openai/resources/embeddings";
import { ContextLengthExceededError, InvalidRequestError, isExpectedError, ServiceUnavailableError } from "../errors.js";
import { embeddingRequestSchema, type EmbeddingRequest } from "./embedding-schemas.js";
import { shapeVector, toBase64 } from "./embedding-vectors.js";
import { parseRequest } from "./parse.js";
import type { PromptBuilder } from "./prompts.js";
import type { RequestHandle } from "../request-handle.js";
import type { ServingResult } from "./serving.js";

export interface EmbeddingEngine {
  embed(inputs: readonly (readonly number[])[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface EmbeddingsConfig {
  /** Length of the model's vectors. */
  dimensions: number;
  maxInputTokens: number;
  /** The token a text input ends with when special tokens are added ([SEP]), kept by truncation; null if none. */
  endToken: number | null;
}

/** OpenAI's limit on inputs per request. */
const maxInputsPerRequest = 2048;

type EmbeddingResponseBody = Omit<CreateEmbeddingResponse, "data"> & {
  id: string;
  created: number;
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
};

export class EmbeddingsServing {
  constructor(
    /** null: embeddings are off for this model (a generation model without --pooling). */
    private readonly engine: EmbeddingEngine | null,
    private readonly prompts: PromptBuilder,
    private readonly config: EmbeddingsConfig,
  ) {}

  /** `model`: the served name the request resolved to (serving/model-router.ts), echoed in the answer. */
  embeddings(body: Record<string, unknown>, handle: RequestHandle, model: string): ServingResult {
    const request = parseRequest(embeddingRequestSchema, body);
    if (this.engine === null) {
      throw new InvalidRequestError(
        "This server does not serve embeddings from this generation model; start pagoda with --pooling mean, cls or last to enable /v1/embeddings.",
        { param: "model" },
      );
    }
    const dimensions = request.dimensions ?? null;
    if (dimensions !== null && dimensions > this.config.dimensions) {
      throw new InvalidRequestError(`'dimensions' is ${dimensions}, but this model's embeddings have ${this.config.dimensions}.`, {
        param: "dimensions",
      });
    }
    const inputs = this.tokenizeInputs(request);
    const normalize = request.normalize ?? true;
    const isBase64 = request.encoding_format === "base64";
    const vectors = this.engine.embed(inputs, handle.signal).catch((error: unknown) => {
      // A client that went away: nobody reads the answer, and it is no internal error to log.
      if (handle.signal.aborted && !isExpectedError(error)) throw new ServiceUnavailableError("The request was aborted.");
      throw error;
    });
    const numTokens = inputs.reduce((sum, tokens) => sum + tokens.length, 0);
    const response = vectors.then(
      (list): EmbeddingResponseBody => ({
        id: `embd-${randomBytes(12).toString("hex")}`,
        object: "list",
        created: Math.floor(Date.now() / 1000),
        model,
        data: list.map((vector, index) => {
          const shaped = shapeVector(vector, { dimensions, normalize });
          return { object: "embedding", index, embedding: isBase64 ? toBase64(shaped) : Array.from(shaped) };
        }),
        usage: { prompt_tokens: numTokens, total_tokens: numTokens },
      }),
    );
    return { kind: "json", body: response };
  }

  private tokenizeInputs(request: EmbeddingRequest): number[][] {
    const { input } = request;
    const isSingle = typeof input === "string" || (input.length > 0 && typeof input[0] === "number");
    const list = (isSingle ? [input] : input) as Array<string | number[]>;
    if (list.length === 0) throw new InvalidRequestError("'input' must not be an empty list.", { param: "input" });
    if (list.length > maxInputsPerRequest) {
      throw new InvalidRequestError(`'input' has ${list.length} items; at most ${maxInputsPerRequest} are allowed.`, { param: "input" });
    }
    const limit = this.truncationLimit(request.truncate_prompt_tokens);
    const addSpecialTokens = request.add_special_tokens ?? true;
    return list.map((item, i) => {
      const param = isSingle ? "input" : `input[${i}]`;
      const isText = typeof item === "string";
      if (item.length === 0) throw new InvalidRequestError(`Input ${i} is empty.`, { param });
      let tokens: number[];
      if (isText) tokens = this.prompts.text(item, addSpecialTokens);
      else {
        this.prompts.checkTokenIds(item, param);
        tokens = item;
      }
      if (limit !== null && tokens.length > limit) return this.truncate(tokens, limit, isText && addSpecialTokens);
      if (tokens.length > this.config.maxInputTokens) {
        throw new ContextLengthExceededError(
          `Input ${i} has ${tokens.length} tokens, more than this model's maximum of ${this.config.maxInputTokens}. Shorten it, or send truncate_prompt_tokens.`,
          param,
        );
      }
      return tokens;
    });
  }

  private truncationLimit(truncatePromptTokens: number | null | undefined): number | null {
    if (truncatePromptTokens == null) return null;
    if (truncatePromptTokens === -1) return this.config.maxInputTokens;
    if (truncatePromptTokens === 0 || truncatePromptTokens > this.config.maxInputTokens) {
      throw new InvalidRequestError(
        `'truncate_prompt_tokens' must be -1 or between 1 and the model's maximum of ${this.config.maxInputTokens}.`,
        { param: "truncate_prompt_tokens" },
      );
    }
    return truncatePromptTokens;
  }

  /** The first `limit` tokens; a text input keeps its end token, as a tokenizer truncating with special tokens does. */
  private truncate(tokens: number[], limit: number, keepEndToken: boolean): number[] {
    const { endToken } = this.config;
    if (keepEndToken && endToken !== null && limit > 1 && tokens.at(-1) === endToken) return [...tokens.slice(0, limit - 1), endToken];
    return tokens.slice(0, limit);
  }
}
