/**
 * Wire schemas of /v1/chat/completions and /v1/completions (OpenAI fields plus
 * vLLM's extra_body extensions), and of vLLM's /tokenize and /detokenize. Unknown fields are accepted and ignored, as
 * vLLM does; known fields pagoda cannot honour yet are rejected by
 * `rejectUnsupported` rather than silently ignored.
 */
import { z } from "zod";
import { toolRequestFields } from "./tool-choice.js";

const finiteNumber = z.number().refine(Number.isFinite, "must be a finite number");
/** A field that may be absent or null, as OpenAI's SDKs send optional fields. */
export const nullish = <T extends z.ZodType>(schema: T) => schema.nullish();

const stopSchema = z.union([z.string(), z.array(z.string()).max(16, "at most 16 stop strings")]);

const streamOptionsSchema = z.looseObject({
  include_usage: nullish(z.boolean()),
  continuous_usage_stats: nullish(z.boolean()),
});

/** Sampling fields common to both routes (the Responses route takes some of them too). */
export const samplingFields = {
  model: nullish(z.string()),
  n: nullish(z.number().int().min(1, "must be >= 1").max(128, "must be <= 128")),
  temperature: nullish(finiteNumber.min(0, "must be >= 0")),
  top_p: nullish(finiteNumber.gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]")),
  top_k: nullish(z.number().int().min(-1, "must be -1, 0 or >= 1")),
  min_p: nullish(finiteNumber.min(0, "must be in [0, 1]").max(1, "must be in [0, 1]")),
  presence_penalty: nullish(finiteNumber.min(-2, "must be in [-2, 2]").max(2, "must be in [-2, 2]")),
  frequency_penalty: nullish(finiteNumber.min(-2, "must be in [-2, 2]").max(2, "must be in [-2, 2]")),
  repetition_penalty: nullish(finiteNumber.gt(0, "must be > 0")),
  seed: nullish(z.number().int().min(-(2 ** 63)).max(2 ** 63 - 1)),
  stop: nullish(stopSchema),
  stop_token_ids: nullish(z.array(z.number().int().min(0))),
  ignore_eos: nullish(z.boolean()),
  include_stop_str_in_output: nullish(z.boolean()),
  stream: nullish(z.boolean()),
  stream_options: nullish(streamOptionsSchema),
  user: nullish(z.string()),
  request_id: nullish(z.string()),
  priority: nullish(z.number().int()),
  /** Token id (as a string) -> bias; values are clamped to [-100, 100] as vLLM does. Ids are checked against the vocabulary later. */
  logit_bias: nullish(z.record(z.string(), finiteNumber)),
  min_tokens: nullish(z.number().int().min(0, "must be >= 0")),
  allowed_token_ids: nullish(z.array(z.number().int().min(0, "must be >= 0")).min(1, "must not be empty")),
  prompt_logprobs: nullish(z.number().int().min(0, "must be >= 0")),
  bad_words: nullish(z.array(z.string())),
  /** Keep only the last N prompt tokens (vLLM); -1: as many as the context allows. */
  truncate_prompt_tokens: nullish(z.number().int().min(-1, "must be -1 or >= 1").refine((value) => value !== 0, "must be -1 or >= 1")),
  return_tokens_as_token_ids: nullish(z.boolean()),
  skip_special_tokens: nullish(z.boolean()),
  spaces_between_special_tokens: nullish(z.boolean()),
  best_of: nullish(z.number().int().min(1, "must be >= 1")),
  use_beam_search: nullish(z.boolean()),
};

const textPartSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
const contentPartSchema = z.looseObject({ type: z.string() });
const messageContentSchema = z.union([z.string(), z.array(z.union([textPartSchema, contentPartSchema]))]).nullable();

const messageSchema = z.looseObject({
  role: z.string().min(1),
  content: messageContentSchema.optional(),
  name: z.string().optional(),
  tool_calls: z.array(z.unknown()).nullish().transform((value) => value ?? undefined),
  tool_call_id: z.string().nullish().transform((value) => value ?? undefined),
});

export const chatCompletionRequestSchema = z.looseObject({
  ...samplingFields,
  messages: z.array(messageSchema).min(1, "must contain at least one message"),
  max_tokens: nullish(z.number().int().min(1, "must be >= 1")),
  max_completion_tokens: nullish(z.number().int().min(1, "must be >= 1")),
  add_generation_prompt: nullish(z.boolean()),
  add_special_tokens: nullish(z.boolean()),
  chat_template_kwargs: nullish(z.record(z.string(), z.unknown())),
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(z.number().int().min(0, "must be >= 0")),
  echo: nullish(z.boolean()),
  continue_final_message: nullish(z.boolean()),
  ...toolRequestFields,
});

const tokenIds = z.array(z.number().int().min(0)).min(1, "must not be empty");
export const completionPromptSchema = z.union([
  z.string(),
  z.array(z.string()).min(1, "must not be empty"),
  tokenIds,
  z.array(tokenIds).min(1, "must not be empty"),
]);

export const completionRequestSchema = z.looseObject({
  ...samplingFields,
  prompt: completionPromptSchema,
  max_tokens: nullish(z.number().int().min(1, "must be >= 1")),
  echo: nullish(z.boolean()),
  logprobs: nullish(z.number().int().min(0, "must be >= 0")),
  add_special_tokens: nullish(z.boolean()),
});

/** vLLM's POST /tokenize, text form: `{model?, prompt, add_special_tokens? (default true), return_token_strs?}`. */
export const tokenizeCompletionRequestSchema = z.looseObject({
  model: nullish(z.string()),
  prompt: z.string(),
  add_special_tokens: nullish(z.boolean()),
  return_token_strs: nullish(z.boolean()),
});

/** vLLM's POST /tokenize, chat form: the messages as /v1/chat/completions would render them. */
export const tokenizeChatRequestSchema = z.looseObject({
  model: nullish(z.string()),
  messages: z.array(messageSchema).min(1, "must contain at least one message"),
  add_generation_prompt: nullish(z.boolean()),
  add_special_tokens: nullish(z.boolean()),
  chat_template_kwargs: nullish(z.record(z.string(), z.unknown())),
  tools: toolRequestFields.tools,
  return_token_strs: nullish(z.boolean()),
});

/** vLLM's POST /detokenize: `{model?, tokens}`. */
export const detokenizeRequestSchema = z.looseObject({
  model: nullish(z.string()),
  tokens: z.array(z.number().int().min(0, "must be >= 0")),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type WireMessage = z.infer<typeof messageSchema>;
export type TokenizeCompletionRequest = z.infer<typeof tokenizeCompletionRequestSchema>;
export type TokenizeChatRequest = z.infer<typeof tokenizeChatRequestSchema>;
export type DetokenizeRequest = z.infer<typeof detokenizeRequestSchema>;
