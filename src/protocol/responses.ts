/**
 * Response and stream-chunk builders, typed with the `openai` package's own
 * types so that a shape drift from what the SDKs parse fails `tsc`.
 * vLLM's `stop_reason` extension rides along on each choice, and
 * `finish_reason` may also be vLLM's `abort` (a request cut off by shutdown),
 * which the SDK types do not list: the only place the types are widened.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionTokenLogprob } from "openai/resources/chat/completions";
import type { Completion, CompletionChoice as SdkCompletionChoice, CompletionUsage } from "openai/resources/completions";

type CompletionChoiceLogprobs = SdkCompletionChoice.Logprobs;
import type { FinishReason } from "../engine/types.js";

type WireFinishReason = "stop" | "length" | "abort";
/** Chat adds `tool_calls`: the model called tools in auto or required mode. */
export type ChatFinishReason = FinishReason | "tool_calls";
/** vLLM's reasoning fields, which the SDK types do not list. */
type Reasoning = { reasoning_content?: string | null; reasoning?: string | null };
export type ChatMessageBody = ChatCompletion.Choice["message"] & Reasoning;
export type ChatDelta = ChatCompletionChunk.Choice.Delta & Reasoning;
type StopReason = { stop_reason: string | number | null };
/** An SDK type whose `finish_reason` may also be `abort`. */
type Abortable<T extends { finish_reason: unknown }> = Omit<T, "finish_reason"> & { finish_reason: T["finish_reason"] | "abort" };

export type ChatChoice = Omit<Abortable<ChatCompletion.Choice>, "message"> & { message: ChatMessageBody } & StopReason;
export type ChatChunkChoice = Omit<Abortable<ChatCompletionChunk.Choice>, "delta"> & { delta: ChatDelta } & Partial<StopReason>;
export type CompletionChoice = Abortable<Completion["choices"][number]> & StopReason;
export type ChatCompletionBody = Omit<ChatCompletion, "choices"> & { choices: ChatChoice[] };
export type ChatCompletionChunkBody = Omit<ChatCompletionChunk, "choices"> & { choices: ChatChunkChoice[] };
export type CompletionBody = Omit<Completion, "choices"> & { choices: CompletionChoice[] };

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

export interface UsageCounts {
  numPromptTokens: number;
  numCompletionTokens: number;
  numCachedPromptTokens: number;
}

/** `abort` reaches a client only when shutdown cuts its request off (a disconnected client reads nothing). */
export function toWireFinishReason<Reason extends ChatFinishReason>(reason: Reason): Reason {
  return reason;
}

export function toUsage(counts: UsageCounts): CompletionUsage {
  return {
    prompt_tokens: counts.numPromptTokens,
    completion_tokens: counts.numCompletionTokens,
    total_tokens: counts.numPromptTokens + counts.numCompletionTokens,
    prompt_tokens_details: { cached_tokens: counts.numCachedPromptTokens },
  };
}

export function chatCompletion(meta: ResponseMeta, choices: ChatChoice[], usage: CompletionUsage): ChatCompletionBody {
  return { ...meta, object: "chat.completion", choices, usage, system_fingerprint: undefined };
}

export function chatChoice(
  index: number,
  content: string | null,
  finishReason: ChatFinishReason,
  stopReason: string | number | null,
  extras: Pick<ChatMessageBody, "tool_calls" | "reasoning_content" | "reasoning"> = {},
  logprobs: ChatCompletionTokenLogprob[] | null = null,
): ChatChoice {
  return {
    index,
    message: { role: "assistant", content, refusal: null, ...extras },
    logprobs: logprobs === null ? null : { content: logprobs, refusal: null },
    finish_reason: toWireFinishReason(finishReason),
    stop_reason: stopReason,
  };
}

export function chatChunk(meta: ResponseMeta, choices: ChatChunkChoice[], usage?: CompletionUsage | null): ChatCompletionChunkBody {
  return { ...meta, object: "chat.completion.chunk", choices, ...(usage !== undefined ? { usage } : {}) };
}

export function chatDeltaChoice(
  index: number,
  delta: ChatDelta,
  finishReason: ChatFinishReason | null = null,
  stopReason: string | number | null = null,
  logprobs: ChatCompletionTokenLogprob[] | null = null,
): ChatChunkChoice {
  return {
    index,
    delta,
    logprobs: logprobs === null ? null : { content: logprobs, refusal: null },
    finish_reason: finishReason === null ? null : toWireFinishReason(finishReason),
    ...(finishReason === null ? {} : { stop_reason: stopReason }),
  };
}

export function completion(meta: ResponseMeta, choices: CompletionChoice[], usage?: CompletionUsage): CompletionBody {
  return { ...meta, object: "text_completion", choices, ...(usage ? { usage } : {}) };
}

export function completionChoice(
  index: number,
  text: string,
  finishReason: FinishReason | null,
  stopReason: string | number | null,
  logprobs: CompletionChoiceLogprobs | null = null,
): CompletionChoice {
  return {
    index,
    text,
    logprobs,
    // The SDK's Completion type says finish_reason is never null; in stream chunks it is, as in OpenAI's wire.
    finish_reason: (finishReason === null ? null : toWireFinishReason(finishReason)) as WireFinishReason,
    stop_reason: stopReason,
  };
}
