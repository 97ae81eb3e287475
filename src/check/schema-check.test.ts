import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaViolation, type Schema } from "./schema-check.js";
import { stopAcrossBorder } from "./probes/sampling.js";

const schema: Schema = {
  type: "object",
  properties: { name: { type: "string", maxLength: 3 }, age: { type: "integer", minimum: 0, maximum: 9 }, role: { enum: ["a", "b"] }, tags: { type: "array", items: { type: "string" }, maxItems: 1 } },
  required: ["name", "age"],
  additionalProperties: false,
};

test("schemaViolation: valid values pass; each keyword is enforced with the path", () => {
  assert.equal(schemaViolation({ name: "abc", age: 3, role: "a", tags: ["x"] }, schema), null);
  assert.equal(schemaViolation({ name: "abcd", age: 3 }, schema), "$.name: longer than 3");
  assert.equal(schemaViolation({ name: "a", age: 3.5 }, schema), "$.age: not of type integer");
  assert.equal(schemaViolation({ name: "a", age: 10 }, schema), "$.age: above maximum 9");
  assert.equal(schemaViolation({ name: "a" }, schema), "$: missing required 'age'");
  assert.equal(schemaViolation({ name: "a", age: 1, x: 1 }, schema), "$: unexpected property 'x'");
  assert.equal(schemaViolation({ name: "a", age: 1, role: "c" }, schema), '$.role: not one of ["a","b"]');
  assert.equal(schemaViolation({ name: "a", age: 1, tags: [1] }, schema), "$.tags[0]: not of type string");
  assert.equal(schemaViolation({ name: "a", age: 1, tags: ["x", "y"] }, schema), "$.tags: more than 1 items");
  assert.equal(schemaViolation([], schema), "$: not of type object");
});

test("stopAcrossBorder: two characters each side of a middle token border; expected text ends before the first match", () => {
  const tokens = ["The", " fox", " ran", " far", " away"];
  const { stop, expected } = stopAcrossBorder({ text: tokens.join(""), tokens, finishReason: "length", usage: null });
  assert.equal(stop, "an f");
  assert.equal(expected, "The fox r");
  const repeated = stopAcrossBorder({ text: "abab", tokens: ["ab", "ab"], finishReason: "length", usage: null });
  assert.deepEqual(repeated, { stop: "abab", expected: "" });
});
