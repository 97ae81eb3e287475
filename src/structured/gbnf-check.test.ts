import assert from "node:assert/strict";
import { test } from "node:test";
import { checkGbnf, GbnfSyntaxError } from "./gbnf-check.js";

test("valid grammars pass", () => {
  checkGbnf('root ::= "a" | b\nb ::= [^"\\\\]* ( "x"{1,3} )? # trailing comment\n');
  checkGbnf('# leading comment\nroot ::=\n  "a" |\n  "b"\n');
  checkGbnf('root ::= ( "a"\n  "b" )\n');
  checkGbnf('root ::= "\\x41\\u00e9\\U0001F600\\n" . [a-z0-9-]\n');
});

const invalid: Array<[string, RegExp]> = [
  ['root ::= "a', /unterminated string/],
  ["root ::= [a-", /unterminated/],
  ['root ::= ("a"', /expecting '\)'/],
  ['root = "a"', /expecting ::=/],
  ['root ::= "a" b', /undefined rule 'b'/],
  ['start ::= "a"', /no 'root' rule/],
  ['root ::= *"a"', /expecting an item/],
  ['root ::= "a"{2,1}', /maximum below/],
  ['root ::= "a"{5000}', /above 2000/],
  ['root ::= "\\q"', /unknown escape/],
  ['root ::= "\\x4"', /hex/],
  ["root ::= <think>", /token references/],
  ['root ::= "a" )', /expecting newline/],
];
for (const [grammar, message] of invalid) {
  test(`invalid: ${JSON.stringify(grammar)}`, () => {
    assert.throws(() => checkGbnf(grammar), (error: unknown) => error instanceof GbnfSyntaxError && message.test(error.message));
  });
}
