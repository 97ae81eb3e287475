/**
 * A Responses request -> the chat pipeline's request: input items become chat
 * messages (the conversation of `previous_response_id` first), `instructions`
 * a leading system message, `tools` / `tool_choice` / `text.format` their chat
 * forms, and the sampling fields pass through. From here on the request runs
 * exactly as a chat completion does: same template, parsers and grammars.
 *
 * Anything pagoda cannot serve (images, files, audio, built-in tools) is a 400
 * naming where it was found, never dropped silently.
 */
import { ContextLengthExceededError, InvalidRequestError, ApiError, UnsupportedParameterError } from "../errors.js";
import type { ResponseCreateRequest } from "./responses-request.js";

/** A stored input or output item, as it went over the wire (with its `id`). */
export type WireItem = Record<string, unknown> & { type: string; id?: string };

/** A chat message as the chat request schema reads it. */
export interface ChatTurn {
  role: string;
  content: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
  reasoning_content?: string;
}

/** Resolves `item_reference` ids to items the store holds. */
export type ItemLookup = (id: string) => WireItem | undefined;

const textPartTypes = new Set(["input_text", "output_text", "text", "refusal"]);
/** Item types OpenAI defines for its hosted tools, which pagoda has none of. */
const hostedItemTypes = new Set([
  "file_search_call", "web_search_call", "computer_call", "computer_call_output", "image_generation_call", "code_interpreter_call",
  "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output", "apply_patch_call", "apply_patch_call_output",
  "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "mcp_call", "custom_tool_call", "custom_tool_call_output",
  "tool_search_call", "tool_search_output", "compaction",
]);

/**
 * The request's own input as items, each validated, with `item_reference`s
 * resolved and every item given an id (the store lists them by it).
 */
export function toInputItems(input: ResponseCreateRequest["input"], lookup: ItemLookup, newId: (prefix: string) => string): WireItem[] {
  if (input === undefined) throw new InvalidRequestError("'input' is required.", { param: "input" });
  if (typeof input === "string") return [{ type: "message", id: newId("msg"), role: "user", content: [{ type: "input_text", text: input }] }];
  return input.map((raw, index) => {
    const param = `input[${index}]`;
    const item = raw as Record<string, unknown>;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    if (type === "item_reference") {
      if (typeof item.id !== "string") throw new InvalidRequestError(`'${param}.id' must be a string.`, { param: `${param}.id` });
      const found = lookup(item.id);
      if (!found) throw new InvalidRequestError(`Item with id '${item.id}' not found: it was never stored, was deleted, or was evicted from the response store.`, { param: `${param}.id`, code: "item_not_found" });
      return found;
    }
    checkItem(item, type, param);
    const prefix = type === "message" ? "msg" : type === "function_call" ? "fc" : type === "reasoning" ? "rs" : "fco";
    return { ...item, type: type as string, id: typeof item.id === "string" ? item.id : newId(prefix) };
  });
}

function checkItem(item: Record<string, unknown>, type: unknown, param: string): void {
  switch (type) {
    case "message": {
      if (!["user", "assistant", "system", "developer"].includes(item.role as string)) {
        throw new InvalidRequestError(`'${param}.role' must be user, assistant, system or developer.`, { param: `${param}.role` });
      }
      checkContent(item.content, `${param}.content`);
      return;
    }
    case "function_call":
      for (const field of ["call_id", "name", "arguments"]) {
        if (typeof item[field] !== "string") throw new InvalidRequestError(`'${param}.${field}' must be a string.`, { param: `${param}.${field}` });
      }
      return;
    case "function_call_output":
      if (typeof item.call_id !== "string") throw new InvalidRequestError(`'${param}.call_id' must be a string.`, { param: `${param}.call_id` });
      if (typeof item.output !== "string") checkContent(item.output, `${param}.output`);
      return;
    case "reasoning":
      return;
    default:
      if (typeof type === "string" && hostedItemTypes.has(type)) {
        throw new UnsupportedParameterError(`Input items of type '${type}' are not supported: pagoda has no built-in tools.`, `${param}.type`);
      }
      throw new InvalidRequestError(`Unknown input item type ${JSON.stringify(type ?? null)}.`, { param: `${param}.type` });
  }
}

function checkContent(content: unknown, param: string): void {
  if (typeof content === "string") return;
  if (!Array.isArray(content)) throw new InvalidRequestError(`'${param}' must be a string or a list of content parts.`, { param });
  content.forEach((part: unknown, index) => {
    const type = typeof part === "object" && part !== null ? (part as Record<string, unknown>).type : undefined;
    if (typeof type === "string" && textPartTypes.has(type)) return;
    const where = `${param}[${index}].type`;
    if (type === "input_image" || type === "input_file" || type === "input_audio") {
      throw new UnsupportedParameterError(`Content parts of type '${type}' are not supported: this server serves text models only.`, where);
    }
    throw new InvalidRequestError(`Unknown content part type ${JSON.stringify(type ?? null)}.`, { param: where });
  });
}

/**
 * Items -> chat messages. A function call joins the assistant message just
 * before it (a model's text and its calls are one chat turn); a reasoning
 * item's text rides on the next assistant message, as chat templates expect.
 */
