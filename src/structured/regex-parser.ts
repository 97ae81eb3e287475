/**
 * Parses the regex subset JavaScript and Python share into a small AST:
 * literals, escapes, classes, ranges, negated classes, \d \w \s, `.`, groups,
 * alternation, ? * + {m,n}, and ^ $ at the ends. Constructs that need more
 * than a context-free grammar (lookaround, backreferences, word boundaries)
 * or change matching (inline flags) are unsupported.
 */
import { CharSet, digitChars, dotChars, spaceChars, wordChars } from "./char-set.js";
import { maxNesting } from "./gbnf.js";

export type RegexNode =
  | { kind: "chars"; set: CharSet }
  | { kind: "sequence"; items: RegexNode[] }
  | { kind: "alternation"; options: RegexNode[] }
  | { kind: "repeat"; item: RegexNode; min: number; max: number | null };

/** The pattern is not a regex at all. */
export class RegexSyntaxError extends Error {}
/** A valid regex using a construct that cannot be turned into a grammar. */
export class UnsupportedRegexError extends Error {}

const classEscapes: Record<string, CharSet> = {
  d: digitChars,
  D: digitChars.complement(),
  w: wordChars,
  W: wordChars.complement(),
  s: spaceChars,
  S: spaceChars.complement(),
};
const controlEscapes: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, "0": 0 };

export function parseRegex(pattern: string): RegexNode {
  return new Parser(pattern).parse();
}

class Parser {
  private readonly chars: string[];
  private pos = 0;
  private depth = 0;

  constructor(pattern: string) {
    this.chars = [...pattern];
  }

  parse(): RegexNode {
    if (this.peek() === "^") this.pos++;
    let end = this.chars.length;
    if (end > this.pos && this.chars[end - 1] === "$" && !this.isEscaped(end - 1)) end--;
    this.chars.length = end;
    const node = this.alternation();
    if (this.pos < this.chars.length) throw new RegexSyntaxError(`unmatched ')' at position ${this.pos}`);
    return node;
  }

