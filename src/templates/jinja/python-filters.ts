/**
 * Filters with jinja2's semantics, where the library lacks them or differs
 * (plus `from_json`, which llama.cpp's minja has).
 */
import {
  type Environment,
  type RV,
  ArrayValue,
  FloatValue,
  IntegerValue,
  UNDEFINED,
  isArray,
  isFloat,
  isInteger,
  isNamespace,
  isNone,
  isNumeric,
  isObject,
  isString,
  isUndefined,
  num,
  numericValue,
  str,
  toRV,
} from "./runtime-values.js";
import { pyJson, pyStr } from "./python-format.js";
import { dictItems, getAttribute, iterate, pyCompare, pyEquals } from "./python-values.js";
import { runTest } from "./python-tests.js";
import { pyCapitalize, pyStrip, pyTitle, splitLines } from "./python-strings.js";
import { arg, boolArg, stringArg } from "./call-arguments.js";

/** What a filter can call back into: `map('name')` applies another filter. */
export interface FilterHost {
  applyNamedFilter(operand: RV, name: string, args: RV[], kwargs: Map<string, RV>, env: Environment): RV;
}
type FilterFn = (this: FilterHost, value: RV, args: RV[], kwargs: Map<string, RV>, env: Environment) => RV;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function pyInt(value: RV, fallback: RV): RV {
  if (isInteger(value)) return value;
  if (isNumeric(value)) return new IntegerValue(Math.trunc(numericValue(value)));
  if (isString(value)) {
    const text = value.value.trim().replace(/_/g, "");
    if (/^[+-]?\d+$/.test(text)) return new IntegerValue(Number.parseInt(text, 10));
    if (NUMBER.test(text)) return new IntegerValue(Math.trunc(Number.parseFloat(text)));
  }
  return fallback;
}

function pyFloatOf(value: RV, fallback: RV): RV {
  if (isNumeric(value)) return new FloatValue(numericValue(value));
  if (isString(value)) {
    const text = value.value.trim();
    if (NUMBER.test(text)) return new FloatValue(Number.parseFloat(text));
  }
  return fallback;
}

function attributeGetter(attribute: RV | undefined): (item: RV) => RV {
  if (attribute === undefined || isNone(attribute)) return (item) => item;
  const path = isInteger(attribute) ? String(attribute.value) : pyStr(attribute);
  return (item) => getAttribute(item, path);
}

function minMax(value: RV, args: RV[], kwargs: Map<string, RV>, sign: 1 | -1): RV {
  const caseSensitive = boolArg(args, kwargs, 0, "case_sensitive", false);
  const get = attributeGetter(arg(args, kwargs, 1, "attribute"));
  const items = iterate(value);
  if (items.length === 0) return UNDEFINED;
  return items.reduce((best, item) => (sign * pyCompare(get(item), get(best), caseSensitive) < 0 ? item : best));
}

/** select/reject (`keep` true/false), and their `attr` forms whose first argument names the attribute tested. */
function selectItems(value: RV, args: RV[], keep: boolean, byAttribute: boolean): RV {
  if (!value.__bool__().value) return new ArrayValue([]); // jinja: `if value: for item in value: ...`
  const attribute = byAttribute ? pyStr(args[0] ?? UNDEFINED) : null;
  const get = attribute === null ? (item: RV) => item : (item: RV) => getAttribute(item, attribute);
  const [testName, ...testArgs] = byAttribute ? args.slice(1) : args;
  const predicate = testName === undefined ? (v: RV) => v.__bool__().value : (v: RV) => runTest(pyStr(testName), v, testArgs);
  return new ArrayValue(iterate(value).filter((item) => predicate(get(item)) === keep));
}

