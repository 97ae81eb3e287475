/**
 * JSON Schema -> llama.cpp GBNF (root rule `root`). The grammar generates
 * compact JSON that validates against the schema; a keyword it cannot
 * enforce is a 400 naming it (`param` is the keyword's path in the schema),
 * never silently dropped. See README "Structured outputs" for the list.
 */
import { RuleSet, gbnfLiteral, maxNesting } from "./gbnf.js";
import { integerRangeGbnf } from "./integer-range.js";
import { numberRangeGbnf } from "./number-range.js";
import { readBounds, type Bound } from "./numeric-bounds.js";
import { usePrimitive, type PrimitiveName } from "./json-primitives.js";
import { objectRule } from "./object-rules.js";
import { arrayRule } from "./array-rules.js";
import { checkClosedBranches, mergeSchemas, isSchemaObject, type SchemaObject } from "./schema-merge.js";
import { ignoredKeywords, invalidSchema, rejectUnsupportedKeywords, unsupported, type SchemaPath } from "./schema-keywords.js";
import { stringRule } from "./string-rules.js";

export function jsonSchemaToGbnf(schema: unknown): string {
  return new SchemaCompiler(schema).compile();
}

const jsonTypes = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;
type JsonType = (typeof jsonTypes)[number];

/** Keywords that tell which type a schema without `type` means. */
const impliedTypes: Array<[JsonType, string[]]> = [
  ["object", ["properties", "required", "additionalProperties"]],
  ["array", ["items", "prefixItems", "minItems", "maxItems", "additionalItems"]],
  ["string", ["minLength", "maxLength", "pattern", "format"]],
  ["number", ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]],
];

class SchemaCompiler {
  private readonly rules = new RuleSet();
  private readonly refRules = new Map<string, string>();
  private mergeDepth = 0;

  constructor(private readonly root: unknown) {}

  compile(): string {
    const name = this.rules.reserve("root");
    this.rules.define(name, this.visit(this.root, [], "root"));
    return this.rules.toString();
  }

  private visit = (schema: unknown, path: SchemaPath, hint: string): string => {
    if (path.length > 4 * maxNesting) unsupported(path.slice(0, 8), `Schemas nested deeper than ${maxNesting} levels are not supported.`);
    if (schema === true) return usePrimitive(this.rules, "value");
    if (schema === false) invalidSchema(path, "the schema false allows no value.");
    if (!isSchemaObject(schema)) invalidSchema(path, "a schema must be an object or a boolean.");
    rejectUnsupportedKeywords(schema, path);
    if (schema.$ref !== undefined) {
      const { $ref, ...siblings } = schema;
      if (!hasConstraints(siblings)) return this.refRule($ref, [...path, "$ref"]);
      return this.visitMerged([{ $ref }, siblings], path, hint);
    }
    if (schema.allOf !== undefined) {
      const { allOf, ...siblings } = schema;
      if (!Array.isArray(allOf) || allOf.length === 0) invalidSchema([...path, "allOf"], "'allOf' must be a non-empty array.");
      return this.visitMerged([siblings, ...allOf], [...path, "allOf"], hint);
    }
    for (const keyword of ["anyOf", "oneOf"] as const) {
      if (schema[keyword] === undefined) continue;
      const { [keyword]: options, ...siblings } = schema;
      if (!Array.isArray(options) || options.length === 0) invalidSchema([...path, keyword], `'${keyword}' must be a non-empty array.`);
      // oneOf as anyOf, as llama.cpp and xgrammar do: overlapping branches are the schema author's to avoid.
      const branches = options.map((option, i) => {
        const branchPath = [...path, keyword, String(i)];
        return hasConstraints(siblings) ? this.visitMerged([siblings, option], branchPath, `${hint}-${i}`) : this.visit(option, branchPath, `${hint}-${i}`);
      });
      return this.rules.add(hint, branches.join(" | "));
    }
    if (schema.nullable === true) {
      const { nullable, ...rest } = schema;
      return this.rules.add(hint, `${this.visit(rest, path, hint)} | ${usePrimitive(this.rules, "null")}`);
    }
    if (schema.const !== undefined) return this.rules.add(hint, gbnfLiteral(JSON.stringify(schema.const)));
    if (schema.enum !== undefined) return this.enumRule(schema, path, hint);
    const types = this.typesOf(schema, path);
    if (types === null) return usePrimitive(this.rules, "value");
    const options = types.map((type) => this.typeRule(type, schema, path, types.length === 1 ? hint : `${hint}-${type}`));
    return options.length === 1 ? options[0] : this.rules.add(hint, options.join(" | "));
  };

