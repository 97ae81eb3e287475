import assert from "node:assert/strict";
import { test } from "node:test";
import { numberRangeGbnf, type NumberBound } from "./number-range.js";

/** These grammars use only literals, classes, groups, | and {m,n}: as a JS regex they mean the same. */
function asRegExp(gbnf: string): RegExp {
  const source = gbnf.replace(/"([^"]*)"/g, (_, text: string) => text.replace(/[.\-]/g, "\\$&")).replace(/ /g, "");
  return new RegExp(`^(?:${source})$`);
}

const candidates = ["-0", "-0.0", "-0.5", "0", "0.0", "0.25", "0.000", "1", "1.5", "1.0", "2", "2.00", "2.01", "3", "-1", "-1.5", "-1.0", "-2", "-2.5", "-3", "-3.0", "-3.01", "10", "-10.5", "01", "1.", ".5", "1e2"];
const isNumberText = (text: string) => /^-?(0|[1-9]\d*)(\.\d+)?$/.test(text);

test("number ranges: only numbers inside the bounds, and every plain decimal inside", () => {
  const bounds: Array<NumberBound | null> = [null];
  for (let value = -3; value <= 3; value++) for (const isExclusive of [false, true]) bounds.push({ value: BigInt(value), isExclusive });
  for (const min of bounds) {
    for (const max of bounds) {
      const grammar = numberRangeGbnf(min, max);
      const isInside = (value: number) =>
        (min === null || (min.isExclusive ? value > Number(min.value) : value >= Number(min.value))) &&
        (max === null || (max.isExclusive ? value < Number(max.value) : value <= Number(max.value)));
      const label = `${JSON.stringify(min, (_, v) => (typeof v === "bigint" ? Number(v) : v))} .. ${JSON.stringify(max, (_, v) => (typeof v === "bigint" ? Number(v) : v))}`;
      if (grammar === null) {
        for (const text of candidates) if (isNumberText(text)) assert.ok(!isInside(Number(text)) || text.startsWith("-0"), `${label}: null grammar but ${text} is inside`);
        continue;
      }
      const regex = asRegExp(grammar);
      for (const text of candidates) {
        const accepted = regex.test(text);
        if (accepted) assert.ok(isNumberText(text) && isInside(Number(text)), `${label}: accepted ${text}`);
        const isCanonical = isNumberText(text) && !(text.startsWith("-") && Number(text) === 0);
        if (isCanonical && isInside(Number(text))) assert.ok(accepted, `${label}: rejected ${text}`);
      }
    }
  }
});
