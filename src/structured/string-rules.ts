/** Strings: any, or by length, by `pattern`, or by `format`. */
import type { RuleSet } from "./gbnf.js";
import { usePrimitive } from "./json-primitives.js";
import { quantifier, regexToGbnfExpression } from "./regex-to-gbnf.js";
import { invalidSchema, paramOf, unsupported, type SchemaPath } from "./schema-keywords.js";
import type { SchemaObject } from "./schema-merge.js";
import { maxRepetitions } from "./gbnf.js";
import { formatGbnf, supportedFormats } from "./string-formats.js";

export function stringRule(schema: SchemaObject, path: SchemaPath, hint: string, rules: RuleSet): string {
  const { format, pattern } = schema;
  const minLength = length(schema.minLength, [...path, "minLength"]);
  const maxLength = length(schema.maxLength, [...path, "maxLength"]);
  const hasLength = minLength !== null || maxLength !== null;
  if (format !== undefined) {
    if (typeof format !== "string") invalidSchema([...path, "format"], "'format' must be a string.");
    const body = formatGbnf(format);
    if (body === undefined) unsupported([...path, "format"], `The string format '${format}' is not supported; supported: ${supportedFormats.join(", ")}.`);
    if (hasLength || pattern !== undefined) unsupported([...path, hasLength ? "maxLength" : "pattern"], "'format' cannot be combined with lengths or a pattern.");
    return rules.add(hint, `"\\"" ${body} "\\""`);
  }
  if (pattern !== undefined) {
    if (typeof pattern !== "string") invalidSchema([...path, "pattern"], "'pattern' must be a string.");
    if (hasLength) unsupported([...path, minLength !== null ? "minLength" : "maxLength"], "'pattern' cannot be combined with minLength/maxLength.");
    const body = regexToGbnfExpression(pattern, { param: paramOf([...path, "pattern"]), insideJsonString: true });
    return rules.add(hint, `"\\"" ${body} "\\""`);
  }
  if (!hasLength) return usePrimitive(rules, "string");
  for (const [keyword, value] of [["minLength", minLength], ["maxLength", maxLength]] as const) {
    if (value !== null && value > maxRepetitions) unsupported([...path, keyword], `'${keyword}' above ${maxRepetitions} is not supported by structured outputs.`);
  }
  if (maxLength !== null && minLength !== null && maxLength < minLength) invalidSchema([...path, "maxLength"], "maxLength is smaller than minLength.");
  const char = usePrimitive(rules, "char");
  return rules.add(hint, `"\\"" ${char}${quantifier(minLength ?? 0, maxLength)} "\\""`);
}

function length(value: unknown, path: SchemaPath): number | null {
  if (value === undefined) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) invalidSchema(path, "must be a non-negative integer.");
  return value;
}
