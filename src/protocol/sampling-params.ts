/** The one place wire sampling fields become engine SamplingParams. */
import { ContextLengthExceededError, InvalidRequestError } from "../errors.js";
import type { SamplingParams } from "../engine/types.js";
import type { ChatCompletionRequest, CompletionRequest } from "./request-schemas.js";

/** Completions default to OpenAI's 16 tokens; chat to the rest of the context (vLLM). */
const completionDefaultMaxTokens = 16;

export function toSamplingParams(
  request: ChatCompletionRequest | CompletionRequest,
  options: { maxTokens: number },
): SamplingParams {
  const stop = request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop;
  const topK = request.top_k ?? 0;
  return {
    n: request.n ?? 1,
    maxTokens: options.maxTokens,
    temperature: request.temperature ?? 1,
    topP: request.top_p ?? 1,
    topK: topK <= 0 ? 0 : topK,
    minP: request.min_p ?? 0,
    presencePenalty: request.presence_penalty ?? 0,
    frequencyPenalty: request.frequency_penalty ?? 0,
    repetitionPenalty: request.repetition_penalty ?? 1,
    seed: request.seed == null ? undefined : toUint32Seed(request.seed),
    stop: stop.filter((s) => s !== ""),
    stopTokenIds: request.stop_token_ids ?? [],
    ignoreEos: request.ignore_eos ?? false,
    includeStopStringInOutput: request.include_stop_str_in_output ?? false,
  };
}

/**
 * Resolves max_tokens against the context as vLLM does: a prompt filling the
 * context, or prompt + max_tokens beyond it, is a 400 (never silent truncation).
 */
export function resolveMaxTokens(
  requested: number | null | undefined,
  requestedField: "max_tokens" | "max_completion_tokens",
  route: "chat" | "completion",
  numPromptTokens: number,
  maxModelLen: number,
): number {
  if (numPromptTokens >= maxModelLen) {
    throw new ContextLengthExceededError(
      `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${numPromptTokens} input tokens. Please reduce the length of the input.`,
      route === "chat" ? "messages" : "prompt",
    );
  }
  const available = maxModelLen - numPromptTokens;
  const maxTokens = requested ?? (route === "chat" ? available : Math.min(completionDefaultMaxTokens, available));
  if (maxTokens > available) {
    throw new ContextLengthExceededError(
      `'${requestedField}' is too large: ${maxTokens}. This model's maximum context length is ${maxModelLen} tokens and your request has ${numPromptTokens} input tokens (${maxTokens} > ${maxModelLen} - ${numPromptTokens}).`,
      requestedField,
    );
  }
  return maxTokens;
}

export function checkStreamOptions(request: { stream?: boolean | null; stream_options?: unknown }): void {
  if (request.stream_options != null && request.stream !== true) {
    throw new InvalidRequestError("'stream_options' is only allowed when 'stream' is true.", { param: "stream_options" });
  }
}

/** Any int64 seed maps onto llama.cpp's 32-bit seed space, deterministically. */
function toUint32Seed(seed: number): number {
  return Number(BigInt.asUintN(32, BigInt(seed)));
}
