/** --tool-call-parser and --reasoning-parser resolved into the parsers the chat route uses. */
import { UsageError } from "../errors.js";
import { isReasoningParserName, reasoningParserNames } from "../protocol/chat-output/reasoning-stream-parser.js";
import { detectToolSyntax, toolCallParserNames, toolSyntaxByName } from "../protocol/chat-output/tool-syntaxes.js";
import type { ServerToolOptions } from "../protocol/tool-choice.js";
import { type ServeConfig } from "./serve-config.js";

export function resolveToolOptions(config: Pick<ServeConfig, "toolCallParser" | "reasoningParser">, templateSource: string | null): ServerToolOptions {
  let toolSyntax = templateSource === null ? null : detectToolSyntax(templateSource);
  if (config.toolCallParser !== null) {
    toolSyntax = toolSyntaxByName(config.toolCallParser);
    if (!toolSyntax) throw new UsageError(`--tool-call-parser must be one of ${toolCallParserNames.join(", ")}, not '${config.toolCallParser}'`);
  }
  const reasoningParser = config.reasoningParser;
  if (reasoningParser !== null && !isReasoningParserName(reasoningParser)) {
    throw new UsageError(`--reasoning-parser must be one of ${reasoningParserNames.join(", ")}, not '${reasoningParser}'`);
  }
  return { toolSyntax, reasoningParser };
}
