/**
 * Objects: the required properties in declared order, then the optional ones
 * in declared order, each possibly left out (order never affects validity),
 * then any additional properties (keys other than the declared ones) when
 * `additionalProperties` allows them.
 */
import { gbnfCharClass, gbnfLiteral, type RuleSet } from "./gbnf.js";
import { CharSet } from "./char-set.js";
import { usePrimitive } from "./json-primitives.js";
import { invalidSchema, unsupported, type SchemaPath } from "./schema-keywords.js";
import { isSchemaObject, type SchemaObject } from "./schema-merge.js";

export type Visit = (schema: unknown, path: SchemaPath, hint: string) => string;

export function objectRule(schema: SchemaObject, path: SchemaPath, hint: string, rules: RuleSet, visit: Visit): string {
  const properties = schema.properties ?? {};
  if (!isSchemaObject(properties)) invalidSchema([...path, "properties"], "'properties' must be an object.");
  const required = schema.required ?? [];
  if (!Array.isArray(required) || required.some((name) => typeof name !== "string")) invalidSchema([...path, "required"], "'required' must be an array of strings.");
  const additional = schema.additionalProperties;
  // Left unspecified, additional properties are not generated (as xgrammar's strict mode, vLLM's default):
  // the output still validates, and a model cannot wander off into keys nobody asked for.
  const additionalSchema = additional === undefined || additional === false ? null : additional;
  const requiredNames = new Set(required as string[]);

  const requiredPairs: string[] = [];
  const optionalPairs: string[] = [];
  const declared: string[] = [];
  const pair = (name: string, valueSchema: unknown) => `${gbnfLiteral(JSON.stringify(name))} ":" ${visit(valueSchema, [...path, "properties", name], `${hint}-${name}`)}`;
  for (const [name, valueSchema] of Object.entries(properties)) {
    declared.push(name);
    if (valueSchema === false) {
      if (requiredNames.has(name)) invalidSchema([...path, "properties", name], `'${name}' is required but its schema is false.`);
      continue;
    }
    (requiredNames.has(name) ? requiredPairs : optionalPairs).push(pair(name, valueSchema));
  }
  for (const name of requiredNames) {
    if (declared.includes(name)) continue;
    if (additional === false) invalidSchema([...path, "required"], `'${name}' is required but additionalProperties is false.`);
    declared.push(name);
    requiredPairs.push(pair(name, additionalSchema ?? true));
  }

  const optionalTail = optionalChain(optionalPairs, hint, rules);
  const additionalPair = additionalSchema === null ? null : additionalPropertyRule(declared, additionalSchema, path, hint, rules, visit);
  const parts: string[] = [];
  if (requiredPairs.length > 0) {
    parts.push(requiredPairs.join(' "," '));
    if (optionalTail !== null) parts.push(`( "," ${optionalTail} )?`);
    if (additionalPair !== null) parts.push(`( "," ${additionalPair} )*`);
    return rules.add(hint, `"{" ${parts.join(" ")} "}"`);
  }
  const firstOptions: string[] = [];
  if (optionalTail !== null) firstOptions.push(additionalPair === null ? optionalTail : `${optionalTail} ( "," ${additionalPair} )*`);
  if (additionalPair !== null) firstOptions.push(`${additionalPair} ( "," ${additionalPair} )*`);
  return rules.add(hint, firstOptions.length === 0 ? '"{" "}"' : `"{" ( ${firstOptions.join(" | ")} )? "}"`);
}

/** One or more of the optional pairs, in order, comma-separated: t_i ::= p_i ("," t_{i+1})? | t_{i+1}. */
function optionalChain(pairs: string[], hint: string, rules: RuleSet): string | null {
  let next: string | null = null;
  for (let i = pairs.length - 1; i >= 0; i--) {
    const body: string = next === null ? pairs[i] : `${pairs[i]} ( "," ${next} )? | ${next}`;
    next = rules.add(`${hint}-optional`, body);
  }
  return next;
}

/** Characters a key would need escaped: such declared names cannot be excluded from additional keys here. */
const needsEscape = /["\\\u0000-\u001f]/;

function additionalPropertyRule(declared: string[], valueSchema: unknown, path: SchemaPath, hint: string, rules: RuleSet, visit: Visit): string {
  if (declared.some((name) => needsEscape.test(name))) {
    unsupported([...path, "additionalProperties"], "additionalProperties cannot be combined with property names containing quotes, backslashes or control characters.");
  }
  const value = visit(valueSchema, [...path, "additionalProperties"], `${hint}-additional`);
  const key = declared.length === 0 ? usePrimitive(rules, "string") : keyOtherThan(declared, hint, rules);
  return rules.add(`${hint}-additional-pair`, `${key} ":" ${value}`);
}

interface TrieNode {
  children: Map<string, TrieNode>;
  isName: boolean;
}

/** A JSON string that is none of `names`: walk a trie of the names, leaving it by any other character. */
function keyOtherThan(names: string[], hint: string, rules: RuleSet): string {
  const root: TrieNode = { children: new Map(), isName: false };
  for (const name of names) {
    let node = root;
    for (const char of name) {
      if (!node.children.has(char)) node.children.set(char, { children: new Map(), isName: false });
      node = node.children.get(char)!;
    }
    node.isName = true;
  }
  usePrimitive(rules, "char");
  const nodeRule = (node: TrieNode): string => {
    const options: string[] = [];
    for (const [char, child] of node.children) options.push(`${gbnfLiteral(char)} ${nodeRule(child)}`);
    const other = CharSet.of([[0x20, 0x10ffff]]).minus(CharSet.chars(`"\\${[...node.children.keys()].join("")}`));
    options.push(`( ${gbnfCharClass(other)} | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} ) ) char* "\\""`);
    if (!node.isName) options.push('"\\""');
    return rules.add(`${hint}-key`, options.join(" | "));
  };
  return rules.add(`${hint}-other-key`, `"\\"" ${nodeRule(root)}`);
}
