/**
 * The wire schema of POST /v1/responses: OpenAI's fields plus the vLLM
 * sampling extras chat accepts (top_k, min_p, seed, ...). Input items are
 * checked one by one in responses-input.ts, where an unsupported item type
 * gets a 400 naming its place (`input[2].type`); here they only need to be
 * objects. Unknown top-level fields are ignored, as on the other routes.
 */
import { z } from "zod";

const finiteNumber = z.number().refine(Number.isFinite, "must be a finite number");
const nullish = <T extends z.ZodType>(schema: T) => schema.nullish();

export const responseToolSchema = z.looseObject({ type: z.string() });

const textFormatSchema = z.looseObject({
  type: z.enum(["text", "json_object", "json_schema"], { message: "must be text, json_object or json_schema" }),
  name: nullish(z.string()),
  schema: nullish(z.record(z.string(), z.unknown())),
  strict: nullish(z.boolean()),
  description: nullish(z.string()),
});

export const responseCreateSchema = z.looseObject({
  model: nullish(z.string()),
  input: z.union([z.string(), z.array(z.looseObject({}), { message: "must be a string or a list of input items" })]).optional(),
  instructions: nullish(z.string()),
  max_output_tokens: nullish(z.number().int().min(1, "must be >= 1")),
  temperature: nullish(finiteNumber.min(0, "must be >= 0").max(2, "must be <= 2")),
  top_p: nullish(finiteNumber.gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]")),
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
  user: nullish(z.string()),
  safety_identifier: nullish(z.string()),
  prompt_cache_key: nullish(z.string()),
  service_tier: nullish(z.string()),
  include: nullish(z.array(z.string())),
  truncation: nullish(z.enum(["disabled", "auto"], { message: "must be disabled or auto" })),
  top_logprobs: nullish(z.number().int().min(0).max(20)),
  max_tool_calls: nullish(z.number().int().min(1, "must be >= 1")),
  // vLLM's sampling extras, as chat takes them.
  top_k: nullish(z.number().int().min(-1, "must be -1, 0 or >= 1")),
  min_p: nullish(finiteNumber.min(0, "must be in [0, 1]").max(1, "must be in [0, 1]")),
  presence_penalty: nullish(finiteNumber.min(-2, "must be in [-2, 2]").max(2, "must be in [-2, 2]")),
  frequency_penalty: nullish(finiteNumber.min(-2, "must be in [-2, 2]").max(2, "must be in [-2, 2]")),
  repetition_penalty: nullish(finiteNumber.gt(0, "must be > 0")),
  seed: nullish(z.number().int().min(-(2 ** 63)).max(2 ** 63 - 1)),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(16, "at most 16 stop strings")])),
  ignore_eos: nullish(z.boolean()),
  min_tokens: nullish(z.number().int().min(0, "must be >= 0")),
  request_id: nullish(z.string()),
  priority: nullish(z.number().int()),
});

export type ResponseCreateRequest = z.infer<typeof responseCreateSchema>;

/** GET /v1/responses/{id}/input_items query: OpenAI's cursor list. */
export interface ListQuery {
  limit: number;
  order: "asc" | "desc";
  after: string | null;
  before: string | null;
}
