/**
 * Mistral (vLLM's `mistral`): `[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]`
 * (Mistral-Nemo, v3 tokenizers), or `[TOOL_CALLS]name[ARGS]{...}` per call
 * (v11+ tokenizers: Mistral Small 3.2, Devstral), optionally with
 * `[CALL_ID]id` before `[ARGS]`.
 */
import { scanJsonContainer, skipWhitespace, tryParseJson } from "./json-scan.js";
import { callFromJsonObject, type ParsedToolCall, type RegionScan, type ToolSyntax } from "./tool-syntax.js";

const open = "[TOOL_CALLS]";
const argsMarker = "[ARGS]";
const callIdMarker = "[CALL_ID]";

export const mistralToolSyntax: ToolSyntax = {
  name: "mistral",
  openersAnywhere: [open],
  openersAtStart: [],
  openersAfterCall: [],
  idStyle: "mistral",
  needsSpecialTokens: true,
  scan(region: string, isFinal: boolean): RegionScan {
    const start = skipWhitespace(region, open.length);
    if (start >= region.length) return isFinal ? { kind: "text", consumed: region.length } : { kind: "incomplete" };
    if (region[start] === "[" || region[start] === "{") return scanJsonCalls(region, start, isFinal);
    return scanNamedCall(region, start, isFinal);
  },
};

function scanJsonCalls(region: string, start: number, isFinal: boolean): RegionScan {
  const scan = scanJsonContainer(region, start);
  if (scan.kind === "incomplete" && !isFinal) return { kind: "incomplete" };
  if (scan.kind !== "complete") return { kind: "text", consumed: region.length };
  const value = tryParseJson(region.slice(start, scan.end));
  const items = Array.isArray(value) ? value : [value];
  const calls = items.map(callFromJsonObject);
  if (calls.length === 0 || calls.some((call) => call === null)) return { kind: "text", consumed: scan.end };
  return { kind: "calls", calls: calls as ParsedToolCall[], consumed: scan.end };
}

function scanNamedCall(region: string, start: number, isFinal: boolean): RegionScan {
  const argsAt = region.indexOf(argsMarker, start);
  if (argsAt < 0) return isFinal ? { kind: "text", consumed: region.length } : { kind: "incomplete" };
  const idAt = region.indexOf(callIdMarker, start);
  const name = region.slice(start, idAt >= 0 && idAt < argsAt ? idAt : argsAt).trim();
  const jsonStart = skipWhitespace(region, argsAt + argsMarker.length);
  const scan = scanJsonContainer(region, jsonStart);
  if (scan.kind === "incomplete" && !isFinal) return { kind: "incomplete" };
  if (scan.kind !== "complete") return { kind: "text", consumed: region.length };
  const args = tryParseJson(region.slice(jsonStart, scan.end));
  const call = args !== undefined && /^[\w.\-]+$/.test(name) ? callFromJsonObject({ name, arguments: args }) : null;
  return call ? { kind: "calls", calls: [call], consumed: scan.end } : { kind: "text", consumed: scan.end };
}
