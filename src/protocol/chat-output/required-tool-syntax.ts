/**
 * The output of `tool_choice: "required"`, which the grammar forces into a
 * JSON array `[{"name": ..., "parameters": {...}}, ...]` (vLLM's shape). Read
 * through the same streaming splitter as the model syntaxes, so each call is
 * sent as soon as its object closes.
 */
import { scanJsonContainer, skipWhitespace, tryParseJson } from "./json-scan.js";
import { callFromJsonObject, type RegionScan, type ToolSyntax } from "./tool-syntax.js";

export const requiredToolSyntax: ToolSyntax = {
  name: "required",
  openersAnywhere: [],
  openersAtStart: ["["],
  openersAfterCall: [",", "]"],
  idStyle: "openai",
  scan(region: string, isFinal: boolean): RegionScan {
    if (region.startsWith("]")) return { kind: "calls", calls: [], consumed: 1 };
    const start = skipWhitespace(region, 1);
    const json = scanJsonContainer(region, start);
    if (json.kind === "incomplete" && !isFinal) return { kind: "incomplete" };
    // The grammar allows nothing but calls here: a call cut off by max_tokens is dropped, not shown as content.
    if (json.kind !== "complete") return { kind: "calls", calls: [], consumed: region.length };
    const call = callFromJsonObject(tryParseJson(region.slice(start, json.end)));
    return call ? { kind: "calls", calls: [call], consumed: json.end } : { kind: "text", consumed: json.end };
  },
};
