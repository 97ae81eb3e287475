/**
 * Compact JSON (no whitespace between tokens, so generation ends right after
 * the value): the rules for any value and for each primitive type.
 */
import { maxIntegerDigits } from "./integer-range.js";
import type { RuleSet } from "./gbnf.js";

const primitiveBodies = {
  value: "object | array | string | number | boolean | null",
  object: '"{" ( string ":" value ( "," string ":" value )* )? "}"',
  array: '"[" ( value ( "," value )* )? "]"',
  string: '"\\"" char* "\\""',
  /**
   * One character of a JSON string: raw (not a quote, backslash or control) or an escape.
   * Positive ranges: llama.cpp decodes bytes without validating them, so a
   * negated class would also admit surrogates and values above U+10FFFF,
   * which reach the client as several U+FFFD.
   */
  char: '[\\x20-\\x21\\x23-\\x5B\\x5D-\\uD7FF\\uE000-\\U0010FFFF] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} )',
  integer: `"-"? ( "0" | [1-9] [0-9]{0,${maxIntegerDigits - 1}} )`,
  number: `"-"? ( "0" | [1-9] [0-9]{0,${maxIntegerDigits - 1}} ) ( "." [0-9]{1,${maxIntegerDigits}} )? ( [eE] [-+]? [0-9]{1,3} )?`,
  boolean: '"true" | "false"',
  null: '"null"',
} as const;

export type PrimitiveName = keyof typeof primitiveBodies;

const dependencies: Partial<Record<PrimitiveName, PrimitiveName[]>> = {
  value: ["object", "array", "string", "number", "boolean", "null"],
  object: ["string", "value"],
  array: ["value"],
  string: ["char"],
};

/** Adds the primitive's rule (and those it uses) once, under its own name; returns the name. */
export function usePrimitive(rules: RuleSet, name: PrimitiveName): string {
  if (rules.has(name)) return name;
  rules.define(name, primitiveBodies[name]);
  for (const dependency of dependencies[name] ?? []) usePrimitive(rules, dependency);
  return name;
}
