/**
 * The grammar of a named or required tool choice: the plan's output schema
 * compiled to GBNF. Each tool's `parameters` is compiled on its own first, so
 * an unsupported keyword is a 400 whose `param` points into the request
 * (`tools[0].function.parameters.properties.x.not`), not into the wrapper
 * schema built around it.
 */
import { InvalidRequestError, withParamPrefix } from "../errors.js";
import { jsonSchemaToGbnf } from "../structured/json-schema-to-gbnf.js";
import { rejectBansUnderGrammar } from "./structured-outputs.js";
import type { SamplingParams } from "../engine/types.js";
import type { ChatToolPlan, ToolRequest } from "./tool-choice.js";

/**
 * The request's sampling params as its tool plan needs them: constrained by a
 * named or required tool choice (a 400 when another constraint, e.g.
 * response_format, is already set), and with special tokens rendered when the
 * auto-mode parser reads control tokens.
 */
export function withToolPlan(params: SamplingParams, plan: ChatToolPlan, request: ToolRequest): SamplingParams {
  const { toolMode } = plan.chatOutput;
  if (toolMode.kind === "auto" && toolMode.syntax.needsSpecialTokens) return { ...params, skipSpecialTokens: false };
  const grammar = toolChoiceGrammar(plan, request);
  if (grammar === null) return params;
  if (params.grammar !== null) {
    throw new InvalidRequestError("A named or 'required' tool_choice cannot be combined with another output constraint (response_format, structured_outputs).", {
      param: "tool_choice",
    });
  }
  rejectBansUnderGrammar(request, "tool_choice");
  return { ...params, grammar };
}

function toolChoiceGrammar(plan: ChatToolPlan, request: ToolRequest): string | null {
  if (plan.outputSchema === null) return null;
  const { toolMode } = plan.chatOutput;
  (request.tools ?? []).forEach((tool, i) => {
    if (toolMode.kind === "named" && tool.function.name !== toolMode.name) return;
    const param = `tools[${i}].function.parameters`;
    try {
      jsonSchemaToGbnf(tool.function.parameters ?? {});
    } catch (error) {
      throw withParamPrefix(error, param);
    }
  });
  return jsonSchemaToGbnf(plan.outputSchema);
}
