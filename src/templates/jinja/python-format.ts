/** Values as Python prints them: str(), repr() and json.dumps. */
import {
  type RV,
  isArray,
  isBool,
  isFloat,
  isFunction,
  isInteger,
  isNamespace,
  isNone,
  isObject,
  isString,
  isUndefined,
} from "./runtime-values.js";

function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exponent] = n.toExponential().split("e");
    const sign = exponent.startsWith("-") ? "-" : "+";
    return `${mantissa}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  const text = String(n);
  return Number.isInteger(n) ? `${text}.0` : text;
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

export function pyRepr(value: RV): string {
  if (isString(value)) return pyStringRepr(value.value);
  if (isUndefined(value)) return "";
  return pyStr(value);
}

/** Python's str() of a value, which is what `{{ value }}` prints. */
export function pyStr(value: RV): string {
  if (isString(value)) return String(value.value);
  if (isInteger(value)) return String(value.value);
  if (isFloat(value)) return pyFloat(value.value);
  if (isBool(value)) return value.value ? "True" : "False";
  if (isNone(value)) return "None";
  if (isUndefined(value)) return "";
  if (isArray(value)) {
    const items = value.value.map(pyRepr);
    return value.type === "TupleValue" ? `(${items.join(", ")}${items.length === 1 ? "," : ""})` : `[${items.join(", ")}]`;
  }
  if (isObject(value)) {
    const entries = [...value.value].map(([k, v]) => `${typeof k === "number" ? k : pyStringRepr(k)}: ${pyRepr(v)}`);
    return `{${entries.join(", ")}}`;
  }
  if (isNamespace(value)) {
    const entries = [...value.value].map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`);
    return `<Namespace {${entries.join(", ")}}>`;
  }
  if (isFunction(value)) return "<function>";
  return String(value.value);
}

export interface JsonOptions {
  indent: number | string | null;
  ensureAscii: boolean;
  separators: [string, string] | null;
  sortKeys: boolean;
}
export const DEFAULT_JSON: JsonOptions = { indent: null, ensureAscii: false, separators: null, sortKeys: false };

/** Python's json.dumps as transformers' `tojson` calls it (ensure_ascii=False by default). */
export function pyJson(value: RV, options: JsonOptions, depth = 0): string {
  const indent = options.indent === null ? null : typeof options.indent === "number" ? " ".repeat(options.indent) : options.indent;
  const [itemSep, keySep] = options.separators ?? (indent !== null ? [",", ": "] : [", ", ": "]);
  const quote = (s: string): string => {
    const json = JSON.stringify(s);
    return options.ensureAscii
      ? json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      : json;
  };
  const wrap = (open: string, items: string[], close: string): string => {
    if (items.length === 0) return open + close;
    if (indent === null) return open + items.join(itemSep) + close;
    const inner = "\n" + indent.repeat(depth + 1);
    return open + inner + items.join(itemSep + inner) + "\n" + indent.repeat(depth) + close;
  };
  if (isString(value)) return quote(value.value);
  if (isInteger(value)) return String(value.value);
  if (isFloat(value)) {
    const n = value.value;
    if (Number.isNaN(n)) return "NaN";
    if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
    return pyFloat(n);
  }
  if (isBool(value)) return value.value ? "true" : "false";
  if (isNone(value) || isUndefined(value)) return "null";
  if (isArray(value)) return wrap("[", value.value.map((v) => pyJson(v, options, depth + 1)), "]");
  if (isObject(value) || isNamespace(value)) {
    let entries = [...(value.value as Map<string | number, RV>)].map(([k, v]) => [String(k), v] as const);
    if (options.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return wrap("{", entries.map(([k, v]) => quote(k) + keySep + pyJson(v, options, depth + 1)), "}");
  }
  throw new Error(`Object of type ${value.type} is not JSON serializable`);
}
