/** Arrays: prefixItems in order, then `items`, within minItems..maxItems. */
import { maxRepetitions, type RuleSet } from "./gbnf.js";
import { quantifier } from "./regex-to-gbnf.js";
import { invalidSchema, unsupported, type SchemaPath } from "./schema-keywords.js";
import type { SchemaObject } from "./schema-merge.js";
import type { Visit } from "./object-rules.js";

export function arrayRule(schema: SchemaObject, path: SchemaPath, hint: string, rules: RuleSet, visit: Visit): string {
  // Draft 4-7 tuples: items as an array, additionalItems for the rest.
  const isLegacyTuple = Array.isArray(schema.items);
  const prefix = (isLegacyTuple ? schema.items : schema.prefixItems ?? []) as unknown[];
  const prefixKeyword = isLegacyTuple ? "items" : "prefixItems";
  const itemsKeyword = isLegacyTuple ? "additionalItems" : "items";
  const items = isLegacyTuple ? schema.additionalItems : schema.items;
  if (!Array.isArray(prefix)) invalidSchema([...path, prefixKeyword], `'${prefixKeyword}' must be an array of schemas.`);
  const minItems = count(schema.minItems, [...path, "minItems"]) ?? 0;
  const maxItems = count(schema.maxItems, [...path, "maxItems"]);
  for (const [keyword, value] of [["minItems", minItems], ["maxItems", maxItems]] as const) {
    if (value !== null && value > maxRepetitions) unsupported([...path, keyword], `'${keyword}' above ${maxRepetitions} is not supported by structured outputs.`);
  }
  if (maxItems !== null && maxItems < minItems) invalidSchema([...path, "maxItems"], "maxItems is smaller than minItems.");

  const numPrefix = maxItems === null ? prefix.length : Math.min(prefix.length, maxItems);
  const prefixRules = prefix.slice(0, numPrefix).map((item, i) => visit(item, [...path, prefixKeyword, String(i)], `${hint}-${i}`));
  const itemRule = items === false ? null : visit(items ?? true, [...path, itemsKeyword], `${hint}-item`);
  if (itemRule === null && minItems > numPrefix) invalidSchema([...path, "minItems"], `minItems is ${minItems} but only ${numPrefix} items are allowed.`);

  // The elements after the prefix: a repetition of ("," item) with the remaining bounds.
  const restMin = Math.max(0, minItems - numPrefix);
  const restMax = maxItems === null ? null : maxItems - numPrefix;
  if (numPrefix === 0) {
    if (itemRule === null || restMax === 0) return rules.add(hint, '"[" "]"');
    const more = (min: number, max: number | null) => (max === 0 ? "" : ` ( "," ${itemRule} )${quantifier(min, max)}`);
    const body = restMin === 0 ? `"[" ( ${itemRule}${more(0, restMax === null ? null : restMax - 1)} )? "]"` : `"[" ${itemRule}${more(restMin - 1, restMax === null ? null : restMax - 1)} "]"`;
    return rules.add(hint, body);
  }
  let tail = itemRule === null || restMax === 0 ? "" : `( "," ${itemRule} )${quantifier(restMin, restMax)}`;
  for (let i = numPrefix - 1; i >= 1; i--) {
    const element = `"," ${prefixRules[i]}${tail === "" ? "" : ` ${tail}`}`;
    tail = i >= minItems ? `( ${element} )?` : element;
  }
  const first = `${prefixRules[0]}${tail === "" ? "" : ` ${tail}`}`;
  return rules.add(hint, minItems === 0 ? `"[" ( ${first} )? "]"` : `"[" ${first} "]"`);
}

function count(value: unknown, path: SchemaPath): number | null {
  if (value === undefined) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) invalidSchema(path, "must be a non-negative integer.");
  return value;
}
