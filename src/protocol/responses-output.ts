/**
 * The chat output parser's events -> Response output items and stream events,
 * in the order openai-node's ResponseStream accumulator checks: per item
 * `output_item.added`, for text `content_part.added`, deltas, `.done`s,
 * `output_item.done`. Content, reasoning and each tool call are separate
 * items; a change of kind closes the open item and opens the next.
 *
 * The non-streaming response is this same builder run to the end with its
 * events dropped, so both modes agree to the byte.
 */
import { randomBytes } from "node:crypto";
import type {
  Response,
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputText,
  ResponseReasoningItem,
  ResponseStreamEvent,
  ResponseUsage,
} from "openai/resources/responses/responses";
import type { ChatOutputEvents } from "./chat-output/chat-output-parser.js";

/** openai-node adds `output_text` itself; the wire does not carry it. */
export type ResponseBody = Omit<Response, "output_text"> & { store?: boolean };
type Distribute<T> = T extends { response: Response } ? Omit<T, "response"> & { response: ResponseBody } : T;
export type ResponseEvent = Distribute<ResponseStreamEvent>;

type OpenItem =
  | { kind: "message"; item: ResponseOutputMessage; part: ResponseOutputText }
  | { kind: "reasoning"; item: ResponseReasoningItem; text: string }
  | { kind: "call"; item: ResponseFunctionToolCall; chatIndex: number };

