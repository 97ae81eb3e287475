/**
 * Splits a model's output into content and tool calls as it streams, for any
 * ToolSyntax. Text that may still turn out to be the start of a call marker
 * is held back, so no call syntax ever reaches `content`; whitespace next to
 * calls is dropped. The events do not depend on how the text was chunked:
 * feeding the whole output at once gives the non-streaming result.
 *
 * A region that opens like a call but never completes one (cut off by
 * max_tokens, or not valid JSON) is returned as content, as vLLM does.
 */
import { skipWhitespace } from "./json-scan.js";
import type { ParsedToolCall, ToolSyntax } from "./tool-syntax.js";

export interface ToolParseEvents {
  content: string;
  calls: ParsedToolCall[];
}

type Boundary = "start" | "after-call" | "none";

export class ToolCallStreamParser {
  private pending = "";
  private isInCall = false;
  private boundary: Boundary = "start";
  private numCalls = 0;

  constructor(
    private readonly syntax: ToolSyntax,
    /** At most this many calls are returned (`parallel_tool_calls: false` -> 1); later ones are dropped. */
    private readonly maxCalls = Infinity,
  ) {}

  get hasCalls(): boolean {
    return this.numCalls > 0;
  }

  push(text: string): ToolParseEvents {
    this.pending += text;
    return this.drain(false);
  }

  finish(): ToolParseEvents {
    return this.drain(true);
  }

  private drain(isFinal: boolean): ToolParseEvents {
    const events: ToolParseEvents = { content: "", calls: [] };
    for (;;) {
      if (this.isInCall) {
        const scan = this.syntax.scan(this.pending, isFinal);
        if (scan.kind === "incomplete") return events;
        if (scan.kind === "calls") {
          for (const call of scan.calls) {
            if (this.numCalls < this.maxCalls) events.calls.push(call);
            this.numCalls++;
          }
          this.boundary = "after-call";
        } else {
          events.content += this.pending.slice(0, scan.consumed);
          this.boundary = "none";
        }
        this.pending = this.pending.slice(scan.consumed);
        this.isInCall = false;
        continue;
      }
      if (!this.readContent(events, isFinal)) return events;
    }
  }

  /** Emits content; answers true when a call region starts at `pending[0]`. */
  private readContent(events: ToolParseEvents, isFinal: boolean): boolean {
    if (this.boundary !== "none") {
      const openers = this.boundary === "start" ? this.syntax.openersAtStart : this.syntax.openersAfterCall;
      const first = skipWhitespace(this.pending, 0);
      const rest = this.pending.slice(first);
      if (rest === "" && !isFinal) return false;
      if (openers.some((opener) => rest.startsWith(opener))) return this.enterCall(first);
      if (!isFinal && openers.some((opener) => opener.startsWith(rest))) return false;
      if (this.boundary === "after-call") this.pending = rest;
      this.boundary = "none";
    }
    const found = this.firstOpener();
    if (found !== null) {
      events.content += this.pending.slice(0, found).trimEnd();
      return this.enterCall(found);
    }
    if (isFinal) {
      events.content += this.numCalls > 0 ? this.pending.trimEnd() : this.pending;
      this.pending = "";
      return false;
    }
    // Held: a possible marker start, and the whitespace before it (dropped if a call follows).
    const emitEnd = this.pending.slice(0, this.pending.length - this.markerPrefixLength()).trimEnd().length;
    events.content += this.pending.slice(0, emitEnd);
    this.pending = this.pending.slice(emitEnd);
    return false;
  }

  private enterCall(at: number): boolean {
    this.pending = this.pending.slice(at);
    this.isInCall = true;
    return true;
  }

  private firstOpener(): number | null {
    let best: number | null = null;
    for (const opener of this.syntax.openersAnywhere) {
      const index = this.pending.indexOf(opener);
      if (index >= 0 && (best === null || index < best)) best = index;
    }
    return best;
  }

  /** Length of the longest suffix of `pending` that could begin an opener. */
  private markerPrefixLength(): number {
    let longest = 0;
    for (const opener of this.syntax.openersAnywhere) {
      for (let length = Math.min(opener.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(opener.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}

/** The whole output at once: content (null when empty, as OpenAI) and calls. */
export function parseToolCalls(syntax: ToolSyntax, text: string, maxCalls = Infinity): { content: string | null; calls: ParsedToolCall[] } {
  const parser = new ToolCallStreamParser(syntax, maxCalls);
  const first = parser.push(text);
  const last = parser.finish();
  const content = first.content + last.content;
  return { content: content === "" ? null : content, calls: [...first.calls, ...last.calls] };
}
