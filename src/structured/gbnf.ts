/** Writing llama.cpp GBNF: literals, character classes and a rule set with unique names. */
import { CharSet } from "./char-set.js";

const surrogates = CharSet.of([[0xd800, 0xdfff]]);

/** The characters of the set llama.cpp can be made to produce as valid UTF-8. */
export const generatableChars = (set: CharSet): CharSet => set.minus(surrogates);

function escapeCodePoint(codePoint: number): string {
  if (codePoint <= 0xff) return `\\x${codePoint.toString(16).padStart(2, "0").toUpperCase()}`;
  if (codePoint <= 0xffff) return `\\u${codePoint.toString(16).padStart(4, "0").toUpperCase()}`;
  return `\\U${codePoint.toString(16).padStart(8, "0").toUpperCase()}`;
}

const isPlainLiteralChar = (codePoint: number) => codePoint >= 0x20 && codePoint !== 0x22 && codePoint !== 0x5c && codePoint !== 0x7f;
const isPlainClassChar = (codePoint: number) => /[A-Za-z0-9 _.,:;!?@#$%&*+=<>|~'"`/(){}]/.test(String.fromCodePoint(codePoint));

const namedEscapes: Record<number, string> = { 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x22: '\\"', 0x5c: "\\\\" };

/** A GBNF string literal matching exactly `text`. */
export function gbnfLiteral(text: string): string {
  let body = "";
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    body += isPlainLiteralChar(codePoint) ? char : (namedEscapes[codePoint] ?? escapeCodePoint(codePoint));
  }
  return `"${body}"`;
}

function classChar(codePoint: number): string {
  return isPlainClassChar(codePoint) ? String.fromCodePoint(codePoint) : escapeCodePoint(codePoint);
}

/** A GBNF expression matching one character of the set (the set must not be empty). */
export function gbnfCharClass(set: CharSet): string {
  // Always positive ranges without surrogates: llama.cpp decodes bytes without
  // validating them, and a negated class would admit what clients see as U+FFFD.
  const valid = generatableChars(set);
  if (valid.isEmpty) throw new Error("empty character set");
  const body = valid.ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : hi === lo + 1 ? classChar(lo) + classChar(hi) : `${classChar(lo)}-${classChar(hi)}`)).join("");
  return `[${body}]`;
}

/** llama.cpp refuses repetition counts above this (MAX_REPETITION_THRESHOLD). */
export const maxRepetitions = 2000;

/** Deepest group nesting accepted in regexes, schemas and grammars: llama.cpp recurses over it. */
export const maxNesting = 64;

/** GBNF rule names are [a-zA-Z0-9-]+. */
export function toRuleName(hint: string): string {
  const name = hint.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return name === "" ? "rule" : name;
}

/** A grammar under construction: named rules, identical bodies shared. */
export class RuleSet {
  private readonly bodies = new Map<string, string>();
  private readonly namesByBody = new Map<string, string>();

  /** Adds a rule (or reuses one with the same body) and returns its name. */
  add(hint: string, body: string): string {
    const existing = this.namesByBody.get(body);
    if (existing !== undefined) return existing;
    const name = this.reserve(hint);
    this.define(name, body);
    return name;
  }

  /** A fresh name to define later (recursive rules refer to themselves before they are built). */
  reserve(hint: string): string {
    const base = toRuleName(hint);
    let name = base;
    for (let i = 1; this.bodies.has(name); i++) name = `${base}-${i}`;
    this.bodies.set(name, "");
    return name;
  }

  define(name: string, body: string): void {
    this.bodies.set(name, body);
    if (!this.namesByBody.has(body)) this.namesByBody.set(body, name);
  }

  has(name: string): boolean {
    return this.bodies.has(name);
  }

  toString(): string {
    return [...this.bodies].map(([name, body]) => `${name} ::= ${body}`).join("\n") + "\n";
  }
}
