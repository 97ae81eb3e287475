/**
 * Llama 3.1-3.3 JSON tool calls (vLLM's `llama3_json`): the whole reply is
 * `{"name": ..., "parameters": {...}}`, optionally after `<|python_tag|>`,
 * several calls separated by `;`.
 */
import { scanJsonContainer, skipWhitespace, tryParseJson } from "./json-scan.js";
import { callFromJsonObject, type RegionScan, type ToolSyntax } from "./tool-syntax.js";

const pythonTag = "<|python_tag|>";

export const llama3JsonToolSyntax: ToolSyntax = {
  name: "llama3_json",
  openersAnywhere: [],
  openersAtStart: [pythonTag, "{"],
  openersAfterCall: [";", "{"],
  idStyle: "openai",
  scan(region: string, isFinal: boolean): RegionScan {
    const marker = region.startsWith(pythonTag) ? pythonTag.length : region.startsWith(";") ? 1 : 0;
    const start = skipWhitespace(region, marker);
    const scan = scanJsonContainer(region, start);
    if (scan.kind === "incomplete" && !isFinal) return { kind: "incomplete" };
    if (scan.kind !== "complete") return { kind: "text", consumed: region.length };
    const call = callFromJsonObject(tryParseJson(region.slice(start, scan.end)));
    return call ? { kind: "calls", calls: [call], consumed: scan.end } : { kind: "text", consumed: scan.end };
  },
};
