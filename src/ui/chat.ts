/**
 * The playground's conversation model, pure: settings and messages to a
 * /v1/chat/completions body, and stream chunks folded into a reply. Numbers
 * the user typed that are not numbers are sent as typed, so the API's own
 * validation message is the one shown.
 */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ReplyStats {
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens: number | null;
  timeToFirstTokenMs: number | null;
  tokensPerSecond: number | null;
}

export interface PlaygroundMessage {
  role: "user" | "assistant" | "tool";
  content: string;
  reasoning?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
  finishReason?: string | null;
  stats?: ReplyStats;
  /** The body that produced an assistant reply, for "copy as code" and the JSON check. */
  request?: Record<string, unknown>;
  error?: string;
  /** Stopped by the user. */
  stopped?: boolean;
}

export type ResponseFormatKind = "text" | "json_object" | "json_schema";

export interface Settings {
  model: string;
  system: string;
  /** Sampling fields as typed; "" leaves the server default. */
  sampling: Record<SamplingField, string>;
  stop: string;
  ignoreEos: boolean;
  responseFormat: ResponseFormatKind;
  schema: string;
  useTools: boolean;
  tools: string;
  /** "auto", "none", "required" or a tool's name. */
  toolChoice: string;
}

export const editableSamplingFields = [
  "temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty", "max_tokens", "seed",
] as const;
export type SamplingField = (typeof editableSamplingFields)[number];

export const defaultSettings: Settings = {
  model: "",
  system: "",
  sampling: { temperature: "", top_p: "", top_k: "", min_p: "", presence_penalty: "", frequency_penalty: "", repetition_penalty: "", max_tokens: "512", seed: "" },
  stop: "",
  ignoreEos: false,
  responseFormat: "text",
  schema: JSON.stringify(
    { type: "object", properties: { answer: { type: "string" }, confidence: { type: "number", minimum: 0, maximum: 1 } }, required: ["answer", "confidence"], additionalProperties: false },
    null,
    2,
  ),
  useTools: false,
  tools: JSON.stringify(
    [{ type: "function", function: { name: "get_weather", description: "Weather for a city.", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }],
    null,
    2,
  ),
  toolChoice: "auto",
};

/** A request body, or the editor field whose text is not valid JSON. */
export type BuiltBody = { body: Record<string, unknown> } | { field: "schema" | "tools"; message: string };

export function buildChatBody(settings: Settings, messages: readonly PlaygroundMessage[]): BuiltBody {
  const body: Record<string, unknown> = { model: settings.model, messages: wireMessages(settings.system, messages) };
  for (const field of editableSamplingFields) {
    const typed = settings.sampling[field].trim();
    if (typed === "") continue;
    const number = Number(typed);
    body[field] = Number.isFinite(number) ? number : typed;
  }
  const stops = settings.stop.split("\n").filter((stop) => stop !== "");
  if (stops.length > 0) body.stop = stops;
  if (settings.ignoreEos) body.ignore_eos = true;
  if (settings.responseFormat === "json_object") body.response_format = { type: "json_object" };
  if (settings.responseFormat === "json_schema") {
    const schema = parseJson(settings.schema);
    if (!schema.ok) return { field: "schema", message: `JSON schema: ${schema.message}` };
    body.response_format = { type: "json_schema", json_schema: { name: "playground", schema: schema.value, strict: true } };
  }
  if (settings.useTools) {
    const tools = parseJson(settings.tools);
    if (!tools.ok) return { field: "tools", message: `Tools: ${tools.message}` };
    body.tools = tools.value;
    const choice = settings.toolChoice;
    body.tool_choice = choice === "auto" || choice === "none" || choice === "required" ? choice : { type: "function", function: { name: choice } };
  }
  body.stream = true;
  body.stream_options = { include_usage: true };
  return { body };
}

function wireMessages(system: string, messages: readonly PlaygroundMessage[]): unknown[] {
  const wire: unknown[] = system.trim() !== "" ? [{ role: "system", content: system }] : [];
  for (const message of messages) {
    if (message.error !== undefined && message.content === "" && !message.toolCalls) continue;
    if (message.role === "tool") wire.push({ role: "tool", tool_call_id: message.toolCallId, content: message.content });
    else if (message.role === "assistant" && message.toolCalls?.length) {
      wire.push({ role: "assistant", content: message.content === "" ? null : message.content, tool_calls: message.toolCalls });
    } else wire.push({ role: message.role, content: message.content });
  }
  return wire;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Folds one chat.completion.chunk (choice 0) into the reply being streamed. */
export function applyChunk(reply: PlaygroundMessage, chunk: any): PlaygroundMessage {
  const next: PlaygroundMessage = { ...reply };
  const choice = chunk.choices?.[0];
  if (choice) {
    const delta = choice.delta ?? {};
    if (typeof delta.content === "string") next.content += delta.content;
    if (typeof delta.reasoning_content === "string") next.reasoning = (next.reasoning ?? "") + delta.reasoning_content;
    for (const call of delta.tool_calls ?? []) {
      const calls = [...(next.toolCalls ?? [])];
      const index = call.index ?? calls.length;
      const previous = calls[index] ?? { id: "", type: "function", function: { name: "", arguments: "" } };
      calls[index] = {
        id: call.id ?? previous.id,
        type: "function",
        function: { name: previous.function.name + (call.function?.name ?? ""), arguments: previous.function.arguments + (call.function?.arguments ?? "") },
      };
      next.toolCalls = calls;
    }
    if (choice.finish_reason) next.finishReason = choice.finish_reason;
  }
  if (chunk.usage) {
    next.stats = {
      ...(next.stats ?? emptyStats()),
      promptTokens: chunk.usage.prompt_tokens ?? null,
      completionTokens: chunk.usage.completion_tokens ?? null,
      cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? null,
    };
  }
  return next;
}

export function emptyStats(): ReplyStats {
  return { promptTokens: null, completionTokens: null, cachedTokens: null, timeToFirstTokenMs: null, tokensPerSecond: null };
}

/** Whether the reply has produced anything the user can see (for TTFT). */
export function hasOutput(reply: PlaygroundMessage): boolean {
  return reply.content !== "" || (reply.reasoning ?? "") !== "" || (reply.toolCalls?.length ?? 0) > 0;
}

/** The calls of an assistant message that have no tool result after it yet. */
export function unansweredCalls(messages: readonly PlaygroundMessage[], index: number): ToolCall[] {
  const calls = messages[index].toolCalls ?? [];
  const answered = new Set(messages.slice(index + 1).filter((m) => m.role === "tool").map((m) => m.toolCallId));
  return calls.filter((call) => !answered.has(call.id));
}
