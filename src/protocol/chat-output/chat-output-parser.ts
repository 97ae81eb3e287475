/**
 * One chat choice's generated text -> what the client sees: `content`,
 * `reasoning_content` and `tool_calls`, as stream deltas. The non-streaming
 * response is these deltas summed, so both modes agree to the byte.
 *
 * The pipeline: reasoning (`<think>`) is split off first, then tool calls are
 * read from the rest according to the request's tool mode:
 * - `plain`: no tool parsing (no tools, `tool_choice: "none"`, or no parser).
 * - `auto`: the model's own syntax (hermes, llama3_json, mistral, pythonic).
 * - `named`: the grammar-constrained output *is* the arguments object of one
 *   call to that function, streamed fragment by fragment as it is generated.
 * - `required`: the grammar-constrained output is a JSON array of
 *   `{"name", "parameters"}` objects, each sent as one call once complete.
 */
import { randomBytes } from "node:crypto";
import type { FinishReason } from "../../engine/types.js";
import { ReasoningStreamParser, type ReasoningParserName } from "./reasoning-stream-parser.js";
import { requiredToolSyntax } from "./required-tool-syntax.js";
import { ToolCallStreamParser } from "./tool-call-stream-parser.js";
import type { ToolSyntax } from "./tool-syntax.js";

export type ToolMode =
  | { kind: "plain" }
  | { kind: "auto"; syntax: ToolSyntax; maxCalls: number }
  | { kind: "named"; name: string }
  | { kind: "required"; maxCalls: number };

export interface ChatOutputOptions {
  toolMode: ToolMode;
  reasoningParser: ReasoningParserName | null;
  idStyle: ToolSyntax["idStyle"];
}

/** A tool call's delta: the first carries id and name; every one a piece of the arguments JSON. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

export interface ChatOutputEvents {
  content: string;
  reasoning: string;
  toolCalls: ToolCallDelta[];
}

export class ChatOutputParser {
  private readonly reasoning: ReasoningStreamParser | null;
  private readonly tools: ToolCallStreamParser | null;
  private numToolCalls = 0;

  constructor(private readonly options: ChatOutputOptions) {
    const { toolMode } = options;
    this.reasoning = options.reasoningParser && (toolMode.kind === "plain" || toolMode.kind === "auto") ? new ReasoningStreamParser(options.reasoningParser) : null;
    this.tools =
      toolMode.kind === "auto"
        ? new ToolCallStreamParser(toolMode.syntax, toolMode.maxCalls)
        : toolMode.kind === "required"
          ? new ToolCallStreamParser(requiredToolSyntax, toolMode.maxCalls)
          : null;
  }

  /** Whether any tool call was made (so finish_reason becomes `tool_calls` in auto and required modes). */
  get hasToolCalls(): boolean {
    return this.numToolCalls > 0;
  }

  get isNamedChoice(): boolean {
    return this.options.toolMode.kind === "named";
  }

  /** `tool_calls` when a generation that ended normally made calls in auto or required mode (a named choice stays `stop`). */
  finishReason(reason: FinishReason): FinishReason | "tool_calls" {
    return reason === "stop" && this.hasToolCalls && this.options.toolMode.kind !== "named" ? "tool_calls" : reason;
  }

  push(text: string): ChatOutputEvents {
    return this.process(text, false);
  }

  finish(): ChatOutputEvents {
    return this.process("", true);
  }

  private process(text: string, isFinal: boolean): ChatOutputEvents {
    const { toolMode } = this.options;
    if (toolMode.kind === "named") return this.namedCall(toolMode.name, text, isFinal);
    let reasoning = "";
    let answer = text;
    if (this.reasoning) {
      const split = this.reasoning.push(text);
      const last = isFinal ? this.reasoning.finish() : { reasoning: "", content: "" };
      reasoning = split.reasoning + last.reasoning;
      answer = split.content + last.content;
    }
    if (!this.tools) return { content: answer, reasoning, toolCalls: [] };
    const parsed = this.tools.push(answer);
    const last = isFinal ? this.tools.finish() : { content: "", calls: [] };
    const toolCalls = [...parsed.calls, ...last.calls].map((call) => ({
      index: this.numToolCalls++,
      id: this.newId(),
      name: call.name,
      arguments: call.arguments,
    }));
    return { content: parsed.content + last.content, reasoning, toolCalls };
  }

  private namedCall(name: string, text: string, isFinal: boolean): ChatOutputEvents {
    const events: ChatOutputEvents = { content: "", reasoning: "", toolCalls: [] };
    if (this.numToolCalls === 0) {
      if (text === "" && !isFinal) return events;
      this.numToolCalls = 1;
      events.toolCalls.push({ index: 0, id: this.newId(), name, arguments: text });
    } else if (text !== "") {
      events.toolCalls.push({ index: 0, arguments: text });
    }
    return events;
  }

  private newId(): string {
    if (this.options.idStyle === "mistral") return randomAlphanumeric(9);
    return `call_${randomAlphanumeric(24)}`;
  }
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function randomAlphanumeric(length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join("");
}
