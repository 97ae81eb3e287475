/** Arguments of filters, methods and functions, looked up as Python binds them: by position, else by keyword. */
import { type RV, isNone, isUndefined } from "./runtime-values.js";
import { pyStr } from "./python-format.js";

/** The library passes keyword arguments as a trailing KeywordArgumentsValue. */
export function splitKeywordArguments(args: RV[]): [RV[], Map<string, RV>] {
  const last = args.at(-1);
  if (last && last.type === "KeywordArgumentsValue") {
    return [args.slice(0, -1), new Map((last.value as Map<string, RV>).entries())];
  }
  return [args, new Map()];
}

export function arg(args: RV[], kwargs: Map<string, RV>, index: number, name: string): RV | undefined {
  return args[index] ?? kwargs.get(name);
}

/** A string argument; none and undefined count as not given. */
export function stringArg(args: RV[], kwargs: Map<string, RV>, index: number, name: string): string | undefined {
  const value = arg(args, kwargs, index, name);
  return value === undefined || isNone(value) || isUndefined(value) ? undefined : pyStr(value);
}

export function boolArg(args: RV[], kwargs: Map<string, RV>, index: number, name: string, fallback: boolean): boolean {
  const value = arg(args, kwargs, index, name);
  return value === undefined ? fallback : value.__bool__().value;
}
