/**
 * allOf: the schemas merged into one, for the cases a grammar can express
 * (properties and required united, bounds tightened, types and enums
 * intersected). Two different values for any other keyword are a 400.
 */
import { invalidSchema, unsupported, type SchemaPath } from "./schema-keywords.js";

export type SchemaObject = Record<string, unknown>;

const takeLarger = new Set(["minimum", "exclusiveMinimum", "minLength", "minItems"]);
const takeSmaller = new Set(["maximum", "exclusiveMaximum", "maxLength", "maxItems"]);
const keptFromFirst = new Set(["title", "description", "examples", "example", "default", "$schema", "$id", "$comment", "$defs", "definitions"]);

export function mergeSchemas(a: SchemaObject, b: SchemaObject, path: SchemaPath): SchemaObject {
  const merged: SchemaObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (!(key in merged) || merged[key] === undefined) {
      merged[key] = value;
      continue;
    }
    const current = merged[key];
    if (keptFromFirst.has(key)) continue;
    if (takeLarger.has(key) && typeof current === "number" && typeof value === "number") merged[key] = Math.max(current, value);
    else if (takeSmaller.has(key) && typeof current === "number" && typeof value === "number") merged[key] = Math.min(current, value);
    else if (key === "required" && Array.isArray(current) && Array.isArray(value)) merged[key] = [...new Set([...current, ...value])];
    else if (key === "properties" && isSchemaObject(current) && isSchemaObject(value)) merged[key] = mergeProperties(current, value);
    else if (key === "type") merged[key] = intersectTypes(current, value, path);
    else if (key === "enum" && Array.isArray(current) && Array.isArray(value)) {
      const allowed = new Set(value.map((v) => JSON.stringify(v)));
      merged[key] = current.filter((v) => allowed.has(JSON.stringify(v)));
    } else if (JSON.stringify(current) !== JSON.stringify(value)) {
      unsupported(path, `allOf branches with different '${key}' cannot be combined by structured outputs.`);
    }
  }
  return merged;
}

function mergeProperties(a: SchemaObject, b: SchemaObject): SchemaObject {
  const merged: SchemaObject = { ...a };
  for (const [name, schema] of Object.entries(b)) merged[name] = name in merged ? { allOf: [merged[name], schema] } : schema;
  return merged;
}

function intersectTypes(a: unknown, b: unknown, path: SchemaPath): string[] {
  const left = typeList(a);
  const right = typeList(b);
  const result = new Set<string>();
  for (const type of left) {
    if (right.includes(type)) result.add(type);
    else if (type === "integer" && right.includes("number")) result.add("integer");
    else if (type === "number" && right.includes("integer")) result.add("integer");
  }
  if (result.size === 0) invalidSchema(path, `the allOf branches allow no common type (${left.join(", ")} vs ${right.join(", ")}).`);
  return [...result];
}

const typeList = (type: unknown): string[] => (Array.isArray(type) ? type.map(String) : [String(type)]);

export const isSchemaObject = (value: unknown): value is SchemaObject => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A branch with additionalProperties (other than true) only allows its own
 * properties: merging in another branch's properties would generate keys
 * that branch rejects (the classic allOf pitfall), so that is a 400.
 */
export function checkClosedBranches(branches: readonly SchemaObject[], path: SchemaPath): void {
  for (const closed of branches) {
    if (closed.additionalProperties === undefined || closed.additionalProperties === true) continue;
    const own = isSchemaObject(closed.properties) ? closed.properties : {};
    for (const other of branches) {
      const names = isSchemaObject(other.properties) ? Object.keys(other.properties) : [];
      const outside = names.find((name) => !(name in own));
      if (outside !== undefined) {
        unsupported(path, `allOf branches where one sets additionalProperties and another adds properties ('${outside}') cannot be combined; the result would allow no such key.`);
      }
    }
  }
}
