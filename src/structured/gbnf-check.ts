/**
 * A syntax check of user GBNF mirroring llama.cpp's parser (llama-grammar.cpp),
 * so an invalid `grammar` is a 400 with a message saying where, before it
 * reaches llama.cpp (which then checks it again when the request is admitted).
 */

import { maxNesting, maxRepetitions } from "./gbnf.js";

export class GbnfSyntaxError extends Error {}

const escapes = new Set(["t", "r", "n", "\\", '"', "[", "]"]);
const hexLengths: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Throws GbnfSyntaxError unless `grammar` parses, defines every rule it uses, and has `root`. */
export function checkGbnf(grammar: string): void {
  new GbnfChecker(grammar).check();
}

class GbnfChecker {
  private pos = 0;
  private depth = 0;
  private readonly defined = new Set<string>();
  private readonly used = new Map<string, number>();

  constructor(private readonly text: string) {}

  check(): void {
    this.space(true);
    while (this.pos < this.text.length) {
      this.rule();
      this.space(true);
    }
    for (const [name, at] of this.used) if (!this.defined.has(name)) this.fail(`undefined rule '${name}'`, at);
    if (!this.defined.has("root")) this.fail("no 'root' rule", this.text.length);
  }

  private fail(message: string, at = this.pos): never {
    const line = this.text.slice(0, at).split("\n").length;
    throw new GbnfSyntaxError(`${message} (line ${line})`);
  }

  private space(newlineOk: boolean): void {
    for (;;) {
      const char = this.text[this.pos];
      if (char === " " || char === "\t" || (newlineOk && (char === "\n" || char === "\r"))) this.pos++;
      else if (char === "#") while (this.pos < this.text.length && this.text[this.pos] !== "\n" && this.text[this.pos] !== "\r") this.pos++;
      else return;
    }
  }

  private name(): string {
    const match = /^[a-zA-Z0-9-]+/.exec(this.text.slice(this.pos));
    if (!match) this.fail("expecting a rule name");
    this.pos += match[0].length;
    return match[0];
  }

  private rule(): void {
    const name = this.name();
    this.space(false);
    if (!this.text.startsWith("::=", this.pos)) this.fail("expecting ::=");
    this.pos += 3;
    this.space(true);
    this.alternates(false);
    const char = this.text[this.pos];
    if (char === "\r" || char === "\n") this.pos++;
    else if (this.pos < this.text.length) this.fail("expecting newline or end");
    this.defined.add(name);
  }

  private alternates(isNested: boolean): void {
    this.sequence(isNested);
    while (this.text[this.pos] === "|") {
      this.pos++;
      this.space(true);
      this.sequence(isNested);
    }
  }

  private sequence(isNested: boolean): void {
    let hasItem = false;
    for (;;) {
      const char = this.text[this.pos];
      if (char === '"') {
        this.pos++;
        while (this.text[this.pos] !== '"') {
          if (this.pos >= this.text.length) this.fail("unterminated string literal");
          this.char();
        }
        this.pos++;
      } else if (char === "[") {
        this.pos++;
        if (this.text[this.pos] === "^") this.pos++;
        while (this.text[this.pos] !== "]") {
          if (this.pos >= this.text.length) this.fail("unterminated character class");
          this.char();
          if (this.text[this.pos] === "-" && this.text[this.pos + 1] !== "]") {
            this.pos++;
            if (this.pos >= this.text.length) this.fail("unterminated character range");
            this.char();
          }
        }
        this.pos++;
      } else if (char !== undefined && /[a-zA-Z0-9-]/.test(char)) {
        const at = this.pos;
        const name = this.name();
        if (!this.used.has(name)) this.used.set(name, at);
      } else if (char === "(") {
        // llama.cpp parses and matches nested groups recursively, on a thread stack.
        if (++this.depth > maxNesting) this.fail(`groups nested deeper than ${maxNesting}`);
        this.pos++;
        this.space(true);
        this.alternates(true);
        if (this.text[this.pos] !== ")") this.fail("expecting ')'");
        this.pos++;
        this.depth--;
      } else if (char === ".") {
        this.pos++;
      } else if (char === "*" || char === "+" || char === "?" || char === "{") {
        if (!hasItem) this.fail(`expecting an item before '${char}'`);
        this.pos++;
        if (char === "{") this.braces();
      } else if (char === "<" || char === "!") {
        this.fail("token references (<...>) are not supported");
      } else {
        return;
      }
      hasItem = true;
      this.space(isNested);
    }
  }

  private braces(): void {
    this.space(false);
    const min = /^\d+/.exec(this.text.slice(this.pos));
    if (!min) this.fail("expecting an int");
    this.pos += min[0].length;
    this.space(false);
    let max: number | null = Number(min[0]);
    if (this.text[this.pos] === ",") {
      this.pos++;
      this.space(false);
      const maxMatch = /^\d+/.exec(this.text.slice(this.pos));
      max = maxMatch ? Number(maxMatch[0]) : null;
      if (maxMatch) this.pos += maxMatch[0].length;
      this.space(false);
    }
    if (this.text[this.pos] !== "}") this.fail("expecting '}'");
    this.pos++;
    if (max !== null && max < Number(min[0])) this.fail("repetition maximum below its minimum");
    if (Number(min[0]) > maxRepetitions || (max ?? 0) > maxRepetitions) this.fail(`repetition counts above ${maxRepetitions}`);
  }

  private char(): void {
    if (this.text[this.pos] !== "\\") {
      this.pos += this.text.codePointAt(this.pos)! > 0xffff ? 2 : 1;
      return;
    }
    const kind = this.text[this.pos + 1];
    if (kind !== undefined && kind in hexLengths) {
      const digits = this.text.slice(this.pos + 2, this.pos + 2 + hexLengths[kind]);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLengths[kind]}}$`).test(digits)) this.fail(`expecting ${hexLengths[kind]} hex chars`);
      this.pos += 2 + hexLengths[kind];
    } else if (kind !== undefined && escapes.has(kind)) {
      this.pos += 2;
    } else {
      this.fail("unknown escape");
    }
  }
}
