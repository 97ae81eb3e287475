/**
 * Runtime values of `@huggingface/jinja`: its value classes are not exported,
 * so their constructors are taken from values it creates (the slice is
 * restated and checked at load in ./library-slice.ts).
 */
import { type RV, Environment, Interpreter } from "./library-slice.js";

export { type Node, type RV, Environment, Interpreter } from "./library-slice.js";

type RVCtor<T> = new (value: T) => RV;
type NativeFn = (args: RV[], scope: Environment) => RV;

function constructorOf<T>(sample: unknown): RVCtor<T> {
  return new Environment().set("sample", sample).constructor as RVCtor<T>;
}
const StringValue = constructorOf<string>("");
export const IntegerValue = constructorOf<number>(1);
export const FloatValue = constructorOf<number>(1.5);
const BooleanValue = constructorOf<boolean>(true);
const NullValue = constructorOf<null>(null);
const UndefinedValue = constructorOf<undefined>(undefined);
export const ArrayValue = constructorOf<RV[]>([]);
export const ObjectValue = constructorOf<Map<string | number, RV>>({});
export const FunctionValue = constructorOf<NativeFn>(() => null);
export const TupleValue = new Interpreter().evaluate({ type: "TupleLiteral", value: [] }, new Environment())
  .constructor as RVCtor<RV[]>;

export const NONE = new NullValue(null);
export const UNDEFINED = new UndefinedValue(undefined);
export const str = (value: string): RV => new StringValue(value);
export const bool = (value: boolean): RV => new BooleanValue(value);
export const num = (value: number, float = false): RV =>
  float || !Number.isInteger(value) ? new FloatValue(value) : new IntegerValue(value);
/** A dict key as a value: dicts hold integer keys as JS numbers. */
export const keyValue = (key: string | number): RV => (typeof key === "number" ? num(key) : str(key));

export const isString = (v: RV): v is RV & { value: string } => v.type === "StringValue";
export const isInteger = (v: RV): v is RV & { value: number } => v.type === "IntegerValue";
export const isFloat = (v: RV): v is RV & { value: number } => v.type === "FloatValue";
export const isBool = (v: RV): v is RV & { value: boolean } => v.type === "BooleanValue";
export const isNone = (v: RV): boolean => v.type === "NullValue";
export const isUndefined = (v: RV): boolean => v.type === "UndefinedValue";
export const isArray = (v: RV): v is RV & { value: RV[] } => v.type === "ArrayValue" || v.type === "TupleValue";
export const isObject = (v: RV): v is RV & { value: Map<string | number, RV> } =>
  v.type === "ObjectValue" || v.type === "KeywordArgumentsValue";
export const isNamespace = (v: RV): v is RV & { value: Map<string, RV> } => v.type === "NamespaceValue";
export const isFunction = (v: RV): v is RV & { value: NativeFn } => v.type === "FunctionValue";
/** Python's bool is an int: True + 1 == 2, True == 1. */
export const isNumeric = (v: RV): v is RV & { value: number | boolean } => isInteger(v) || isFloat(v) || isBool(v);
export const numericValue = (v: RV): number => Number(v.value);

/** A JS value (JSON-like data) as a runtime value. */
export function toRV(value: unknown): RV {
  switch (typeof value) {
    case "string":
      return str(value);
    case "number":
      return num(value);
    case "boolean":
      return bool(value);
    case "undefined":
      return UNDEFINED;
    case "bigint":
      return new IntegerValue(Number(value));
    case "object":
      if (value === null) return NONE;
      if (Array.isArray(value)) return new ArrayValue(value.map(toRV));
      return new ObjectValue(new Map(Object.entries(value).map(([k, v]) => [k, toRV(v)])));
    default:
      throw new Error(`Cannot pass a ${typeof value} to a chat template`);
  }
}
