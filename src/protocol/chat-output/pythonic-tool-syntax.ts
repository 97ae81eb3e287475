/**
 * Pythonic tool calls (vLLM's `pythonic`, Llama 3.2/4 style): the whole reply
 * is a Python list of calls, `[get_weather(city="Paris", days=3), ...]`, with
 * keyword arguments whose values are Python literals.
 */
import type { ParsedToolCall, RegionScan, ToolSyntax } from "./tool-syntax.js";

export const pythonicToolSyntax: ToolSyntax = {
  name: "pythonic",
  openersAnywhere: [],
  openersAtStart: ["["],
  openersAfterCall: [],
  idStyle: "openai",
  scan(region: string, isFinal: boolean): RegionScan {
    const end = findListEnd(region);
    if (end === null && !isFinal) return { kind: "incomplete" };
    if (end === null) return { kind: "text", consumed: region.length };
    const calls = parsePythonicCalls(region.slice(0, end));
    return calls ? { kind: "calls", calls, consumed: end } : { kind: "text", consumed: end };
  },
};

/** Index just past the bracket closing `text[0]`, skipping Python strings; null when not there yet. */
function findListEnd(text: string): number | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote !== null) {
      if (char === "\\") i++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if ("[({".includes(char)) depth++;
    else if ("])}".includes(char) && --depth === 0) return i + 1;
  }
  return null;
}

class PythonSyntaxError extends Error {}

/** The calls of `[f(a=1), g()]`, or null when the text is not such a list. */
export function parsePythonicCalls(text: string): ParsedToolCall[] | null {
  try {
    const reader = new PythonLiteralReader(text);
    const calls = reader.readCallList();
    reader.expectEnd();
    return calls;
  } catch (error) {
    if (error instanceof PythonSyntaxError) return null;
    throw error;
  }
}

class PythonLiteralReader {
  private at = 0;
  constructor(private readonly text: string) {}

  readCallList(): ParsedToolCall[] {
    this.expect("[");
    const calls: ParsedToolCall[] = [];
    while (!this.accept("]")) {
      if (calls.length > 0) this.expect(",");
      if (this.accept("]")) break;
      calls.push(this.readCall());
    }
    if (calls.length === 0) this.fail();
    return calls;
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.at !== this.text.length) this.fail();
  }

  private readCall(): ParsedToolCall {
    const name = this.readName();
    this.expect("(");
    const args: Record<string, unknown> = {};
    while (!this.accept(")")) {
      if (Object.keys(args).length > 0) this.expect(",");
      if (this.accept(")")) break;
      const key = this.readName();
      this.expect("=");
      args[key] = this.readValue();
    }
    return { name, arguments: JSON.stringify(args) };
  }

  private readName(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][\w.\-]*/.exec(this.text.slice(this.at));
    if (!match) this.fail();
    this.at += match![0].length;
    return match![0];
  }

  private readValue(): unknown {
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '"' || char === "'") return this.readString(char);
    if (char === "[" || char === "(") return this.readSequence(char === "[" ? "]" : ")");
    if (char === "{") return this.readDict();
    const match = /^(?:True|False|None|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.at));
    if (!match) this.fail();
    this.at += match![0].length;
    const word = match![0];
    return word === "True" ? true : word === "False" ? false : word === "None" ? null : Number(word);
  }

  private readSequence(close: string): unknown[] {
    this.at++;
    const items: unknown[] = [];
    while (!this.accept(close)) {
      if (items.length > 0) this.expect(",");
      if (this.accept(close)) break;
      items.push(this.readValue());
    }
    return items;
  }

  private readDict(): Record<string, unknown> {
    this.at++;
    const dict: Record<string, unknown> = {};
    let isFirst = true;
    while (!this.accept("}")) {
      if (!isFirst) this.expect(",");
      if (this.accept("}")) break;
      isFirst = false;
      const key = this.readValue();
      if (typeof key !== "string" && typeof key !== "number") this.fail();
      this.expect(":");
      dict[String(key)] = this.readValue();
    }
    return dict;
  }

  private readString(quote: string): string {
    const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0" };
    let out = "";
    for (this.at++; this.at < this.text.length; this.at++) {
      const char = this.text[this.at];
      if (char === quote) {
        this.at++;
        return out;
      }
      if (char !== "\\") {
        out += char;
        continue;
      }
      const next = this.text[++this.at];
      if (next === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at + 1, this.at + 5))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.at + 1, this.at + 5), 16));
        this.at += 4;
      } else out += escapes[next] ?? `\\${next}`;
    }
    return this.fail();
  }

  private accept(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.accept(token)) this.fail();
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  private fail(): never {
    throw new PythonSyntaxError(`not a pythonic tool call list at ${this.at}`);
  }
}
