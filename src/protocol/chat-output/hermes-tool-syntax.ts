/**
 * Hermes / Qwen2.5 / Qwen3: `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`,
 * one block per call (vLLM's `hermes` parser). The JSON is scanned rather than
 * searched for the closing tag, so a string argument may contain the tag.
 */
import { scanJsonContainer, skipWhitespace, tryParseJson } from "./json-scan.js";
import { callFromJsonObject, type RegionScan, type ToolSyntax } from "./tool-syntax.js";

const open = "<tool_call>";
const close = "</tool_call>";

export const hermesToolSyntax: ToolSyntax = {
  name: "hermes",
  openersAnywhere: [open],
  openersAtStart: [],
  openersAfterCall: [],
  idStyle: "openai",
  scan(region: string, isFinal: boolean): RegionScan {
    const start = skipWhitespace(region, open.length);
    const json = scanJsonContainer(region, start);
    if (json.kind === "incomplete") return isFinal ? { kind: "text", consumed: region.length } : { kind: "incomplete" };
    if (json.kind === "invalid") return skipToClose(region, isFinal);
    const call = callFromJsonObject(tryParseJson(region.slice(start, json.end)));
    const after = skipWhitespace(region, json.end);
    const rest = region.slice(after);
    if (!isFinal && rest.length < close.length && close.startsWith(rest)) return { kind: "incomplete" };
    const consumed = rest.startsWith(close) ? after + close.length : json.end;
    // A model stopping at EOS right after the JSON (no closing tag) still made its call.
    return call ? { kind: "calls", calls: [call], consumed } : { kind: "text", consumed };
  },
};

function skipToClose(region: string, isFinal: boolean): RegionScan {
  const end = region.indexOf(close);
  if (end >= 0) return { kind: "text", consumed: end + close.length };
  return isFinal ? { kind: "text", consumed: region.length } : { kind: "incomplete" };
}
