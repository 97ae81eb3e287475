/**
 * OpenAI chat `messages` as HF chat templates expect them, normalized as
 * vLLM's chat_utils does: text parts joined with "\n", `null` content becomes
 * "", empty `tool_calls` are dropped and `function.arguments` JSON strings are
 * parsed into objects (templates do `arguments | tojson`); a string that is
 * not valid JSON becomes `{}`.
 */
import { InvalidRequestError } from "../errors.js";

export type ChatContentPart = { type: "text"; text: string } | { type: string; [k: string]: unknown };

export interface ChatMessage {
  role: string;
  content?: string | null | ChatContentPart[];
  name?: string | null;
  tool_calls?: unknown[] | null;
  tool_call_id?: string | null;
  [k: string]: unknown;
}

const TEXT_PART_TYPES = new Set(["text", "input_text", "output_text", "refusal"]);

function contentToText(content: ChatMessage["content"], index: number): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    throw new InvalidRequestError("Message content must be a string or a list of content parts.", {
      param: `messages[${index}].content`,
    });
  }
  const texts: string[] = [];
  for (const part of content as unknown[]) {
    if (typeof part === "string") {
      texts.push(part);
      continue;
    }
    const record = (typeof part === "object" && part !== null ? part : {}) as Record<string, unknown>;
    const type = record.type;
    if (typeof type !== "string" || !TEXT_PART_TYPES.has(type)) {
      throw new InvalidRequestError(
        `Content part type ${JSON.stringify(type ?? null)} is not supported: only text content is supported.`,
        { param: "messages" },
      );
    }
    const text = type === "refusal" ? record.refusal : record.text;
    if (text === null || text === undefined) continue; // vLLM skips empty text parts
    if (typeof text !== "string") {
      throw new InvalidRequestError("A text content part must have a string `text`.", { param: "messages" });
    }
    texts.push(text);
  }
  return texts.join("\n");
}

function parseToolArguments(value: unknown): unknown {
  if (typeof value === "string") {
    try {
      return JSON.parse(value);
    } catch {
      return {}; // vLLM: any string that is not valid JSON becomes an empty dict
    }
  }
  return typeof value === "object" && value !== null ? value : {};
}

/**
 * The template's `messages`, leaving the request's own objects untouched.
 * `developer` becomes `system` unless the template knows the developer role.
 */
export function toTemplateMessages(messages: ChatMessage[], handlesDeveloperRole: boolean): Record<string, unknown>[] {
  return messages.map((message, index) => {
    const role = message.role === "developer" && !handlesDeveloperRole ? "system" : message.role;
    const out: Record<string, unknown> = { role, content: contentToText(message.content, index) };
    if (message.role === "assistant") {
      if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
        out.tool_calls = message.tool_calls.map((call) => {
          if (typeof call !== "object" || call === null) return call;
          const record = call as Record<string, unknown>;
          const fn = record.function;
          if (typeof fn !== "object" || fn === null) return { ...record };
          const fnRecord = fn as Record<string, unknown>;
          return { ...record, function: { ...fnRecord, arguments: parseToolArguments(fnRecord.arguments) } };
        });
      }
      const reasoning = message.reasoning ?? message.reasoning_content;
      if (typeof reasoning === "string") {
        out.reasoning = reasoning;
        out.reasoning_content = reasoning;
      }
    }
    if (message.role === "tool" && typeof message.tool_call_id === "string") out.tool_call_id = message.tool_call_id;
    if (typeof message.name === "string") out.name = message.name;
    if (typeof message.task === "string") out.task = message.task;
    if (message.role === "developer") out.tools = message.tools ?? null;
    return out;
  });
}
