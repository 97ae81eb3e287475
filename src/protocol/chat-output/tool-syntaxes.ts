/**
 * The tool-call parsers by vLLM's `--tool-call-parser` names, and the guess
 * made from a chat template when no parser is named: the template shows the
 * model the syntax it is to call tools with.
 */
import { hermesToolSyntax } from "./hermes-tool-syntax.js";
import { llama3JsonToolSyntax } from "./llama3-json-tool-syntax.js";
import { mistralToolSyntax } from "./mistral-tool-syntax.js";
import { pythonicToolSyntax } from "./pythonic-tool-syntax.js";
import type { ToolSyntax } from "./tool-syntax.js";

const byName: Record<string, ToolSyntax> = {
  hermes: hermesToolSyntax,
  // vLLM serves Qwen2.5 and Qwen3 with `hermes`; these names are accepted too.
  qwen: hermesToolSyntax,
  qwen3: hermesToolSyntax,
  llama3_json: llama3JsonToolSyntax,
  llama4_json: llama3JsonToolSyntax,
  mistral: mistralToolSyntax,
  pythonic: pythonicToolSyntax,
  llama4_pythonic: pythonicToolSyntax,
};

export const toolCallParserNames = Object.keys(byName);

export function toolSyntaxByName(name: string): ToolSyntax | null {
  return Object.hasOwn(byName, name) ? byName[name] : null;
}

/**
 * The parser a chat template implies, or null when it shows no syntax pagoda
 * parses (then tool calls in auto mode come back as plain content). Templates
 * that use `<tool_call>` with an XML body (Qwen3-Coder's `<function=...>`,
 * GLM's `<arg_key>`) are not Hermes JSON and are left alone.
 */
export function detectToolSyntax(template: string): ToolSyntax | null {
  if (template.includes("[TOOL_CALLS]")) return mistralToolSyntax;
  if (template.includes("<tool_call>")) {
    return /<function=|<arg_key>|<parameter=/.test(template) ? null : hermesToolSyntax;
  }
  if (/func_name1\(|\[func_name/.test(template)) return pythonicToolSyntax;
  if (template.includes("<|python_tag|>") || /"name": function name, "parameters"/.test(template)) return llama3JsonToolSyntax;
  return null;
}
