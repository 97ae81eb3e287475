/**
 * Regex -> GBNF, for `regex` outputs (the whole output) and JSON Schema
 * `pattern` (the inside of a JSON string). Matching is always of the whole
 * text: a JSON Schema pattern is a search, but a string matching the whole
 * pattern also contains a match, so the output stays valid.
 */
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import { CharSet } from "./char-set.js";
import { gbnfCharClass, gbnfLiteral, generatableChars } from "./gbnf.js";
import { parseRegex, RegexSyntaxError, UnsupportedRegexError, type RegexNode } from "./regex-parser.js";

/** A grammar whose `root` matches exactly the strings the pattern fully matches. */
export function regexToGbnf(pattern: string, param: string | null = null): string {
  return `root ::= ${regexToGbnfExpression(pattern, { param })}\n`;
}

export interface RegexExpressionOptions {
  /** Where the pattern came from, for the 400. */
  param: string | null;
  /** Emit the JSON-escaped form of each character, for the inside of a JSON string. */
  insideJsonString?: boolean;
}

export function regexToGbnfExpression(pattern: string, options: RegexExpressionOptions): string {
  let node: RegexNode;
  try {
    node = parseRegex(pattern);
  } catch (error) {
    if (error instanceof UnsupportedRegexError) {
      throw new UnsupportedParameterError(`The regex ${JSON.stringify(pattern)} uses ${error.message}, which structured outputs do not support.`, options.param);
    }
    if (error instanceof RegexSyntaxError) {
      throw new InvalidRequestError(`Invalid regex ${JSON.stringify(pattern)}: ${error.message}.`, { param: options.param });
    }
    throw error;
  }
  const expression = new Emitter(options.insideJsonString ?? false).emit(node);
  if (expression === null) throw new InvalidRequestError(`The regex ${JSON.stringify(pattern)} matches no string that can be generated.`, { param: options.param });
  return expression;
}

/** Characters a JSON string cannot hold raw. */
const jsonEscapedChars = CharSet.of([[0, 0x1f], [0x22, 0x22], [0x5c, 0x5c]]);

class Emitter {
  constructor(private readonly insideJsonString: boolean) {}

  /** The expression, or null when the node matches nothing. */
  emit(node: RegexNode): string | null {
    switch (node.kind) {
      case "chars":
        return this.chars(node.set);
      case "sequence": {
        const parts: string[] = [];
        for (const item of node.items) {
          const part = this.emit(item);
          if (part === null) return null;
          parts.push(part);
        }
        return parts.length === 0 ? '""' : mergeLiterals(parts).join(" ");
      }
      case "alternation": {
        const options = node.options.map((option) => this.emit(option)).filter((option) => option !== null);
        return options.length === 0 ? null : `(${options.join(" | ")})`;
      }
      case "repeat": {
        const item = this.emit(node.item);
        if (item === null) return node.min === 0 ? '""' : null;
        if (node.max === 0) return '""';
        return `${group(item)}${quantifier(node.min, node.max)}`;
      }
    }
  }

  private chars(wanted: CharSet): string | null {
    const set = generatableChars(wanted);
    if (!this.insideJsonString) return singleChar(set) ?? (set.isEmpty ? null : gbnfCharClass(set));
    const plain = set.minus(jsonEscapedChars);
    const options: string[] = [];
    if (!plain.isEmpty) options.push(singleChar(plain) ?? gbnfCharClass(plain));
    // Control characters would need \u escapes a regex never meant; quotes and backslashes are escaped.
    if (set.has(0x22)) options.push(gbnfLiteral('\\"'));
    if (set.has(0x5c)) options.push(gbnfLiteral("\\\\"));
    if (options.length === 0) return null;
    return options.length === 1 ? options[0] : `(${options.join(" | ")})`;
  }
}

function singleChar(set: CharSet): string | null {
  return set.ranges.length === 1 && set.ranges[0][0] === set.ranges[0][1] ? gbnfLiteral(String.fromCodePoint(set.ranges[0][0])) : null;
}

/** Adjacent literals as one: "a" "b" -> "ab". */
function mergeLiterals(parts: string[]): string[] {
  const merged: string[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && isLiteral(last) && isLiteral(part)) merged[merged.length - 1] = last.slice(0, -1) + part.slice(1);
    else merged.push(part);
  }
  return merged;
}

const isLiteral = (expression: string) => /^"([^"\\]|\\.)*"$/.test(expression);

export function group(expression: string): string {
  return /^(\[([^\]\\]|\\.)*\]|"([^"\\]|\\.)*"|\w[\w-]*)$/.test(expression) || isBalancedGroup(expression) ? expression : `(${expression})`;
}

function isBalancedGroup(expression: string): boolean {
  if (!expression.startsWith("(") || !expression.endsWith(")")) return false;
  // "(a) (b)" starts and ends with parentheses but is not one group.
  let depth = 0;
  let inLiteral = false;
  let inClass = false;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (char === "\\") {
      i++;
      continue;
    }
    if (inLiteral) inLiteral = char !== '"';
    else if (inClass) inClass = char !== "]";
    else if (char === '"') inLiteral = true;
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0 && i < expression.length - 1) return false;
  }
  return true;
}

export function quantifier(min: number, max: number | null): string {
  if (min === 0 && max === null) return "*";
  if (min === 1 && max === null) return "+";
  if (min === 0 && max === 1) return "?";
  if (max === null) return `{${min},}`;
  return min === max ? `{${min}}` : `{${min},${max}}`;
}
