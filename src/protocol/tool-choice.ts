/**
 * The chat request's `tools`, `tool_choice` and `parallel_tool_calls`: their
 * wire schemas, and what they mean for one request: how its output is read
 * (ChatOutputParser's tool mode) and, for a named or required choice, the
 * JSON Schema the output is constrained to, as vLLM builds it:
 * - named: the function's `parameters` (the output is the arguments object);
 * - required: `[{"name": ..., "parameters": {...}}, ...]`, anyOf over tools,
 *   at least one item, at most one when `parallel_tool_calls` is false.
 *
 * `tool_choice` defaults to `auto` when tools are given (OpenAI). `none`
 * still renders the tools into the prompt (vLLM's default) but never parses
 * calls. `auto` reads the model's own call syntax with the server's parser
 * (`--tool-call-parser`, else guessed from the chat template); with no parser
 * the output is returned as plain content.
 */
import { z } from "zod";
import { InvalidRequestError } from "../errors.js";
import type { ChatOutputOptions, ToolMode } from "./chat-output/chat-output-parser.js";
import type { ReasoningParserName } from "./chat-output/reasoning-stream-parser.js";
import type { ToolSyntax } from "./chat-output/tool-syntax.js";

export const toolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1, "must not be empty"),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
]);

/** The fields of a chat request these rules read (added to the chat request schema). */
export const toolRequestFields = {
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
};

export interface ToolRequest {
  tools?: Array<z.infer<typeof toolSchema>> | null;
  tool_choice?: z.infer<typeof toolChoiceSchema> | null;
  parallel_tool_calls?: boolean | null;
}

export interface ServerToolOptions {
  /** The auto-mode parser: `--tool-call-parser`, or the one the chat template implies. */
  toolSyntax: ToolSyntax | null;
  reasoningParser: ReasoningParserName | null;
}

export interface ChatToolPlan {
  chatOutput: ChatOutputOptions;
  /** The JSON Schema the output must match (named and required choices), else null. */
  outputSchema: Record<string, unknown> | null;
}

/** Where the function takes no parameters schema, its arguments are still an object (vLLM). */
const unstatedParametersSchema = { type: "object", properties: {} };

export function planChatTools(request: ToolRequest, server: ServerToolOptions): ChatToolPlan {
  const tools = request.tools ?? [];
  const choice = request.tool_choice ?? (tools.length > 0 ? "auto" : "none");
  const maxCalls = request.parallel_tool_calls === false ? 1 : Infinity;
  const idStyle = server.toolSyntax?.idStyle ?? "openai";
  const plan = (toolMode: ToolMode, outputSchema: Record<string, unknown> | null = null): ChatToolPlan => ({
    chatOutput: { toolMode, reasoningParser: server.reasoningParser, idStyle },
    outputSchema,
  });

  if (choice !== "none" && tools.length === 0) {
    throw new InvalidRequestError("When using 'tool_choice', 'tools' must be set.", { param: "tool_choice" });
  }
  if (choice === "none") return plan({ kind: "plain" });
  if (choice === "auto") return plan(server.toolSyntax ? { kind: "auto", syntax: server.toolSyntax, maxCalls } : { kind: "plain" });
  if (choice === "required") {
    const items = {
      type: "object",
      anyOf: tools.map((tool) => ({
        properties: { name: { type: "string", enum: [tool.function.name] }, parameters: tool.function.parameters ?? unstatedParametersSchema },
        required: ["name", "parameters"],
      })),
    };
    return plan({ kind: "required", maxCalls }, { type: "array", minItems: 1, ...(maxCalls === 1 ? { maxItems: 1 } : {}), items });
  }
  const tool = tools.find((t) => t.function.name === choice.function.name);
  if (!tool) {
    throw new InvalidRequestError(`Tool '${choice.function.name}' named in 'tool_choice' is not in 'tools'.`, { param: "tool_choice" });
  }
  return plan({ kind: "named", name: tool.function.name }, tool.function.parameters ?? unstatedParametersSchema);
}
