/**
 * ChatOutputParser events as OpenAI wire pieces: stream deltas, and the
 * summed message of a non-streaming response.
 */
import type { ChatCompletionMessageFunctionToolCall } from "openai/resources/chat/completions";
import type { ChatDelta, ChatMessageBody } from "../responses.js";
import type { ChatOutputEvents, ChatOutputParser } from "./chat-output-parser.js";

/** The deltas of one step: content and reasoning together, then one per tool call piece (none when nothing happened). */
export function toChatDeltas(events: ChatOutputEvents): ChatDelta[] {
  const deltas: ChatDelta[] = [];
  if (events.content !== "" || events.reasoning !== "") {
    deltas.push({
      ...(events.reasoning !== "" ? { reasoning_content: events.reasoning, reasoning: events.reasoning } : {}),
      ...(events.content !== "" ? { content: events.content } : {}),
    });
  }
  for (const call of events.toolCalls) {
    const isFirst = call.id !== undefined;
    deltas.push({
      tool_calls: [
        isFirst
          ? { index: call.index, id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }
          : { index: call.index, function: { arguments: call.arguments } },
      ],
    });
  }
  return deltas;
}

export type ChatMessageParts = Pick<ChatMessageBody, "content" | "tool_calls" | "reasoning_content" | "reasoning">;

/** The whole text through the parser, summed as a message: content null when empty beside tool calls (OpenAI), "" for a named tool choice. */
export function toChatMessage(parser: ChatOutputParser, text: string): ChatMessageParts {
  let content = "";
  let reasoning = "";
  const calls: ChatCompletionMessageFunctionToolCall[] = [];
  for (const events of [parser.push(text), parser.finish()]) {
    content += events.content;
    reasoning += events.reasoning;
    for (const call of events.toolCalls) {
      if (call.id !== undefined) calls.push({ id: call.id, type: "function", function: { name: call.name ?? "", arguments: call.arguments } });
      else calls[call.index].function.arguments += call.arguments;
    }
  }
  const parts: ChatMessageParts = { content: content === "" && calls.length > 0 && !parser.isNamedChoice ? null : content };
  if (calls.length > 0) parts.tool_calls = calls;
  if (reasoning !== "") Object.assign(parts, { reasoning_content: reasoning, reasoning });
  return parts;
}