export const FILTERS: Record<string, FilterFn> = {
  abs: (v) => {
    if (!isNumeric(v)) throw new Error(`bad operand type for abs(): ${v.type}`);
    return num(Math.abs(numericValue(v)), isFloat(v));
  },
  attr: (v, args) => getAttribute(v, pyStr(args[0] ?? UNDEFINED)),
  capitalize: (v) => str(pyCapitalize(pyStr(v))),
  default: (v, args, kwargs) => {
    const fallback = arg(args, kwargs, 0, "default_value") ?? str("");
    const boolean = boolArg(args, kwargs, 1, "boolean", false);
    return isUndefined(v) || (boolean && !v.__bool__().value) ? fallback : v;
  },
  dictsort: (v, args, kwargs) => {
    if (!isObject(v)) throw new Error(`dictsort expects a mapping, got ${v.type}`);
    const caseSensitive = boolArg(args, kwargs, 0, "case_sensitive", false);
    const by = stringArg(args, kwargs, 1, "by") ?? "key";
    const reverse = boolArg(args, kwargs, 2, "reverse", false);
    const position = by === "value" ? 1 : 0;
    const items = dictItems(v.value);
    const field = (pair: RV): RV => (pair.value as RV[])[position];
    items.value.sort((a, b) => (reverse ? -1 : 1) * pyCompare(field(a), field(b), caseSensitive));
    return items;
  },
  escape: (v) =>
    str(pyStr(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;")),
  first: (v) => iterate(v)[0] ?? UNDEFINED,
  float: (v, args, kwargs) => pyFloatOf(v, arg(args, kwargs, 0, "default") ?? new FloatValue(0)),
  from_json: (v) => toRV(JSON.parse(pyStr(v))),
  indent(v, args, kwargs) {
    const width = arg(args, kwargs, 0, "width") ?? new IntegerValue(4);
    const indentation = isString(width) ? width.value : " ".repeat(numericValue(width));
    const first = boolArg(args, kwargs, 1, "first", false);
    const blank = boolArg(args, kwargs, 2, "blank", false);
    const lines = splitLines(pyStr(v) + "\n");
    let out: string;
    if (blank) out = lines.join("\n" + indentation);
    else {
      out = lines.shift() ?? "";
      if (lines.length > 0) out += "\n" + lines.map((line) => (line ? indentation + line : line)).join("\n");
    }
    return str(first ? indentation + out : out);
  },
  int: (v, args, kwargs) => pyInt(v, arg(args, kwargs, 0, "default") ?? new IntegerValue(0)),
  items: (v) => {
    if (isUndefined(v)) return new ArrayValue([]);
    if (!isObject(v)) throw new Error(`items expects a mapping, got ${v.type}`);
    return dictItems(v.value);
  },
  join: (v, args, kwargs) => {
    const separator = stringArg(args, kwargs, 0, "d") ?? "";
    const get = attributeGetter(arg(args, kwargs, 1, "attribute"));
    return str(iterate(v).map((item) => pyStr(get(item))).join(separator));
  },
  last: (v) => iterate(v).at(-1) ?? UNDEFINED,
  length: (v) => {
    if (isString(v)) return new IntegerValue(Array.from(v.value).length);
    if (isArray(v)) return new IntegerValue(v.value.length);
    if (isObject(v) || isNamespace(v)) return new IntegerValue(v.value.size);
    if (isUndefined(v)) return new IntegerValue(0);
    throw new Error(`object of type ${v.type} has no len()`);
  },
  list: (v) => new ArrayValue([...iterate(v)]),
  lower: (v) => str(pyStr(v).toLowerCase()),
  map(v, args, kwargs, env) {
    const items = v.__bool__().value ? iterate(v) : [];
    if (kwargs.has("attribute")) {
      const path = pyStr(kwargs.get("attribute") as RV);
      const fallback = kwargs.get("default");
      return new ArrayValue(items.map((item) => {
        const got = getAttribute(item, path);
        return isUndefined(got) && fallback !== undefined ? fallback : got;
      }));
    }
    const [name, ...rest] = args;
    if (name === undefined) return new ArrayValue([...items]);
    return new ArrayValue(items.map((item) => this.applyNamedFilter(item, pyStr(name), rest, kwargs, env)));
  },
  max: (v, args, kwargs) => minMax(v, args, kwargs, -1),
  min: (v, args, kwargs) => minMax(v, args, kwargs, 1),
  reject: (v, args) => selectItems(v, args, false, false),
  rejectattr: (v, args) => selectItems(v, args, false, true),
  reverse: (v) => (isString(v) ? str(Array.from(v.value).reverse().join("")) : new ArrayValue([...iterate(v)].reverse())),
  round: (v, args, kwargs) => {
    const precision = numericValue(arg(args, kwargs, 0, "precision") ?? new IntegerValue(0));
    const method = stringArg(args, kwargs, 1, "method") ?? "common";
    const factor = 10 ** precision;
    const x = numericValue(v) * factor;
    // Python's round() rounds halves to even.
    const halfEven = Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
    const rounded = method === "ceil" ? Math.ceil(x) : method === "floor" ? Math.floor(x) : halfEven;
    return new FloatValue(rounded / factor);
  },
  safe: (v) => v,
  select: (v, args) => selectItems(v, args, true, false),
  selectattr: (v, args) => selectItems(v, args, true, true),
  sort: (v, args, kwargs) => {
    const reverse = boolArg(args, kwargs, 0, "reverse", false);
    const caseSensitive = boolArg(args, kwargs, 1, "case_sensitive", false);
    const get = attributeGetter(arg(args, kwargs, 2, "attribute"));
    return new ArrayValue([...iterate(v)].sort((a, b) => (reverse ? -1 : 1) * pyCompare(get(a), get(b), caseSensitive)));
  },
  string: (v) => str(pyStr(v)),
  sum: (v, args, kwargs) => {
    const get = attributeGetter(arg(args, kwargs, 0, "attribute"));
    const start = arg(args, kwargs, 1, "start") ?? new IntegerValue(0);
    let total = numericValue(start);
    let float = isFloat(start);
    for (const item of iterate(v)) {
      const x = get(item);
      if (!isNumeric(x)) throw new Error(`unsupported operand type for +: ${x.type}`);
      float ||= isFloat(x);
      total += numericValue(x);
    }
    return num(total, float);
  },
  title: (v) => str(pyTitle(pyStr(v))),
  tojson: (v, args, kwargs) => {
    const indent = arg(args, kwargs, 0, "indent");
    const separators = kwargs.get("separators");
    return str(
      pyJson(v, {
        indent: indent === undefined || isNone(indent) ? null : isString(indent) ? indent.value : numericValue(indent),
        ensureAscii: boolArg([], kwargs, 0, "ensure_ascii", false),
        sortKeys: boolArg([], kwargs, 0, "sort_keys", false),
        separators:
          separators && isArray(separators) && separators.value.length === 2
            ? [pyStr(separators.value[0]), pyStr(separators.value[1])]
            : null,
      }),
    );
  },
  trim: (v, args, kwargs) => str(pyStrip(pyStr(v), stringArg(args, kwargs, 0, "chars"), true, true)),
  unique: (v, args, kwargs) => {
    const caseSensitive = boolArg(args, kwargs, 0, "case_sensitive", false);
    const get = attributeGetter(arg(args, kwargs, 1, "attribute"));
    const key = (item: RV): RV => {
      const k = get(item);
      return !caseSensitive && isString(k) ? str(k.value.toLowerCase()) : k;
    };
    const out: RV[] = [];
    for (const item of iterate(v)) if (!out.some((seen) => pyEquals(key(seen), key(item)))) out.push(item);
    return new ArrayValue(out);
  },
  upper: (v) => str(pyStr(v).toUpperCase()),
  wordcount: (v) => new IntegerValue((pyStr(v).match(/\w+/gu) ?? []).length),
};
FILTERS.count = FILTERS.length;
FILTERS.d = FILTERS.default;
FILTERS.e = FILTERS.escape;
