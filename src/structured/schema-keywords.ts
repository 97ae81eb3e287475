/** Which JSON Schema keywords the compiler enforces, ignores, or refuses. */
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";

/** Keywords that would change which values are valid, and that the grammar cannot enforce: a 400. */
export const unsupportedKeywords = new Set([
  "multipleOf", "not", "if", "then", "else", "patternProperties", "propertyNames", "contains", "minContains", "maxContains",
  "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties",
  "unevaluatedItems", "$dynamicRef", "$recursiveRef", "$dynamicAnchor", "$recursiveAnchor",
]);

/** Keywords that only annotate, or that other keywords read ($defs): never constrain the value themselves. */
export const ignoredKeywords = new Set([
  "title", "description", "examples", "example", "default", "$schema", "$id", "$comment", "$anchor", "$vocabulary",
  "deprecated", "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "contentSchema", "discriminator",
  "$defs", "definitions", "strict",
]);

export type SchemaPath = readonly string[];

export const paramOf = (path: SchemaPath): string | null => (path.length === 0 ? null : path.join("."));

export function unsupported(path: SchemaPath, message: string): never {
  throw new UnsupportedParameterError(message, paramOf(path));
}

export function invalidSchema(path: SchemaPath, message: string): never {
  throw new InvalidRequestError(`Invalid JSON schema${path.length > 0 ? ` at '${path.join(".")}'` : ""}: ${message}`, { param: paramOf(path) });
}

/** Throws for the first keyword that changes validity in a way the grammar cannot enforce. */
export function rejectUnsupportedKeywords(schema: Record<string, unknown>, path: SchemaPath): void {
  for (const keyword of Object.keys(schema)) {
    if (!unsupportedKeywords.has(keyword)) continue;
    unsupported([...path, keyword], `The JSON Schema keyword '${keyword}' is not supported by structured outputs.`);
  }
  if (schema.uniqueItems === true) unsupported([...path, "uniqueItems"], "The JSON Schema keyword 'uniqueItems' is not supported by structured outputs.");
}
