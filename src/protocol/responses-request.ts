/**
 * The wire schema of POST /v1/responses: OpenAI's fields plus the vLLM
 * sampling extras chat accepts (top_k, min_p, seed, ...). Input items are
 * checked one by one in responses-input.ts, where an unsupported item type
 * gets a 400 naming its place (`input[2].type`); here they only need to be
 * objects. Unknown top-level fields are ignored, as on the other routes.
 */
import { z } from "zod";
import { nullish, samplingFields } from "./request-schemas.js";

export const responseToolSchema = z.looseObject({ type: z.string() });

const textFormatSchema = z.looseObject({
  type: z.enum(["text", "json_object", "json_schema"], { message: "must be text, json_object or json_schema" }),
  name: nullish(z.string()),
  schema: nullish(z.record(z.string(), z.unknown())),
  strict: nullish(z.boolean()),
  description: nullish(z.string()),
});

// The fields that mean the same as on chat, validated the same way.
const { model, temperature, top_p, user, top_k, min_p, presence_penalty, frequency_penalty, repetition_penalty, seed, stop, ignore_eos, min_tokens, request_id, priority } =
  samplingFields;

export const responseCreateSchema = z.looseObject({
  model,
  input: z.union([z.string(), z.array(z.looseObject({}), { message: "must be a string or a list of input items" })]).optional(),
  instructions: nullish(z.string()),
  max_output_tokens: nullish(z.number().int().min(1, "must be >= 1")),
  temperature,
  top_p,
  tools: nullish(z.array(responseToolSchema)),
  tool_choice: nullish(z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })])),
  parallel_tool_calls: nullish(z.boolean()),
  text: nullish(z.looseObject({ format: nullish(textFormatSchema), verbosity: nullish(z.string()) })),
  reasoning: nullish(z.looseObject({ effort: nullish(z.string()), summary: nullish(z.string()) })),
  stream: nullish(z.boolean()),
  store: nullish(z.boolean()),
  background: nullish(z.boolean()),
  previous_response_id: nullish(z.string().min(1, "must not be empty")),
  conversation: nullish(z.unknown()),
  metadata: nullish(z.record(z.string(), z.string())),
  user,
  safety_identifier: nullish(z.string()),
  prompt_cache_key: nullish(z.string()),
  service_tier: nullish(z.string()),
  include: nullish(z.array(z.string())),
  truncation: nullish(z.enum(["disabled", "auto"], { message: "must be disabled or auto" })),
  top_logprobs: nullish(z.number().int().min(0).max(20)),
  max_tool_calls: nullish(z.number().int().min(1, "must be >= 1")),
  // vLLM's sampling extras, as chat takes them.
  top_k,
  min_p,
  presence_penalty,
  frequency_penalty,
  repetition_penalty,
  seed,
  stop,
  ignore_eos,
  min_tokens,
  request_id,
  priority,
});
export type ResponseCreateRequest = z.infer<typeof responseCreateSchema>;

/** GET /v1/responses/{id}/input_items query: OpenAI's cursor list. */
export interface ListQuery {
  limit: number;
  order: "asc" | "desc";
  after: string | null;
  before: string | null;
}