  private isEscaped(index: number): boolean {
    let backslashes = 0;
    for (let i = index - 1; i >= 0 && this.chars[i] === "\\"; i--) backslashes++;
    return backslashes % 2 === 1;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private next(): string {
    const char = this.chars[this.pos++];
    if (char === undefined) throw new RegexSyntaxError("unexpected end of pattern");
    return char;
  }

  private alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: "alternation", options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    for (let char = this.peek(); char !== undefined && char !== "|" && char !== ")"; char = this.peek()) {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? items[0] : { kind: "sequence", items };
  }

  private quantified(item: RegexNode): RegexNode {
    const bounds = this.quantifier();
    if (bounds === null) return item;
    if (this.peek() === "?") this.pos++; // lazy: the same set of strings
    else if (this.peek() === "+") throw new UnsupportedRegexError("possessive quantifiers");
    const [min, max] = bounds;
    if (max !== null && max < min) throw new RegexSyntaxError(`numbers out of order in {${min},${max}}`);
    const saved = this.pos;
    if (this.quantifier() !== null) throw new RegexSyntaxError(`multiple repeat at position ${saved}`);
    return { kind: "repeat", item, min, max };
  }

  private quantifier(): [number, number | null] | null {
    const char = this.peek();
    if (char === "{") return this.braceQuantifier();
    const bounds: Record<string, [number, number | null]> = { "*": [0, null], "+": [1, null], "?": [0, 1] };
    if (char === undefined || !(char in bounds)) return null;
    this.pos++;
    return bounds[char];
  }

  private lookBrace(): { min: number; max: number | null; length: number } | null {
    const rest = this.chars.slice(this.pos, this.pos + 24).join("");
    const match = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    if (!match) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === "" ? null : Number(match[3]);
    return { min, max, length: [...match[0]].length };
  }

  /** `{m}`, `{m,}`, `{m,n}`; anything else after `{` is a literal brace, as both engines read it. */
  private braceQuantifier(): [number, number | null] | null {
    const brace = this.lookBrace();
    if (brace === null) return null;
    this.pos += brace.length;
    return [brace.min, brace.max];
  }

  private atom(): RegexNode {
    const char = this.next();
    switch (char) {
      case "(":
        return this.group();
      case "[":
        return { kind: "chars", set: this.characterClass() };
      case ".":
        return { kind: "chars", set: dotChars };
      case "\\":
        return { kind: "chars", set: this.escape(false) };
      case "^":
      case "$":
        throw new UnsupportedRegexError(`anchors other than a leading '^' and a trailing '$' (position ${this.pos - 1})`);
      case "*":
      case "+":
      case "?":
        throw new RegexSyntaxError(`nothing to repeat at position ${this.pos - 1}`);
      case "{":
        if (this.lookBraceAt(this.pos - 1)) throw new RegexSyntaxError(`nothing to repeat at position ${this.pos - 1}`);
        return { kind: "chars", set: CharSet.chars(char) };
      default:
        return { kind: "chars", set: CharSet.chars(char) };
    }
  }

  private lookBraceAt(position: number): boolean {
    const saved = this.pos;
    this.pos = position;
    const found = this.lookBrace() !== null;
    this.pos = saved;
    return found;
  }

  private group(): RegexNode {
    if (++this.depth > maxNesting) throw new UnsupportedRegexError(`groups nested deeper than ${maxNesting}`);
    if (this.peek() === "?") {
      const kind = this.chars.slice(this.pos + 1, this.pos + 3).join("");
      if (kind.startsWith(":")) this.pos += 2;
      else if (kind.startsWith("P<")) this.skipGroupName(this.pos + 3);
      else if (kind.startsWith("<") && kind !== "<=" && kind !== "<!") this.skipGroupName(this.pos + 2);
      else if (kind.startsWith("=") || kind.startsWith("!") || kind === "<=" || kind === "<!") throw new UnsupportedRegexError("lookaround assertions");
      else throw new UnsupportedRegexError("inline flags and special groups '(?...)'");
    }
    const node = this.alternation();
    if (this.peek() !== ")") throw new RegexSyntaxError("missing ')'");
    this.pos++;
    this.depth--;
    return node;
  }

  private skipGroupName(from: number): void {
    let end = from;
    while (end < this.chars.length && /\w/.test(this.chars[end])) end++;
    if (this.chars[end] !== ">" || end === from) throw new RegexSyntaxError("bad group name");
    this.pos = end + 1;
  }

  private characterClass(): CharSet {
    const negated = this.peek() === "^";
    if (negated) this.pos++;
    let set = CharSet.empty;
    let isFirst = true;
    while (this.peek() !== "]" || isFirst) {
      if (this.peek() === undefined) throw new RegexSyntaxError("unterminated character class");
      isFirst = false;
      const low = this.classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const high = this.classAtom();
        if (low.ranges.length !== 1 || high.ranges.length !== 1 || low.ranges[0][0] !== low.ranges[0][1] || high.ranges[0][0] !== high.ranges[0][1]) {
          throw new RegexSyntaxError("bad character range");
        }
        if (high.ranges[0][0] < low.ranges[0][0]) throw new RegexSyntaxError("character range out of order");
        set = set.union(CharSet.of([[low.ranges[0][0], high.ranges[0][0]]]));
      } else {
        set = set.union(low);
      }
    }
    this.pos++;
    return negated ? set.complement() : set;
  }

  private classAtom(): CharSet {
    const char = this.next();
    return char === "\\" ? this.escape(true) : CharSet.chars(char);
  }

  private escape(inClass: boolean): CharSet {
    const char = this.next();
    if (classEscapes[char]) return classEscapes[char];
    if (char in controlEscapes) {
      if (char === "0" && /\d/.test(this.peek() ?? "")) throw new UnsupportedRegexError("octal escapes");
      return CharSet.of([[controlEscapes[char], controlEscapes[char]]]);
    }
    if (char === "b" && inClass) return CharSet.of([[0x08, 0x08]]);
    if (char === "b" || char === "B") throw new UnsupportedRegexError("word boundaries (\\b, \\B)");
    if (/[1-9]/.test(char) || char === "k") throw new UnsupportedRegexError("backreferences");
    if (char === "x") return this.hexEscape(2);
    if (char === "u") {
      if (this.peek() === "{") {
        const close = this.chars.indexOf("}", this.pos);
        const hex = this.chars.slice(this.pos + 1, close).join("");
        if (close < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) throw new RegexSyntaxError("bad \\u{...} escape");
        this.pos = close + 1;
        return CharSet.of([[parseInt(hex, 16), parseInt(hex, 16)]]);
      }
      return this.hexEscape(4);
    }
    if (/[A-Za-z]/.test(char)) throw new UnsupportedRegexError(`the escape \\${char}`);
    return CharSet.chars(char);
  }

  private hexEscape(numDigits: number): CharSet {
    const hex = this.chars.slice(this.pos, this.pos + numDigits).join("");
    if (!new RegExp(`^[0-9a-fA-F]{${numDigits}}$`).test(hex)) throw new RegexSyntaxError(`bad escape: expected ${numDigits} hex digits`);
    this.pos += numDigits;
    return CharSet.of([[parseInt(hex, 16), parseInt(hex, 16)]]);
  }
}