export function newItemId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString("hex")}`;
}

export type FinalStatus = "completed" | "incomplete" | "failed" | "cancelled";

export class ResponseEventBuilder {
  private sequenceNumber = 0;
  private open: OpenItem | null = null;
  private readonly output: ResponseOutputItem[] = [];
  private body: ResponseBody;

  /** `shell`: the response's settings (id, model, echoed request fields), status in_progress, no output yet. */
  /** `newId`: item ids (a replay hands back the stored ones, in order). */
  constructor(shell: ResponseBody, private readonly newId: (prefix: string) => string = newItemId) {
    this.body = { ...shell, status: "in_progress", output: [] };
  }

  /** The response as it stands: its finished items, and the open one as far as it got. */
  get response(): ResponseBody {
    return { ...this.body, output: this.open ? [...this.output, this.snapshotOf(this.open)] : [...this.output] };
  }

  start(): ResponseEvent[] {
    return [
      this.event({ type: "response.created", response: this.response }),
      this.event({ type: "response.in_progress", response: this.response }),
    ];
  }

  push(events: ChatOutputEvents): ResponseEvent[] {
    const out: ResponseEvent[] = [];
    if (events.reasoning !== "") this.reasoningDelta(events.reasoning, out);
    if (events.content !== "") this.textDelta(events.content, out);
    for (const call of events.toolCalls) {
      if (call.id !== undefined || this.open?.kind !== "call" || this.open.chatIndex !== call.index) {
        this.closeOpen(out);
        const item: ResponseFunctionToolCall = {
          type: "function_call", id: this.newId("fc"), call_id: call.id ?? newItemId("call"), name: call.name ?? "", arguments: "", status: "in_progress",
        };
        this.openItem({ kind: "call", item, chatIndex: call.index }, out);
      }
      const open = this.open as Extract<OpenItem, { kind: "call" }>;
      if (call.arguments === "") continue;
      open.item.arguments += call.arguments;
      out.push(this.event({ type: "response.function_call_arguments.delta", item_id: open.item.id!, output_index: this.output.length, delta: call.arguments }));
    }
    return out;
  }

  /** Closes the open item and ends the response: `response.completed`, `.incomplete`, else (failed, cancelled) `.failed`. */
  finish(status: FinalStatus, usage: ResponseUsage | null, error: ResponseBody["error"] = null): ResponseEvent[] {
    const out: ResponseEvent[] = [];
    this.closeOpen(out, status === "completed" ? "completed" : "incomplete");
    this.body = {
      ...this.body,
      status,
      usage: usage ?? undefined,
      error,
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      completed_at: status === "completed" ? Math.floor(Date.now() / 1000) : null,
    };
    const response = this.response;
    if (status === "completed") out.push(this.event({ type: "response.completed", response }));
    else if (status === "incomplete") out.push(this.event({ type: "response.incomplete", response }));
    else out.push(this.event({ type: "response.failed", response }));
    return out;
  }

  /** An `error` event (then `finish("failed")`): a failure after the stream began. */
  error(message: string, code: string | null): ResponseEvent {
    return this.event({ type: "error", message, code, param: null });
  }

  private textDelta(delta: string, out: ResponseEvent[]): void {
    if (this.open?.kind !== "message") {
      this.closeOpen(out);
      const item: ResponseOutputMessage = { type: "message", id: this.newId("msg"), role: "assistant", status: "in_progress", content: [] };
      this.openItem({ kind: "message", item, part: { type: "output_text", text: "", annotations: [], logprobs: [] } }, out);
      out.push(this.event({ type: "response.content_part.added", item_id: item.id, output_index: this.output.length, content_index: 0, part: { type: "output_text", text: "", annotations: [], logprobs: [] } }));
    }
    const open = this.open as Extract<OpenItem, { kind: "message" }>;
    open.part.text += delta;
    out.push(this.event({ type: "response.output_text.delta", item_id: open.item.id, output_index: this.output.length, content_index: 0, delta, logprobs: [] }));
  }

  private reasoningDelta(delta: string, out: ResponseEvent[]): void {
    if (this.open?.kind !== "reasoning") {
      this.closeOpen(out);
      const item: ResponseReasoningItem = { type: "reasoning", id: this.newId("rs"), summary: [], content: [] };
      this.openItem({ kind: "reasoning", item, text: "" }, out);
      out.push(this.event({ type: "response.content_part.added", item_id: item.id, output_index: this.output.length, content_index: 0, part: { type: "reasoning_text", text: "" } }));
    }
    const open = this.open as Extract<OpenItem, { kind: "reasoning" }>;
    open.text += delta;
    out.push(this.event({ type: "response.reasoning_text.delta", item_id: open.item.id, output_index: this.output.length, content_index: 0, delta }));
  }

  private openItem(open: OpenItem, out: ResponseEvent[]): void {
    this.open = open;
    out.push(this.event({ type: "response.output_item.added", output_index: this.output.length, item: this.snapshotOf(open, true) }));
  }

  private closeOpen(out: ResponseEvent[], status: "completed" | "incomplete" = "completed"): void {
    const open = this.open;
    if (!open) return;
    const outputIndex = this.output.length;
    const itemId = open.item.id!;
    if (open.kind === "message") {
      const part = { ...open.part };
      out.push(this.event({ type: "response.output_text.done", item_id: itemId, output_index: outputIndex, content_index: 0, text: part.text, logprobs: [] }));
      out.push(this.event({ type: "response.content_part.done", item_id: itemId, output_index: outputIndex, content_index: 0, part }));
      open.item.status = status;
    } else if (open.kind === "reasoning") {
      out.push(this.event({ type: "response.reasoning_text.done", item_id: itemId, output_index: outputIndex, content_index: 0, text: open.text }));
      out.push(this.event({ type: "response.content_part.done", item_id: itemId, output_index: outputIndex, content_index: 0, part: { type: "reasoning_text", text: open.text } }));
    } else {
      out.push(this.event({ type: "response.function_call_arguments.done", item_id: itemId, output_index: outputIndex, name: open.item.name, arguments: open.item.arguments }));
      // A call's item is complete once its arguments are (the AI SDK requires it); a cut-off shows in the response's status.
      open.item.status = "completed";
    }
    const item = this.snapshotOf(open);
    this.output.push(item);
    this.open = null;
    out.push(this.event({ type: "response.output_item.done", output_index: outputIndex, item }));
  }

  /** The item as clients see it; `isAdded`: as `output_item.added` shows it (no content yet). */
  private snapshotOf(open: OpenItem, isAdded = false): ResponseOutputItem {
    if (open.kind === "message") return { ...open.item, content: isAdded ? [] : [{ ...open.part }] };
    if (open.kind === "reasoning") return { ...open.item, content: isAdded ? [] : [{ type: "reasoning_text", text: open.text }] };
    return { ...open.item };
  }

  private event<T extends Record<string, unknown>>(fields: T): ResponseEvent {
    return { ...fields, sequence_number: this.sequenceNumber++ } as unknown as ResponseEvent;
  }
}

export function toResponseUsage(counts: { numPromptTokens: number; numCompletionTokens: number; numCachedPromptTokens: number }, numReasoningTokens: number): ResponseUsage {
  return {
    input_tokens: counts.numPromptTokens,
    input_tokens_details: { cached_tokens: counts.numCachedPromptTokens, cache_write_tokens: 0 },
    output_tokens: counts.numCompletionTokens,
    output_tokens_details: { reasoning_tokens: numReasoningTokens },
    total_tokens: counts.numPromptTokens + counts.numCompletionTokens,
  };
}
