/** Jinja tests (`x is name`, `select('name')`), with jinja2's semantics. */
import {
  type RV,
  UNDEFINED,
  isArray,
  isBool,
  isFloat,
  isFunction,
  isInteger,
  isNone,
  isNumeric,
  isObject,
  isString,
  isUndefined,
  numericValue,
} from "./runtime-values.js";
import { COMPARISONS } from "./python-values.js";

type TestFn = (value: RV, args: RV[]) => boolean;

function comparedWith(operator: string): TestFn {
  const compare = COMPARISONS.get(operator) as (a: RV, b: RV) => boolean;
  return (v, [other]) => compare(v, other ?? UNDEFINED);
}

const TESTS: Record<string, TestFn> = {
  defined: (v) => !isUndefined(v),
  undefined: (v) => isUndefined(v),
  none: (v) => isNone(v),
  boolean: (v) => isBool(v),
  false: (v) => isBool(v) && !v.value,
  true: (v) => isBool(v) && v.value,
  integer: (v) => isInteger(v),
  float: (v) => isFloat(v),
  number: (v) => isNumeric(v),
  string: (v) => isString(v),
  mapping: (v) => isObject(v),
  // Python's Undefined is iterable (empty) and, by jinja's duck-typing, a sequence.
  iterable: (v) => isArray(v) || isString(v) || isObject(v) || isUndefined(v),
  sequence: (v) => isArray(v) || isString(v) || isObject(v) || isUndefined(v),
  callable: (v) => isFunction(v),
  lower: (v) => isString(v) && v.value === v.value.toLowerCase(),
  upper: (v) => isString(v) && v.value === v.value.toUpperCase(),
  odd: (v) => isNumeric(v) && Math.abs(numericValue(v) % 2) === 1,
  even: (v) => isNumeric(v) && numericValue(v) % 2 === 0,
  divisibleby: (v, [n]) => isNumeric(v) && n !== undefined && isNumeric(n) && numericValue(v) % numericValue(n) === 0,
  eq: comparedWith("=="),
  ne: comparedWith("!="),
  lt: comparedWith("<"),
  le: comparedWith("<="),
  gt: comparedWith(">"),
  ge: comparedWith(">="),
  in: comparedWith("in"),
  sameas: (v, [o]) => v === o || (isNone(v) && o !== undefined && isNone(o)) || (isBool(v) && o !== undefined && isBool(o) && v.value === o.value),
  escaped: () => false,
};
Object.assign(TESTS, {
  equalto: TESTS.eq,
  "==": TESTS.eq,
  "!=": TESTS.ne,
  "<": TESTS.lt,
  "<=": TESTS.le,
  ">": TESTS.gt,
  ">=": TESTS.ge,
  lessthan: TESTS.lt,
  greaterthan: TESTS.gt,
});

export function runTest(name: string, value: RV, args: RV[]): boolean {
  const test = TESTS[name];
  if (!test) throw new Error(`No test named '${name}'`);
  return test(value, args);
}
