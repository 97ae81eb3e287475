/**
 * Descriptions of request fields for the OpenAPI document and /docs, kept
 * apart from the zod schemas so the validation code stays short. Keyed by
 * field name: the same field means the same thing on every route.
 */
const descriptions: Record<string, string> = {
  model: "A served model name (GET /v1/models); omitted or null means the first one.",
  messages: "The conversation, rendered with the model's chat template. Content is a string or a list of text parts.",
  prompt: "Text, a list of texts, token ids, or a list of token-id lists (one completion per prompt).",
  n: "Choices to generate from the one prompt.",
  max_tokens: "Most tokens to generate. Chat: default the rest of the context; completions: default 16.",
  max_completion_tokens: "OpenAI's newer name for max_tokens (chat); wins over max_tokens.",
  temperature: "Sampling temperature; 0 is greedy. Default 1.",
  top_p: "Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p. Default 1.",
  top_k: "Keep only the k most likely tokens; 0 or -1 disables. (vLLM)",
  min_p: "Drop tokens less likely than min_p times the most likely one. (vLLM)",
  presence_penalty: "Penalize tokens that already appeared, once each.",
  frequency_penalty: "Penalize tokens by how often they already appeared.",
  repetition_penalty: "Multiplicative penalty on tokens of the prompt and output; 1 is none. (vLLM)",
  seed: "Seed of the sampler, for reproducible output.",
  stop: "Up to 16 strings that end a choice when generated; not included in the output.",
  stop_token_ids: "Token ids that end a choice when generated. (vLLM)",
  ignore_eos: "Keep generating past end-of-sequence tokens. (vLLM)",
  include_stop_str_in_output: "Keep the matched stop string in the output. (vLLM)",
  stream: "Answer with server-sent events, a chunk per step, ending with `data: [DONE]`.",
  stream_options: "With stream: `include_usage` adds a final chunk with usage; `continuous_usage_stats` adds usage to every chunk.",
  user: "An end-user id; accepted and ignored.",
  request_id: "Accepted for vLLM compatibility; the request id is the X-Request-Id header.",
  priority: "With --scheduling-policy priority: lower runs first. (vLLM)",
  logit_bias: "Token id (as a string) -> bias added to its logit, clamped to [-100, 100].",
  min_tokens: "No end-of-sequence or stop token before this many tokens. (vLLM)",
  allowed_token_ids: "Only these token ids can be sampled. (vLLM)",
  echo: "Prepend the prompt to the completion text.",
  add_generation_prompt: "End the rendered chat with the assistant turn's opening. Default true.",
  add_special_tokens: "Add the tokenizer's special tokens (e.g. BOS) to the prompt.",
  chat_template_kwargs: "Extra variables for the chat template.",
  return_token_strs: "Also return each token's string.",
  tokens: "Token ids.",
  input: "Responses: a string, or a list of items: messages (string or input_text parts), function_call, function_call_output, item_reference, earlier output items.",
  instructions: "Responses: a system message put first; not carried over by previous_response_id.",
  max_output_tokens: "Responses: most tokens to generate; reaching it ends the response `incomplete`.",
  previous_response_id: "Responses: continue a stored response's conversation (its input and output come first).",
  store: "Responses: keep the response for retrieve, input_items and previous_response_id. Default true.",
  text: "Responses: `format` is text, json_object or json_schema (name, schema, strict), enforced by a grammar.",
};

/** The schema with a description on each top-level property that has none. */
export function describeFields(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!properties) return schema;
  const described = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      const description = descriptions[name];
      return [name, description && property.description === undefined ? { description, ...property } : property];
    }),
  );
  return { ...schema, properties: described };
}
