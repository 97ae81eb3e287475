/** What the compiler refuses, and how it says so. What it accepts is checked by llama.cpp in src/runner/structured-grammars.test.ts. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import { jsonSchemaToGbnf } from "./json-schema-to-gbnf.js";

const unsupportedCases: Array<[unknown, string]> = [
  [{ type: "integer", multipleOf: 2 }, "multipleOf"],
  [{ not: { type: "string" } }, "not"],
  [{ if: { type: "string" }, then: { maxLength: 1 } }, "if"],
  [{ type: "object", patternProperties: { "^a": {} } }, "patternProperties"],
  [{ type: "object", propertyNames: { maxLength: 2 } }, "propertyNames"],
  [{ type: "object", minProperties: 1 }, "minProperties"],
  [{ type: "object", maxProperties: 1 }, "maxProperties"],
  [{ type: "array", uniqueItems: true }, "uniqueItems"],
  [{ type: "array", contains: { type: "integer" } }, "contains"],
  [{ type: "object", dependentRequired: { a: ["b"] } }, "dependentRequired"],
  [{ type: "object", unevaluatedProperties: false }, "unevaluatedProperties"],
  [{ type: "number", minimum: 0.5 }, "minimum"],
  [{ type: "number", exclusiveMaximum: 1.5 }, "exclusiveMaximum"],
  [{ type: "string", format: "uri" }, "format"],
  [{ type: "string", pattern: "(?=a)a" }, "pattern"],
  [{ type: "string", pattern: "(a)\\1" }, "pattern"],
  [{ type: "string", pattern: "\\bword" }, "pattern"],
  [{ type: "string", pattern: "a", maxLength: 3 }, "maxLength"],
  [{ type: "string", maxLength: 5000 }, "maxLength"],
  [{ type: "array", maxItems: 2001 }, "maxItems"],
  [{ $ref: "https://example.com/schema.json" }, "$ref"],
  [{ allOf: [{ type: "string", pattern: "a" }, { pattern: "b" }] }, "allOf"],
  [{ allOf: [{ properties: { a: {} } }, { properties: { b: {} } }], additionalProperties: false }, "allOf"],
  [{ allOf: [{ properties: { a: {} }, additionalProperties: false }, { properties: { b: {} } }] }, "allOf"],
];

for (const [schema, keyword] of unsupportedCases) {
  test(`unsupported: ${JSON.stringify(schema)} is a 400 naming '${keyword}'`, () => {
    assert.throws(
      () => jsonSchemaToGbnf(schema),
      (error: unknown) => error instanceof UnsupportedParameterError && error.status === 400 && error.param!.split(".").at(-1) === keyword,
    );
  });
}

test("the keyword's path inside the schema is the param", () => {
  assert.throws(
    () => jsonSchemaToGbnf({ type: "object", properties: { age: { type: "integer", multipleOf: 5 } } }),
    (error: unknown) => error instanceof UnsupportedParameterError && error.param === "properties.age.multipleOf",
  );
  assert.throws(
    () => jsonSchemaToGbnf({ type: "array", items: { anyOf: [{ type: "string" }, { not: {} }] } }),
    (error: unknown) => error instanceof UnsupportedParameterError && error.param === "items.anyOf.1.not",
  );
});

const invalidCases: Array<[unknown, string | null]> = [
  [false, null],
  [42, null],
  [{ type: "strnig" }, "type"],
  [{ type: [] }, "type"],
  [{ type: "string", minLength: -1 }, "minLength"],
  [{ type: "string", minLength: 3, maxLength: 2 }, "maxLength"],
  [{ type: "array", minItems: 1.5 }, "minItems"],
  [{ type: "array", minItems: 3, maxItems: 1 }, "maxItems"],
  [{ type: "object", properties: [] }, "properties"],
  [{ type: "object", required: "a" }, "required"],
  [{ type: "object", properties: { a: false }, required: ["a"] }, "properties.a"],
  [{ type: "object", required: ["a"], additionalProperties: false }, "required"],
  [{ type: "integer", minimum: 5, maximum: 4 }, "minimum"],
  [{ type: "integer", minimum: "1" }, "minimum"],
  [{ enum: [] }, "enum"],
  [{ type: "integer", enum: ["a"] }, "enum"],
  [{ anyOf: [] }, "anyOf"],
  [{ $ref: "#/$defs/missing" }, "$ref"],
  [{ allOf: [{ type: "string" }, { type: "integer" }] }, "allOf"],
  [{ type: "string", pattern: "(" }, "pattern"],
  [{ type: "string", pattern: "a{3,1}" }, "pattern"],
  [{ type: "string", pattern: "*a" }, "pattern"],
  [{ type: "array", prefixItems: [{}, {}], items: false, minItems: 3 }, "minItems"],
];

for (const [schema, param] of invalidCases) {
  test(`invalid: ${JSON.stringify(schema)} is a 400 at '${param}'`, () => {
    assert.throws(
      () => jsonSchemaToGbnf(schema),
      (error: unknown) => error instanceof InvalidRequestError && error.status === 400 && error.param === param,
    );
  });
}

test("integers never carry exponents or fractions, and JSON has no free whitespace", () => {
  const grammar = jsonSchemaToGbnf({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] });
  assert.match(grammar, /^integer ::= "-"\? \( "0" \| \[1-9\] \[0-9\]\{0,15\} \)$/m);
  assert.doesNotMatch(grammar, /\[ \\t\\n\]|ws ::=/);
});

test("the first rule is root and rule names are valid GBNF names", () => {
  const grammar = jsonSchemaToGbnf({ $defs: { "my def!": { type: "integer" } }, type: "object", properties: { "a b/c": { $ref: "#/$defs/my def!" } } });
  assert.match(grammar, /^root ::= /);
  for (const line of grammar.trim().split("\n")) assert.match(line, /^[a-zA-Z0-9-]+ ::= /);
});
