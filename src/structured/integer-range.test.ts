import assert from "node:assert/strict";
import { test } from "node:test";
import { integerRangeGbnf } from "./integer-range.js";

/** Range grammars use only literals, classes, groups, | and {n}: as a JS regex they mean the same. */
function asRegExp(gbnf: string): RegExp {
  return new RegExp(`^(?:${gbnf.replace(/"([^"]*)"/g, (_, text: string) => text.replace(/-/g, "\\-")).replace(/ /g, "")})$`);
}

test("integer ranges match exactly the integers inside, without leading zeros", () => {
  const bounds = [-1000, -101, -100, -99, -10, -9, -1, 0, 1, 9, 10, 11, 19, 20, 99, 100, 101, 199, 250, 999, 1000];
  for (const lo of bounds) {
    for (const hi of bounds) {
      if (lo > hi) {
        assert.equal(integerRangeGbnf(BigInt(lo), BigInt(hi)), null);
        continue;
      }
      const regex = asRegExp(integerRangeGbnf(BigInt(lo), BigInt(hi))!);
      for (let value = -1100; value <= 1100; value++) {
        assert.equal(regex.test(String(value)), value >= lo && value <= hi, `[${lo}, ${hi}] on ${value}`);
      }
      for (const text of ["-0", "00", "01", "-01", "1e2", "+1"]) assert.ok(!regex.test(text), `[${lo}, ${hi}] on ${text}`);
    }
  }
});

test("one-sided ranges stop at 16 digits", () => {
  const atLeast = asRegExp(integerRangeGbnf(5n, null)!);
  assert.ok(atLeast.test("5") && atLeast.test("9999999999999999") && !atLeast.test("4") && !atLeast.test("10000000000000000"));
  const atMost = asRegExp(integerRangeGbnf(null, -3n)!);
  assert.ok(atMost.test("-3") && atMost.test("-9999999999999999") && !atMost.test("-2") && !atMost.test("0"));
});
