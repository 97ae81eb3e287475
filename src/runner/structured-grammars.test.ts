/**
 * The structured-output compilers' grammars, checked by llama.cpp itself:
 * each must load, and llama.cpp's own matcher must accept the valid texts
 * and reject the invalid ones (AddonGrammar.isTextCompatible: whole-text match).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { jsonSchemaToGbnf } from "../structured/json-schema-to-gbnf.js";
import { regexToGbnf } from "../structured/regex-to-gbnf.js";
import { toStructuredOutputGrammar } from "../protocol/structured-outputs.js";
import type { AddonGrammar, BindingModule } from "./addon-types.js";
import { GrammarStates } from "./grammar-states.js";
import { InvalidGrammar } from "../domain-errors.js";

let llama: Llama;
let bindings: BindingModule;
before(async () => {
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
  bindings = (llama as unknown as { _bindings: BindingModule })._bindings;
});
after(async () => {
  await llama.dispose();
});

function load(grammar: string): AddonGrammar {
  try {
    return new bindings.AddonGrammar(grammar, { addonExports: bindings, rootRuleName: "root" });
  } catch (error) {
    throw new Error(`llama.cpp rejected the grammar:\n${grammar}\n${String(error)}`);
  }
}

function check(grammar: string, accepted: string[], rejected: string[]): void {
  const parsed = load(grammar);
  for (const text of accepted) assert.ok(parsed.isTextCompatible(text), `should accept ${JSON.stringify(text)}:\n${grammar}`);
  for (const text of rejected) assert.ok(!parsed.isTextCompatible(text), `should reject ${JSON.stringify(text)}:\n${grammar}`);
}

const schemaCases: Array<{ name: string; schema: unknown; accepted: string[]; rejected: string[] }> = [
  { name: "any value", schema: {}, accepted: ['{"a":[1,2.5,-3e10,true,null,"x"]}', "1", '"s"', "[]"], rejected: ['{"a": 1}', "01", "{a:1}", ""] },
  { name: "string", schema: { type: "string" }, accepted: ['""', '"a\\"b\\\\c\\u00e9\\n"', '"héllo 😀"'], rejected: ['"a"b"', '"\n"', '"\\q"', "1"] },
  { name: "integer", schema: { type: "integer" }, accepted: ["0", "-7", "1234567890123456"], rejected: ["1.0", "1e3", "01", "-", "12345678901234567"] },
  { name: "number", schema: { type: "number" }, accepted: ["0", "-0.5", "3.25e-7", "10E+2"], rejected: [".5", "1.", "+1", "NaN"] },
  { name: "boolean/null", schema: { type: ["boolean", "null"] }, accepted: ["true", "false", "null"], rejected: ["0", '"true"'] },
  {
    name: "integer range",
    schema: { type: "integer", minimum: -15, maximum: 123 },
    accepted: ["-15", "-9", "-1", "0", "9", "10", "99", "100", "119", "123"],
    rejected: ["-16", "-0", "124", "130", "200", "1000", "00"],
  },
  {
    name: "number range",
    schema: { type: "number", minimum: -2, exclusiveMaximum: 10 },
    accepted: ["-2", "-1.5", "-0.25", "0", "3.14159", "9.999"],
    rejected: ["-2.5", "10", "10.0", "1e3", "-0"],
  },
  { name: "non-negative number", schema: { type: "number", minimum: 0 }, accepted: ["0", "0.5", "123456.75"], rejected: ["-0.5", "-1"] },
  { name: "exclusive bounds", schema: { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10 }, accepted: ["1", "9"], rejected: ["0", "10"] },
  { name: "minimum only", schema: { type: "integer", minimum: 1000 }, accepted: ["1000", "99999"], rejected: ["999", "-1000", "0"] },
  { name: "maximum only", schema: { type: "integer", maximum: -5 }, accepted: ["-5", "-100000"], rejected: ["-4", "0", "5"] },
  { name: "draft 4 exclusive", schema: { type: "integer", minimum: 5, exclusiveMinimum: true }, accepted: ["6"], rejected: ["5"] },
  { name: "string lengths", schema: { type: "string", minLength: 2, maxLength: 3 }, accepted: ['"ab"', '"a\\nb"', '"été"'], rejected: ['"a"', '"abcd"'] },
  { name: "enum", schema: { enum: ["red", 1, null, { a: [1] }] }, accepted: ['"red"', "1", "null", '{"a":[1]}'], rejected: ['"blue"', "2"] },
  { name: "typed enum", schema: { type: "string", enum: ["a", 1] }, accepted: ['"a"'], rejected: ["1"] },
  { name: "const", schema: { const: "x\"y" }, accepted: ['"x\\"y"'], rejected: ['"xy"'] },
  {
    name: "object: required properties first, then optional ones in order",
    schema: { type: "object", properties: { a: { type: "integer" }, b: { type: "string" }, c: { type: "boolean" }, d: { type: "null" } }, required: ["a", "c"] },
    accepted: ['{"a":1,"c":true}', '{"a":1,"c":true,"b":"x","d":null}', '{"a":1,"c":false,"d":null}', '{"a":1,"c":true,"b":""}'],
    rejected: ['{"a":1}', '{"c":true,"a":1}', '{"a":1,"c":true,"e":1}', '{"a":1,,"c":true}', '{"a": 1,"c":true}'],
  },
  {
    name: "all optional",
    schema: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" }, c: { type: "integer" } } },
    accepted: ["{}", '{"a":1}', '{"b":1}', '{"c":1}', '{"a":1,"c":2}', '{"a":1,"b":2,"c":3}', '{"b":1,"c":2}'],
    rejected: ['{"b":1,"a":2}', '{,"a":1}', '{"a":1,}'],
  },
  {
    name: "additionalProperties schema",
    schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"], additionalProperties: { type: "string" } },
    accepted: ['{"id":1}', '{"id":1,"x":"y"}', '{"id":1,"i":"y","idx":"z","":"e"}'],
    rejected: ['{"id":1,"x":2}', '{"id":1,"id":"y"}', '{"x":"y"}'],
  },
  {
    name: "additionalProperties true, only optional",
    schema: { type: "object", properties: { a: { type: "integer" } }, additionalProperties: true },
    accepted: ["{}", '{"a":1}', '{"b":[1]}', '{"a":1,"b":{"c":null}}', '{"b":1,"c":2}'],
    rejected: ['{"a":"x"}'],
  },
  { name: "free object", schema: { type: "object", additionalProperties: true }, accepted: ["{}", '{"k":[1,{}]}'], rejected: ["[]"] },
  { name: "closed empty object", schema: { type: "object" }, accepted: ["{}"], rejected: ['{"a":1}'] },
  {
    name: "array items and bounds",
    schema: { type: "array", items: { type: "integer", minimum: 0, maximum: 9 }, minItems: 1, maxItems: 3 },
    accepted: ["[0]", "[1,2]", "[1,2,3]"],
    rejected: ["[]", "[1,2,3,4]", "[10]", "[1 ,2]"],
  },
  { name: "array of anything", schema: { type: "array" }, accepted: ["[]", '[1,"a",[null]]'], rejected: ["[,]"] },
  {
    name: "prefixItems",
    schema: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }], items: false },
    accepted: ["[]", '["a"]', '["a",1]'],
    rejected: ['["a",1,2]', "[1]"],
  },
  {
    name: "prefixItems then items, minItems",
    schema: { type: "array", prefixItems: [{ const: 1 }, { const: 2 }], items: { type: "boolean" }, minItems: 2, maxItems: 4 },
    accepted: ["[1,2]", "[1,2,true]", "[1,2,true,false]"],
    rejected: ["[1]", "[1,2,true,false,true]", "[2,1]"],
  },
  { name: "legacy tuple", schema: { type: "array", items: [{ type: "null" }], additionalItems: false }, accepted: ["[]", "[null]"], rejected: ["[null,null]"] },
  { name: "pattern", schema: { type: "string", pattern: "^[A-Z]{2}-\\d{3}$" }, accepted: ['"AB-123"'], rejected: ['"AB-12"', '"ab-123"'] },
  { name: "pattern with quotes", schema: { type: "string", pattern: '^a"b\\\\c$' }, accepted: ['"a\\"b\\\\c"'], rejected: ['"a"b\\c"'] },
  { name: "pattern with a negated class", schema: { type: "string", pattern: "^[^a]+$" }, accepted: ['"xyz"', '"x\\"y"'], rejected: ['"xay"', '""'] },
  { name: "date", schema: { type: "string", format: "date" }, accepted: ['"2024-01-31"', '"1999-02-28"'], rejected: ['"2024-02-30"', '"2024-13-01"', '"2024-4-01"'] },
  { name: "time", schema: { type: "string", format: "time" }, accepted: ['"23:59:59Z"', '"00:00:00.123+05:30"'], rejected: ['"24:00:00Z"', '"12:00:00"'] },
  { name: "date-time", schema: { type: "string", format: "date-time" }, accepted: ['"2024-06-01T12:30:00Z"'], rejected: ['"2024-06-01 12:30:00Z"'] },
  { name: "uuid", schema: { type: "string", format: "uuid" }, accepted: ['"123e4567-e89b-42d3-a456-426614174000"'], rejected: ['"123e4567e89b42d3a456426614174000"'] },
  { name: "email", schema: { type: "string", format: "email" }, accepted: ['"a.b+c@example.co.uk"', '"x@y.io"'], rejected: ['"a@b"', '".a@b.com"', '"a@-b.com"'] },
  { name: "anyOf", schema: { anyOf: [{ type: "integer" }, { type: "string", maxLength: 1 }] }, accepted: ["5", '"a"'], rejected: ['"ab"', "1.5"] },
  { name: "oneOf with siblings", schema: { type: "object", required: ["k"], oneOf: [{ properties: { k: { const: "a" } } }, { properties: { k: { const: "b" } } }] }, accepted: ['{"k":"a"}', '{"k":"b"}'], rejected: ['{"k":"c"}'] },
  {
    name: "allOf",
    schema: { allOf: [{ type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, { properties: { b: { type: "string" } }, required: ["b"] }] },
    accepted: ['{"a":1,"b":"x"}'],
    rejected: ['{"a":1}', '{"b":"x"}'],
  },
  { name: "allOf bounds", schema: { type: "integer", allOf: [{ minimum: 3 }, { maximum: 5 }] }, accepted: ["3", "5"], rejected: ["2", "6"] },
  { name: "nullable", schema: { type: "string", maxLength: 1, nullable: true }, accepted: ['"a"', "null"], rejected: ['"ab"'] },
  {
    name: "$ref and $defs",
    schema: { $defs: { point: { type: "object", properties: { x: { type: "integer" }, y: { type: "integer" } }, required: ["x", "y"] } }, type: "array", items: { $ref: "#/$defs/point" }, maxItems: 2 },
    accepted: ["[]", '[{"x":1,"y":2}]'],
    rejected: ['[{"x":1}]'],
  },
  {
    name: "recursive $ref",
    schema: {
      definitions: { node: { type: "object", properties: { v: { type: "integer" }, children: { type: "array", items: { $ref: "#/definitions/node" } } }, required: ["v"] } },
      $ref: "#/definitions/node",
    },
    accepted: ['{"v":1}', '{"v":1,"children":[{"v":2,"children":[]},{"v":3}]}'],
    rejected: ['{"v":1,"children":[{}]}'],
  },
  { name: "$ref to the root", schema: { type: "array", items: { $ref: "#" }, maxItems: 2 }, accepted: ["[]", "[[],[[]]]"], rejected: ["[1]"] },
  { name: "annotations ignored", schema: { $schema: "https://json-schema.org/draft/2020-12/schema", title: "T", description: "D", default: 1, examples: [1], type: "integer" }, accepted: ["1"], rejected: ['"1"'] },
  { name: "uniqueItems false is fine", schema: { type: "array", items: { type: "integer" }, uniqueItems: false, maxItems: 1 }, accepted: ["[1]"], rejected: ["[1,2]"] },
];

for (const { name, schema, accepted, rejected } of schemaCases) {
  test(`JSON schema: ${name}`, () => check(jsonSchemaToGbnf(schema), accepted, rejected));
}

const regexCases: Array<[string, string[], string[]]> = [
  ["^\\d{3}-\\d{4}$", ["555-1234"], ["5551234", "555-12345"]],
  ["(cat|dog)s?", ["cat", "dogs"], ["cow", "cats!"]],
  ["[a-c]+x*", ["abcxx", "a"], ["x", "abd"]],
  ["[^0-9\\s]{2}", ["ab", "-_"], ["a1", "a "]],
  ["\\w+@\\w+\\.com", ["joe@mail.com"], ["joe@mail.org"]],
  ["a.c", ["abc", "a c"], ["a\nc", "ac"]],
  ["(?:ab){2,}", ["abab", "ababab"], ["ab"]],
  ["(?<year>\\d{4})", ["2024"], ["24"]],
  ["x{2}y{1,}z{0,1}", ["xxy", "xxyyz"], ["xy", "xxyzz"]],
  ["\\u00e9\\x41[\\]\\-]", ["éA]", "éA-"], ["éA"]],
  ["a{,2}", ["a{,2}"], ["aa"]],
  ["yes|no|", ["yes", "no", ""], ["maybe"]],
];
for (const [pattern, accepted, rejected] of regexCases) {
  test(`regex ${pattern}`, () => check(regexToGbnf(pattern), accepted, rejected));
}

test("choice and grammar outputs load", () => {
  check(toStructuredOutputGrammar({ structured_outputs: { choice: ["yes", "no", 'say "hi"\n'] } })!, ["yes", "no", 'say "hi"\n'], ["maybe", "yes "]);
  const grammar = 'root ::= "a" b+ # comment\nb ::= [0-9]\n';
  check(toStructuredOutputGrammar({ guided_grammar: grammar })!, ["a1", "a12"], ["a"]);
  check(toStructuredOutputGrammar({ response_format: { type: "json_object" } })!, ["{}", '{"a":[1]}'], ["[]", "1"]);
});

test("GrammarStates.check: llama.cpp's refusal is a 400, not a crash", () => {
  const states = new GrammarStates({ bindings, addonModel: null as never });
  states.check('root ::= "ok"');
  for (const bad of ['root ::= "unterminated', "root ::= missing", 'other ::= "x"', "root ::= root \"a\"", 'root ::= "a"{3000}']) {
    assert.throws(() => states.check(bad), InvalidGrammar, bad);
  }
});
