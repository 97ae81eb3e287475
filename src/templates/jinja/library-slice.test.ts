import assert from "node:assert/strict";
import { test } from "node:test";
import * as jinja from "@huggingface/jinja";
import { checkLibrarySlice } from "./library-slice.js";

test("the pinned @huggingface/jinja has the slice the Jinja layer uses", () => {
  assert.doesNotThrow(() => checkLibrarySlice(jinja));
});

test("a library without a private method the layer calls is refused, naming it", () => {
  class Interpreter extends jinja.Interpreter {}
  Object.defineProperty(Interpreter.prototype, "applyFilter", { value: undefined });
  assert.throws(() => checkLibrarySlice({ ...jinja, Interpreter }), /Interpreter\.applyFilter/);
});

test("a library whose parser no longer produces a node type the layer dispatches on is refused", () => {
  const parse = (tokens: unknown) => JSON.parse(JSON.stringify(jinja.parse(tokens as never)).replaceAll('"SelectExpression"', '"Other"'));
  assert.throws(() => checkLibrarySlice({ ...jinja, parse }), /AST node SelectExpression/);
});

test("an export that is gone is refused", () => {
  const { tokenize: _tokenize, ...rest } = jinja;
  assert.throws(() => checkLibrarySlice(rest), /no export tokenize/);
});
