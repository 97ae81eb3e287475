/** The one place wire sampling fields become engine SamplingParams; an unset field takes the engine's default (`samplingParams` in engine/types.ts). */
import { ContextLengthExceededError, InvalidRequestError } from "../errors.js";
import { samplingParams, type SamplingParams } from "../engine/types.js";
import type { ChatCompletionRequest, CompletionRequest } from "./request-schemas.js";
import { toStructuredOutputGrammar } from "./structured-outputs.js";

/** Completions default to OpenAI's 16 tokens; chat to the rest of the context (vLLM). */
const completionDefaultMaxTokens = 16;

export interface SamplingOptions {
  maxTokens: number;
  vocabSize: number;
  /** --max-logprobs: the most alternatives a request may ask for. */
  maxLogprobs: number;
  /** Text to token ids, no special tokens: for `bad_words`. */
  tokenize: (text: string) => number[];
}

export function toSamplingParams(request: ChatCompletionRequest | CompletionRequest, options: SamplingOptions): SamplingParams {
  const stop = request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop;
  const topK = request.top_k ?? 0;
  const defaults = samplingParams();
  return {
    n: request.n ?? defaults.n,
    maxTokens: options.maxTokens,
    temperature: request.temperature ?? defaults.temperature,
    topP: request.top_p ?? defaults.topP,
    topK: topK <= 0 ? defaults.topK : topK,
    minP: request.min_p ?? defaults.minP,
    presencePenalty: request.presence_penalty ?? defaults.presencePenalty,
    frequencyPenalty: request.frequency_penalty ?? defaults.frequencyPenalty,
    repetitionPenalty: request.repetition_penalty ?? defaults.repetitionPenalty,
    seed: request.seed == null ? defaults.seed : toUint32Seed(request.seed),
    stop: stop.filter((s) => s !== ""),
    stopTokenIds: request.stop_token_ids ?? defaults.stopTokenIds,
    ignoreEos: request.ignore_eos ?? defaults.ignoreEos,
    includeStopStringInOutput: request.include_stop_str_in_output ?? defaults.includeStopStringInOutput,
    logitBias: toLogitBias(request.logit_bias, options.vocabSize),
    minTokens: toMinTokens(request.min_tokens, options.maxTokens),
    allowedTokenIds: toAllowedTokenIds(request.allowed_token_ids, options.vocabSize),
    ...toLogprobRequests(request, options.maxLogprobs),
    badWords: toBadWords(request.bad_words, options.tokenize),
    skipSpecialTokens: request.skip_special_tokens ?? defaults.skipSpecialTokens,
    grammar: toStructuredOutputGrammar(request),
  };
}

/**
 * Chat: `logprobs` (bool) with `top_logprobs`; completions: `logprobs` (int),
 * and with `echo` the prompt's logprobs too; both: vLLM's `prompt_logprobs`.
 */
function toLogprobRequests(request: ChatCompletionRequest | CompletionRequest, maxLogprobs: number): Pick<SamplingParams, "logprobs" | "promptLogprobs"> {
  const limit = (value: number, param: string) => {
    if (value > maxLogprobs || value < 0) {
      throw new InvalidRequestError(`'${param}' must be between 0 and ${maxLogprobs} (--max-logprobs), got ${value}.`, { param });
    }
    return value;
  };
  let logprobs: number | null = null;
  let echoLogprobs: number | null = null;
  if (isChatRequest(request)) {
    if (request.top_logprobs != null && request.top_logprobs > 0 && request.logprobs !== true) {
      throw new InvalidRequestError("'top_logprobs' needs 'logprobs' set to true.", { param: "top_logprobs" });
    }
    if (request.logprobs === true) logprobs = limit(request.top_logprobs ?? 0, "top_logprobs");
  } else if (request.logprobs != null) {
    logprobs = limit(request.logprobs, "logprobs");
    if (request.echo === true) echoLogprobs = logprobs;
  }
  const promptLogprobs = request.prompt_logprobs == null ? echoLogprobs : limit(request.prompt_logprobs, "prompt_logprobs");
  return { logprobs, promptLogprobs: promptLogprobs === null ? null : Math.max(promptLogprobs, echoLogprobs ?? 0) };
}

/** vLLM tokenizes each bad word as is and with a leading space, and bans both token sequences. */
function toBadWords(badWords: string[] | null | undefined, tokenize: (text: string) => number[]): number[][] {
  const sequences = new Map<string, number[]>();
  for (const word of badWords ?? []) {
    const bare = word.trimStart();
    for (const text of [bare, ` ${bare}`]) {
      const tokens = tokenize(text);
      if (tokens.length > 0) sequences.set(tokens.join(","), tokens);
    }
  }
  return [...sequences.values()];
}

/** OpenAI's `logit_bias`: keys are in-vocabulary token ids; values clamped to [-100, 100] (vLLM). */
function toLogitBias(logitBias: Record<string, number> | null | undefined, vocabSize: number): Map<number, number> {
  const biases = new Map<number, number>();
  for (const [key, bias] of Object.entries(logitBias ?? {})) {
    const token = /^\d+$/.test(key) ? Number(key) : NaN;
    if (!Number.isSafeInteger(token) || token >= vocabSize) {
      throw new InvalidRequestError(
        `'logit_bias' keys must be token ids in the vocabulary (0 to ${vocabSize - 1}), got ${JSON.stringify(key)}.`,
        { param: "logit_bias" },
      );
    }
    biases.set(token, Math.min(100, Math.max(-100, bias)));
  }
  return biases;
}

function toMinTokens(minTokens: number | null | undefined, maxTokens: number): number {
  const value = minTokens ?? 0;
  if (value > maxTokens) {
    throw new InvalidRequestError(`'min_tokens' must be less than or equal to max_tokens=${maxTokens}, got ${value}.`, { param: "min_tokens" });
  }
  return value;
}

function toAllowedTokenIds(allowed: number[] | null | undefined, vocabSize: number): number[] | null {
  if (allowed == null) return null;
  const outside = allowed.filter((token) => token >= vocabSize);
  if (outside.length > 0) {
    throw new InvalidRequestError(`'allowed_token_ids' has token ids outside the vocabulary (0 to ${vocabSize - 1}): ${outside.slice(0, 5).join(", ")}.`, {
      param: "allowed_token_ids",
    });
  }
  return [...new Set(allowed)];
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

function isChatRequest(request: ChatCompletionRequest | CompletionRequest): request is ChatCompletionRequest {
  return "messages" in request;
}

/** vLLM's `truncate_prompt_tokens`: keep the last N prompt tokens (-1: as many as the context holds). */
export function truncatePrompt(tokens: number[], truncate: number | null | undefined, maxModelLen: number): number[] {
  if (truncate == null) return tokens;
  const keep = truncate === -1 ? maxModelLen : truncate;
  if (keep > maxModelLen) {
    throw new InvalidRequestError(`'truncate_prompt_tokens' (${keep}) must not exceed the context length (${maxModelLen}).`, { param: "truncate_prompt_tokens" });
  }
  return tokens.length > keep ? tokens.slice(tokens.length - keep) : tokens;
}
