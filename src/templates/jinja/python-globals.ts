/** The Python builtins every template sees (`true`/`True`, `none`/`None`, `range`, `dict`). */
import {
  type RV,
  ArrayValue,
  Environment,
  FunctionValue,
  IntegerValue,
  NONE,
  ObjectValue,
  bool,
  numericValue,
} from "./runtime-values.js";
import { splitKeywordArguments } from "./call-arguments.js";

/** A template-callable function, with Python's positional and keyword arguments. */
export function fn(impl: (args: RV[], kwargs: Map<string, RV>) => RV): RV {
  return new FunctionValue((rawArgs) => {
    const [args, kwargs] = splitKeywordArguments(rawArgs);
    return impl(args, kwargs);
  });
}

function pyRange(args: RV[]): RV {
  const n = args.map(numericValue);
  const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
  if (step === 0) throw new Error("range() arg 3 must not be zero");
  const out: RV[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(new IntegerValue(i));
  return new ArrayValue(out);
}

/** A fresh environment holding the Python builtins; the caller adds the template's variables. */
export function pythonEnvironment(): Environment {
  const env = new Environment();
  const set = (name: string, value: RV): void => void env.setVariable(name, value);
  set("true", bool(true));
  set("false", bool(false));
  set("none", NONE);
  set("True", bool(true));
  set("False", bool(false));
  set("None", NONE);
  set("range", fn((args) => pyRange(args)));
  set("dict", fn((_args, kwargs) => new ObjectValue(new Map(kwargs))));
  return env;
}