export function toChatMessages(items: readonly WireItem[]): ChatTurn[] {
  const messages: ChatTurn[] = [];
  let pendingReasoning: string | null = null;
  const assistantTurn = (): ChatTurn => {
    const last = messages.at(-1);
    if (last?.role === "assistant" && pendingReasoning === null) return last;
    const message: ChatTurn = { role: "assistant", content: "" };
    if (pendingReasoning !== null) message.reasoning_content = pendingReasoning;
    pendingReasoning = null;
    messages.push(message);
    return message;
  };
  for (const item of items) {
    if (item.type === "message") {
      const text = contentText(item.content);
      if (item.role === "assistant") {
        const turn = assistantTurn();
        turn.content += text;
      } else messages.push({ role: item.role as string, content: text });
    } else if (item.type === "function_call") {
      const turn = assistantTurn();
      turn.tool_calls = [...(turn.tool_calls ?? []), { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } }];
    } else if (item.type === "function_call_output") {
      messages.push({ role: "tool", tool_call_id: item.call_id as string, content: typeof item.output === "string" ? item.output : contentText(item.output) });
    } else if (item.type === "reasoning") {
      const parts = [...(Array.isArray(item.content) ? item.content : []), ...(Array.isArray(item.summary) ? item.summary : [])];
      const text = contentText(parts);
      if (text !== "") pendingReasoning = (pendingReasoning ?? "") + text;
    }
  }
  return messages;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: Record<string, unknown>) => (typeof part.text === "string" ? part.text : typeof part.refusal === "string" ? part.refusal : ""))
    .join("\n");
}

/** `tools`, `tool_choice`, `parallel_tool_calls` and `text.format` in their chat forms. */
export function toChatToolsAndFormat(request: ResponseCreateRequest): Record<string, unknown> {
  const tools = (request.tools ?? []).map((tool, index) => {
    if (tool.type !== "function") {
      throw new UnsupportedParameterError(`Tools of type '${tool.type}' are not supported: pagoda serves function tools only.`, `tools[${index}].type`);
    }
    if (typeof tool.name !== "string" || tool.name === "") throw new InvalidRequestError(`'tools[${index}].name' must be a non-empty string.`, { param: `tools[${index}].name` });
    const { name, description, parameters, strict } = tool as Record<string, unknown>;
    return { type: "function", function: { name, description: description ?? undefined, parameters: parameters ?? undefined, strict: strict ?? undefined } };
  });
  const chat: Record<string, unknown> = { tools, parallel_tool_calls: request.parallel_tool_calls };
  const choice = request.tool_choice;
  if (typeof choice === "string" || choice == null) chat.tool_choice = choice ?? undefined;
  else if (choice.type === "function" && typeof choice.name === "string") chat.tool_choice = { type: "function", function: { name: choice.name } };
  else throw new UnsupportedParameterError(`'tool_choice' of type '${choice.type}' is not supported; use none, auto, required or {type: "function", name}.`, "tool_choice");
  const format = request.text?.format;
  if (format?.type === "json_object") chat.response_format = { type: "json_object" };
  if (format?.type === "json_schema") {
    if (format.schema == null) throw new InvalidRequestError("'text.format.schema' is required for type 'json_schema'.", { param: "text.format.schema" });
    chat.response_format = { type: "json_schema", json_schema: { name: format.name ?? "response", schema: format.schema, strict: format.strict ?? undefined } };
  }
  return chat;
}

/** Fields OpenAI defines that pagoda cannot honour: a 400 each, rather than ignored. */
export function rejectUnsupportedResponseFields(request: ResponseCreateRequest): void {
  if (request.truncation === "auto") throw new UnsupportedParameterError("'truncation: auto' is not supported; a conversation longer than the context is a 400 instead.", "truncation");
  if (request.background === true) throw new UnsupportedParameterError("'background' responses are not supported; use 'stream' instead.", "background");
  if (request.conversation != null) throw new UnsupportedParameterError("'conversation' is not supported; use 'previous_response_id'.", "conversation");
  if (request.top_logprobs != null && request.top_logprobs > 0) throw new UnsupportedParameterError("'top_logprobs' is not supported on /v1/responses yet; use /v1/chat/completions.", "top_logprobs");
  if (request.max_tool_calls != null) throw new UnsupportedParameterError("'max_tool_calls' is not supported; use 'parallel_tool_calls: false' for one call.", "max_tool_calls");
}

/** Chat field paths -> the Responses fields they came from. */
const chatToResponseFields: Array<[RegExp, string]> = [
  [/^response_format\.json_schema\.schema/, "text.format.schema"],
  [/^response_format/, "text.format"],
  [/^tools(\[\d+\])\.function/, "tools$1"],
  [/^max_completion_tokens/, "max_output_tokens"],
  [/^messages/, "input"],
];

/**
 * An error the chat path raised, naming the Responses field instead of the
 * chat field it was translated into (`text.format.schema.x`, not
 * `response_format.json_schema.schema.x`).
 */
export function inResponsesTerms(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.param === null) return error;
  const rule = chatToResponseFields.find(([pattern]) => pattern.test(error.param!));
  if (!rule) return error;
  const param = error.param.replace(rule[0], rule[1]);
  const message = error.message.replaceAll("max_completion_tokens", "max_output_tokens").replaceAll("response_format", "text.format");
  if (error instanceof ContextLengthExceededError) return new ContextLengthExceededError(message, param);
  if (error instanceof UnsupportedParameterError) return new UnsupportedParameterError(message, param);
  if (error instanceof InvalidRequestError) return new InvalidRequestError(message, { param, code: error.code });
  return error;
}
