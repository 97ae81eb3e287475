/** How Python treats values: equality, ordering, membership, iteration and item lookup. */
import {
  type RV,
  ArrayValue,
  TupleValue,
  UNDEFINED,
  isArray,
  isNamespace,
  isNone,
  isNumeric,
  isObject,
  isString,
  isUndefined,
  keyValue,
  numericValue,
  str,
} from "./runtime-values.js";

export function pyEquals(a: RV, b: RV): boolean {
  if (isNumeric(a) && isNumeric(b)) return numericValue(a) === numericValue(b);
  if (isString(a) && isString(b)) return a.value === b.value;
  if (isNone(a) || isNone(b)) return isNone(a) && isNone(b);
  if (isUndefined(a) || isUndefined(b)) return isUndefined(a) && isUndefined(b);
  if (isArray(a) && isArray(b)) {
    return a.value.length === b.value.length && a.value.every((item, i) => pyEquals(item, b.value[i]));
  }
  if (isObject(a) && isObject(b)) {
    if (a.value.size !== b.value.size) return false;
    for (const [k, v] of a.value) {
      const other = b.value.get(k);
      if (other === undefined || !pyEquals(v, other)) return false;
    }
    return true;
  }
  return a === b;
}

/** Python ordering: numbers with numbers, strings with strings, lists element-wise. */
export function pyCompare(a: RV, b: RV, caseSensitive = true): number {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(numericValue(a) - numericValue(b));
  if (isString(a) && isString(b)) {
    const x = caseSensitive ? a.value : a.value.toLowerCase();
    const y = caseSensitive ? b.value : b.value.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (isArray(a) && isArray(b)) {
    for (let i = 0; i < Math.min(a.value.length, b.value.length); i++) {
      const c = pyCompare(a.value[i], b.value[i], caseSensitive);
      if (c !== 0) return c;
    }
    return Math.sign(a.value.length - b.value.length);
  }
  throw new Error(`'<' not supported between instances of ${a.type} and ${b.type}`);
}

export function pyContains(container: RV, item: RV): boolean {
  if (isArray(container)) return container.value.some((x) => pyEquals(x, item));
  if (isString(container)) {
    if (!isString(item)) throw new Error(`'in <string>' requires string as left operand, not ${item.type}`);
    return container.value.includes(item.value);
  }
  if (isObject(container)) return mapGet(container.value, item) !== undefined;
  if (isUndefined(container)) return false;
  throw new Error(`argument of type ${container.type} is not iterable`);
}

/** `a OP b` for Python's comparison operators; jinja's tests of the same names share them. */
export const COMPARISONS = new Map<string, (a: RV, b: RV) => boolean>([
  ["==", (a, b) => pyEquals(a, b)],
  ["!=", (a, b) => !pyEquals(a, b)],
  ["<", (a, b) => pyCompare(a, b) < 0],
  ["<=", (a, b) => pyCompare(a, b) <= 0],
  [">", (a, b) => pyCompare(a, b) > 0],
  [">=", (a, b) => pyCompare(a, b) >= 0],
  ["in", (a, b) => pyContains(b, a)],
  ["not in", (a, b) => !pyContains(b, a)],
]);

export function mapGet(map: Map<string | number, RV>, key: RV): RV | undefined {
  if (isString(key)) return map.get(key.value);
  if (isNumeric(key)) return map.get(numericValue(key)) ?? map.get(String(numericValue(key)));
  return undefined;
}

/** Jinja's getattr/getitem for filters: dicts by key, lists by integer index; missing → undefined. */
export function getAttribute(value: RV, attribute: string): RV {
  let current = value;
  for (const part of attribute.split(".")) {
    if (isObject(current)) current = current.value.get(part) ?? (/^\d+$/.test(part) ? current.value.get(Number(part)) : undefined) ?? UNDEFINED;
    else if (isNamespace(current)) current = current.value.get(part) ?? UNDEFINED;
    else if (isArray(current) && /^-?\d+$/.test(part)) current = current.value.at(Number(part)) ?? UNDEFINED;
    else return UNDEFINED;
  }
  return current;
}

export function iterate(value: RV): RV[] {
  if (isArray(value)) return value.value;
  if (isString(value)) return Array.from(value.value, (c) => str(c));
  if (isObject(value)) return [...value.value.keys()].map(keyValue);
  if (isUndefined(value)) return [];
  throw new Error(`'${value.type}' object is not iterable`);
}

/** A dict's `items()`: a list of (key, value) tuples. */
export function dictItems(map: Map<string | number, RV>): RV & { value: RV[] } {
  return new ArrayValue([...map].map(([k, v]) => new TupleValue([keyValue(k), v]))) as RV & { value: RV[] };
}
