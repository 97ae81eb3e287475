/** Python methods on values (`s.strip('\n')`, `list.append(x)`, `'{}'.format(x)`, ...) the library lacks. */
import {
  type RV,
  ArrayValue,
  IntegerValue,
  NONE,
  UNDEFINED,
  bool,
  isArray,
  isObject,
  isString,
  keyValue,
  numericValue,
  str,
} from "./runtime-values.js";
import { pyRepr, pyStr } from "./python-format.js";
import { dictItems, iterate, mapGet, pyEquals } from "./python-values.js";
import { pyCapitalize, pyStrip, pyTitle, splitLines } from "./python-strings.js";
import { stringArg } from "./call-arguments.js";

/** `object.name(...)`, or undefined when Python has no such method here (the library may have one). */
export function callMethod(object: RV, name: string, args: RV[], kwargs: Map<string, RV>): RV | undefined {
  if (isString(object)) return stringMethod(object.value, name, args, kwargs);
  if (isArray(object)) return listMethod(object, name, args);
  if (isObject(object)) return objectMethod(object.value, name, args);
  return undefined;
}

/** str.format with positional (`{}`, `{0}`) and named fields; format specs are ignored. */
function pyFormat(template: string, args: RV[], kwargs: Map<string, RV>): string {
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    const name = (field ?? "").split(/[:!]/)[0];
    const value = name === "" ? args[auto++] : /^\d+$/.test(name) ? args[Number(name)] : kwargs.get(name);
    if (value === undefined) throw new Error(`Replacement index ${name || auto - 1} out of range for format()`);
    return pyStr(value);
  });
}

function stringMethod(s: string, name: string, args: RV[], kwargs: Map<string, RV>): RV | undefined {
  const chars = () => stringArg(args, kwargs, 0, "chars");
  switch (name) {
    case "strip":
      return str(pyStrip(s, chars(), true, true));
    case "lstrip":
      return str(pyStrip(s, chars(), true, false));
    case "rstrip":
      return str(pyStrip(s, chars(), false, true));
    case "format":
      return str(pyFormat(s, args, kwargs));
    case "title":
      return str(pyTitle(s));
    case "capitalize":
      return str(pyCapitalize(s));
    case "join":
      return str(iterate(args[0] ?? UNDEFINED).map(pyStr).join(s));
    case "find":
      return new IntegerValue(s.indexOf(pyStr(args[0] ?? UNDEFINED)));
    case "rfind":
      return new IntegerValue(s.lastIndexOf(pyStr(args[0] ?? UNDEFINED)));
    case "count": {
      const sub = pyStr(args[0] ?? UNDEFINED);
      return new IntegerValue(sub === "" ? Array.from(s).length + 1 : s.split(sub).length - 1);
    }
    case "splitlines":
      return new ArrayValue(splitLines(s).map(str));
    case "isdigit":
      return bool(/^\d+$/.test(s));
    case "isspace":
      return bool(s.length > 0 && pyStrip(s, undefined, true, true) === "");
    case "isalpha":
      return bool(/^\p{L}+$/u.test(s));
    case "isalnum":
      return bool(/^[\p{L}\p{N}]+$/u.test(s));
    case "islower":
      return bool(s !== s.toUpperCase() && s === s.toLowerCase());
    case "isupper":
      return bool(s !== s.toLowerCase() && s === s.toUpperCase());
    default:
      return undefined;
  }
}

function listMethod(list: RV & { value: RV[] }, name: string, args: RV[]): RV | undefined {
  const touched = (): void => {
    // ArrayValue caches its builtins (with `length`); drop the cache after a mutation.
    (list as unknown as { _builtins?: unknown })._builtins = undefined;
  };
  switch (name) {
    case "append":
      list.value.push(args[0] ?? NONE);
      touched();
      return NONE;
    case "extend":
      list.value.push(...iterate(args[0] ?? UNDEFINED));
      touched();
      return NONE;
    case "insert": {
      const index = numericValue(args[0] ?? new IntegerValue(0));
      list.value.splice(index < 0 ? Math.max(0, list.value.length + index) : index, 0, args[1] ?? NONE);
      touched();
      return NONE;
    }
    case "pop": {
      if (list.value.length === 0) throw new Error("pop from empty list");
      const raw = args[0] === undefined ? -1 : numericValue(args[0]);
      const index = raw < 0 ? list.value.length + raw : raw;
      if (index < 0 || index >= list.value.length) throw new Error("pop index out of range");
      const [removed] = list.value.splice(index, 1);
      touched();
      return removed;
    }
    case "index": {
      const index = list.value.findIndex((item) => pyEquals(item, args[0] ?? UNDEFINED));
      if (index < 0) throw new Error(`${pyRepr(args[0] ?? UNDEFINED)} is not in list`);
      return new IntegerValue(index);
    }
    case "count":
      return new IntegerValue(list.value.filter((item) => pyEquals(item, args[0] ?? UNDEFINED)).length);
    default:
      return undefined;
  }
}

function objectMethod(map: Map<string | number, RV>, name: string, args: RV[]): RV | undefined {
  switch (name) {
    case "get":
      return (args[0] !== undefined ? mapGet(map, args[0]) : undefined) ?? args[1] ?? NONE;
    case "items":
      return dictItems(map);
    case "keys":
      return new ArrayValue([...map.keys()].map(keyValue));
    case "values":
      return new ArrayValue([...map.values()]);
    default:
      return undefined;
  }
}
