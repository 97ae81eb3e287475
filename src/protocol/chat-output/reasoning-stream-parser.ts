/**
 * Splits `<think>...</think>` reasoning from the answer as it streams
 * (vLLM's `--reasoning-parser`). The text of a split never depends on the
 * chunking: a possible tag start is held back until it is decided.
 *
 * - `deepseek_r1`: the template opens `<think>` in the prompt, so the output
 *   is reasoning up to `</think>` (a leading `<think>` is dropped); with no
 *   `</think>` at all, everything is reasoning (the model was cut off while
 *   thinking).
 * - `qwen3`: the model writes `<think>` itself when thinking; an output not
 *   starting with it (e.g. `enable_thinking: false`) is all content.
 */
export const reasoningParserNames = ["deepseek_r1", "qwen3"] as const;
export type ReasoningParserName = (typeof reasoningParserNames)[number];

export function isReasoningParserName(name: string): name is ReasoningParserName {
  return (reasoningParserNames as readonly string[]).includes(name);
}

export interface ReasoningEvents {
  reasoning: string;
  content: string;
}

const open = "<think>";
const close = "</think>";

type Phase = "start" | "reasoning" | "content";

export class ReasoningStreamParser {
  private phase: Phase = "start";
  private pending = "";

  constructor(private readonly name: ReasoningParserName) {}

  push(text: string): ReasoningEvents {
    this.pending += text;
    return this.drain(false);
  }

  finish(): ReasoningEvents {
    return this.drain(true);
  }

  private drain(isFinal: boolean): ReasoningEvents {
    const events: ReasoningEvents = { reasoning: "", content: "" };
    if (this.phase === "start") {
      const trimmed = this.pending.trimStart();
      if (!isFinal && open.startsWith(trimmed)) return events;
      if (trimmed.startsWith(open)) {
        this.pending = trimmed.slice(open.length);
        this.phase = "reasoning";
      } else {
        this.phase = this.name === "deepseek_r1" ? "reasoning" : "content";
      }
    }
    if (this.phase === "reasoning") {
      const end = this.pending.indexOf(close);
      if (end >= 0) {
        events.reasoning = this.pending.slice(0, end);
        this.pending = this.pending.slice(end + close.length);
        this.phase = "content";
      } else {
        const held = isFinal ? 0 : heldPrefixLength(this.pending, close);
        events.reasoning = this.pending.slice(0, this.pending.length - held);
        this.pending = this.pending.slice(this.pending.length - held);
        return events;
      }
    }
    events.content = this.pending;
    this.pending = "";
    return events;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function heldPrefixLength(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(marker.slice(0, length))) return length;
  }
  return 0;
}

/** The whole output at once: reasoning (null when none) and content. */
export function parseReasoning(name: ReasoningParserName, text: string): { reasoning: string | null; content: string } {
  const parser = new ReasoningStreamParser(name);
  const first = parser.push(text);
  const last = parser.finish();
  const reasoning = first.reasoning + last.reasoning;
  return { reasoning: reasoning === "" ? null : reasoning, content: first.content + last.content };
}
