import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaErrors } from "./json-check.js";

const schema = {
  type: "object",
  properties: { color: { type: "string", enum: ["red", "green"] }, n: { type: "integer", minimum: 0, maximum: 9 }, tags: { type: "array", items: { type: "string", maxLength: 3 } } },
  required: ["color", "n"],
  additionalProperties: false,
};

test("a matching value has no errors", () => {
  assert.deepEqual(schemaErrors({ color: "red", n: 3, tags: ["a"] }, schema), []);
});

test("each violation is named with its path", () => {
  assert.deepEqual(schemaErrors({ color: "blue", n: 3.5, x: 1, tags: ["long"] }, schema), [
    '$.color: not one of ["red","green"]',
    "$.n: expected integer, got number",
    '$: unexpected "x"',
    "$.tags[0]: longer than 3",
  ]);
  assert.deepEqual(schemaErrors({}, schema), ['$: missing "color"', '$: missing "n"']);
  assert.deepEqual(schemaErrors([], schema), ["$: expected object, got array"]);
  assert.deepEqual(schemaErrors(1, { anyOf: [{ type: "string" }, { type: "null" }] }), ["$: matches none of anyOf"]);
});
