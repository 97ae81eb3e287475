import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import { toStructuredOutputGrammar } from "./structured-outputs.js";

const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };

test("no constraint, or response_format text: no grammar", () => {
  assert.equal(toStructuredOutputGrammar({}), null);
  assert.equal(toStructuredOutputGrammar({ response_format: { type: "text" }, structured_outputs: {}, guided_json: null }), null);
});

test("every spelling of a JSON schema gives the same grammar", () => {
  const expected = toStructuredOutputGrammar({ response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } } });
  assert.match(expected!, /^root ::= /);
  assert.equal(toStructuredOutputGrammar({ structured_outputs: { json: schema } }), expected);
  assert.equal(toStructuredOutputGrammar({ structured_outputs: { json: JSON.stringify(schema) } }), expected);
  assert.equal(toStructuredOutputGrammar({ guided_json: schema }), expected);
});

test("regex, choice and grammar spellings", () => {
  assert.equal(toStructuredOutputGrammar({ structured_outputs: { regex: "a+" } }), toStructuredOutputGrammar({ guided_regex: "a+" }));
  assert.equal(toStructuredOutputGrammar({ structured_outputs: { choice: ["x", "y"] } }), 'root ::= "x" | "y"\n');
  assert.equal(toStructuredOutputGrammar({ guided_choice: ["x", "y"] }), 'root ::= "x" | "y"\n');
  assert.equal(toStructuredOutputGrammar({ guided_grammar: 'root ::= "z"' }), 'root ::= "z"');
  assert.match(toStructuredOutputGrammar({ structured_outputs: { json_object: true } })!, /^root ::= /);
});

function assertBadRequest(body: Record<string, unknown>, errorClass: typeof InvalidRequestError | typeof UnsupportedParameterError, param: string): void {
  assert.throws(() => toStructuredOutputGrammar(body), (error: unknown) => error instanceof errorClass && error.param === param, JSON.stringify(body));
}

test("bad requests name the wire field", () => {
  assertBadRequest({ response_format: { type: "json_object" }, guided_regex: "a" }, InvalidRequestError, "guided_regex");
  assertBadRequest({ structured_outputs: { regex: "a", choice: ["b"] } }, InvalidRequestError, "structured_outputs.choice");
  assertBadRequest({ response_format: { type: "json_schema", json_schema: { name: "x" } } }, InvalidRequestError, "response_format.json_schema.schema");
  assertBadRequest({ response_format: { type: "grammar" } }, UnsupportedParameterError, "response_format.type");
  assertBadRequest({ response_format: "json" }, InvalidRequestError, "response_format");
  assertBadRequest(
    { response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: "integer", multipleOf: 3 } } } } } },
    UnsupportedParameterError,
    "response_format.json_schema.schema.properties.n.multipleOf",
  );
  assertBadRequest({ guided_json: { type: "strnig" } }, InvalidRequestError, "guided_json.type");
  assertBadRequest({ guided_json: "{not json" }, InvalidRequestError, "guided_json");
  assertBadRequest({ structured_outputs: { regex: "(?<=a)b" } }, UnsupportedParameterError, "structured_outputs.regex");
  assertBadRequest({ guided_regex: "[a-" }, InvalidRequestError, "guided_regex");
  assertBadRequest({ guided_regex: 5 }, InvalidRequestError, "guided_regex");
  assertBadRequest({ guided_choice: [] }, InvalidRequestError, "guided_choice");
  assertBadRequest({ guided_choice: ["a", 1] }, InvalidRequestError, "guided_choice");
  assertBadRequest({ structured_outputs: { grammar: "root ::= nope" } }, InvalidRequestError, "structured_outputs.grammar");
  assertBadRequest({ structured_outputs: { structural_tag: "{}" } }, UnsupportedParameterError, "structured_outputs.structural_tag");
  assertBadRequest({ guided_json: schema, min_tokens: 3 }, UnsupportedParameterError, "min_tokens");
  assertBadRequest({ guided_json: schema, allowed_token_ids: [5] }, UnsupportedParameterError, "allowed_token_ids");
});

test("deep nesting is a 400 before it can reach llama.cpp's recursion", () => {
  assertBadRequest({ guided_regex: "(".repeat(100) + "a" + ")".repeat(100) }, UnsupportedParameterError, "guided_regex");
  assertBadRequest({ guided_grammar: `root ::= ${"(".repeat(100)}"a"${")".repeat(100)}` }, InvalidRequestError, "guided_grammar");
  let schema: unknown = { type: "integer" };
  for (let i = 0; i < 1000; i++) schema = { type: "array", items: schema };
  assert.throws(() => toStructuredOutputGrammar({ guided_json: schema }), (error: unknown) => error instanceof UnsupportedParameterError && error.param!.startsWith("guided_json.items"));
  assertBadRequest({ guided_regex: "(".repeat(20000) + ")".repeat(20000) }, UnsupportedParameterError, "guided_regex");
  assert.match(toStructuredOutputGrammar({ guided_regex: "(".repeat(60) + "a" + ")".repeat(60) })!, /^root ::= /);
});