  private typesOf(schema: SchemaObject, path: SchemaPath): JsonType[] | null {
    const { type } = schema;
    if (type === undefined) {
      const implied = impliedTypes.filter(([, keywords]) => keywords.some((keyword) => schema[keyword] !== undefined)).map(([t]) => t);
      return implied.length === 0 ? null : implied;
    }
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0) invalidSchema([...path, "type"], "'type' must not be empty.");
    for (const item of list) {
      if (!jsonTypes.includes(item as JsonType)) invalidSchema([...path, "type"], `unknown type ${JSON.stringify(item)}; expected one of ${jsonTypes.join(", ")}.`);
    }
    const unique = [...new Set(list as JsonType[])];
    // "number" already covers "integer".
    return unique.includes("number") ? unique.filter((t) => t !== "integer") : unique;
  }

  private typeRule(type: JsonType, schema: SchemaObject, path: SchemaPath, hint: string): string {
    switch (type) {
      case "object":
        return objectRule(schema, path, hint, this.rules, this.visit);
      case "array":
        return arrayRule(schema, path, hint, this.rules, this.visit);
      case "string":
        return stringRule(schema, path, hint, this.rules);
      case "integer":
        return this.integerRule(schema, path, hint);
      case "number":
        return this.numberRule(schema, path, hint);
      default:
        return usePrimitive(this.rules, type satisfies PrimitiveName);
    }
  }

  private integerRule(schema: SchemaObject, path: SchemaPath, hint: string): string {
    const { min, max } = readBounds(schema, path);
    if (min === null && max === null) return usePrimitive(this.rules, "integer");
    const low = min === null ? null : min.isExclusive ? BigInt(Math.floor(min.value)) + 1n : BigInt(Math.ceil(min.value));
    const high = max === null ? null : max.isExclusive ? BigInt(Math.ceil(max.value)) - 1n : BigInt(Math.floor(max.value));
    const expression = integerRangeGbnf(low, high);
    if (expression === null) invalidSchema([...path, (min ?? max)!.keyword], "no integer lies between the minimum and the maximum.");
    return this.rules.add(hint, expression);
  }

  private numberRule(schema: SchemaObject, path: SchemaPath, hint: string): string {
    const { min, max } = readBounds(schema, path);
    if (min === null && max === null) return usePrimitive(this.rules, "number");
    for (const bound of [min, max]) {
      if (bound !== null && !Number.isInteger(bound.value)) {
        unsupported([...path, bound.keyword], `'${bound.keyword}' on a number must be a whole number for structured outputs, got ${bound.value}.`);
      }
    }
    const toBound = (bound: Bound | null) => (bound === null ? null : { value: BigInt(bound.value), isExclusive: bound.isExclusive });
    const expression = numberRangeGbnf(toBound(min), toBound(max));
    if (expression === null) invalidSchema([...path, (min ?? max)!.keyword], "no number lies between the minimum and the maximum.");
    return this.rules.add(hint, expression);
  }

  private enumRule(schema: SchemaObject, path: SchemaPath, hint: string): string {
    const values = schema.enum;
    if (!Array.isArray(values) || values.length === 0) invalidSchema([...path, "enum"], "'enum' must be a non-empty array.");
    const types = schema.type === undefined ? null : this.typesOf(schema, path);
    const allowed = types === null ? values : values.filter((value) => types.some((type) => isOfType(value, type)));
    if (allowed.length === 0) invalidSchema([...path, "enum"], "no enum value has the schema's type.");
    return this.rules.add(hint, allowed.map((value) => gbnfLiteral(JSON.stringify(value))).join(" | "));
  }

  private visitMerged(schemas: unknown[], path: SchemaPath, hint: string): string {
    if (++this.mergeDepth > 64) invalidSchema(path, "allOf/$ref nesting is too deep (a reference cycle?).");
    try {
      const resolved = schemas.map((schema, i) => this.flatten(schema, [...path, String(i)]));
      checkClosedBranches(resolved, path);
      return this.visit(resolved.reduce((a, b) => mergeSchemas(a, b, path)), path, hint);
    } finally {
      this.mergeDepth--;
    }
  }

  /** A schema with its $ref and allOf resolved into plain keywords, for merging. */
  private flatten(schema: unknown, path: SchemaPath): SchemaObject {
    if (schema === true) return {};
    if (!isSchemaObject(schema)) invalidSchema(path, "allOf items must be schema objects.");
    rejectUnsupportedKeywords(schema, path);
    if (++this.mergeDepth > 64) invalidSchema(path, "allOf/$ref nesting is too deep (a reference cycle?).");
    try {
      const { $ref, allOf, ...rest } = schema;
      let result: SchemaObject = rest;
      if ($ref !== undefined) result = mergeSchemas(this.flatten(this.resolve($ref, [...path, "$ref"]), [...path, "$ref"]), result, path);
      if (allOf !== undefined) {
        if (!Array.isArray(allOf)) invalidSchema([...path, "allOf"], "'allOf' must be an array.");
        const branches = [result, ...allOf.map((item, i) => this.flatten(item, [...path, "allOf", String(i)]))];
        checkClosedBranches(branches, path);
        result = branches.reduce((a, b) => mergeSchemas(a, b, path));
      }
      return result;
    } finally {
      this.mergeDepth--;
    }
  }

  private refRule(ref: unknown, path: SchemaPath): string {
    const key = String(ref);
    const existing = this.refRules.get(key);
    if (existing !== undefined) return existing;
    const target = this.resolve(ref, path);
    const name = this.rules.reserve(key.split("/").pop() || "ref");
    this.refRules.set(key, name);
    this.rules.define(name, this.visit(target, path, name));
    return name;
  }

  private resolve(ref: unknown, path: SchemaPath): unknown {
    if (typeof ref !== "string" || !ref.startsWith("#")) unsupported(path, `Only local $refs ("#/$defs/...") are supported, got ${JSON.stringify(ref)}.`);
    let node: unknown = this.root;
    const pointer = decodeURIComponent(ref.slice(1));
    if (pointer !== "" && !pointer.startsWith("/")) unsupported(path, `$ref to an anchor (${JSON.stringify(ref)}) is not supported; use a JSON pointer.`);
    for (const raw of pointer.split("/").slice(1)) {
      const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      node = isSchemaObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
      if (node === undefined) invalidSchema(path, `$ref ${JSON.stringify(ref)} points to nothing.`);
    }
    return node;
  }
}

function hasConstraints(schema: SchemaObject): boolean {
  return Object.keys(schema).some((keyword) => !ignoredKeywords.has(keyword) && schema[keyword] !== undefined);
}

function isOfType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return isSchemaObject(value);
    default:
      return typeof value === type;
  }
}
