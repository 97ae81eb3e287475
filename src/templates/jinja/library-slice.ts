/**
 * The slice of `@huggingface/jinja` that pagoda's Jinja layer builds on.
 * Part of it is internal to the library (its runtime value classes are not
 * exported; `Interpreter.applyFilter` and `evaluateBlock` are private), and
 * its declaration files do not resolve under NodeNext (extensionless relative
 * imports), so TypeScript sees `any`. The slice is therefore restated here for
 * the exact version pinned in package.json, and `checkLibrarySlice` verifies at
 * load that every piece is there, so an upgrade that moves one fails at start
 * with a message naming it, not mid-render. Decision: docs/decisions/0005.
 */
import * as jinja from "@huggingface/jinja";

/** A node of the library's template AST. */
export interface Node {
  type: string;
  [field: string]: unknown;
}

/** A runtime value of the library (StringValue, ArrayValue, ...). */
export interface RV {
  type: string;
  value: unknown;
  __bool__(): { value: boolean };
  builtins: ReadonlyMap<string, RV>;
}

export interface Environment {
  set(name: string, value: unknown): RV;
  setVariable(name: string, value: RV): RV;
}

export interface LibraryInterpreter {
  run(program: Node): RV;
  evaluate(node: Node | undefined, env: Environment): RV;
}

/** Private methods of the library's Interpreter: PythonicInterpreter calls `applyFilter` and replaces `evaluateBlock`. */
export interface InterpreterPrivates {
  applyFilter(operand: RV, filter: Node, env: Environment): RV;
  evaluateBlock(statements: Node[], env: Environment): RV;
}

export interface JinjaLibrary {
  tokenize(source: string, options: { lstrip_blocks: boolean; trim_blocks: boolean }): unknown;
  parse(tokens: unknown): Node;
  Environment: new (parent?: Environment) => Environment;
  Interpreter: new (env?: Environment) => LibraryInterpreter;
}

/** Runtime value types (each value's `type`) the layer creates or tests for, by a JS value that makes one. */
const VALUE_SAMPLES: ReadonlyArray<[type: string, sample: unknown]> = [
  ["StringValue", ""],
  ["IntegerValue", 1],
  ["FloatValue", 1.5],
  ["BooleanValue", true],
  ["NullValue", null],
  ["UndefinedValue", undefined],
  ["ArrayValue", []],
  ["ObjectValue", {}],
  ["FunctionValue", () => null],
];

/** A template using every AST node type PythonicInterpreter dispatches on or builds. */
const PROBE_TEMPLATE =
  '{# c #}{% set x = {"k": 1} %}{% macro m(a) %}{{ a }}{% endmacro %}' +
  "{% for a, b in y if a %}{{ a | f(1, k=2) ~ (b is t) + x.k + x[1:2] + g(*l, **d) + (1, 2) }}{% endfor %}" +
  "{% filter upper %}z{% endfilter %}";
const PROBE_NODE_TYPES = [
  "BinaryExpression", "CallExpression", "Comment", "FilterExpression", "FilterStatement", "For", "Identifier",
  "KeywordArgumentExpression", "KeywordSpreadExpression", "Macro", "MemberExpression", "ObjectLiteral",
  "SelectExpression", "Set", "SliceExpression", "SpreadExpression", "TestExpression", "TupleLiteral",
];

function nodeTypesOf(tree: unknown, into = new Set<string>()): Set<string> {
  if (tree === null || typeof tree !== "object") return into;
  const type = (tree as { type?: unknown }).type;
  if (typeof type === "string") into.add(type);
  const children = tree instanceof Map ? [...tree].flat() : Object.values(tree);
  for (const child of children) nodeTypesOf(child, into);
  return into;
}

/** Throws, naming the first missing piece, unless `library` has the slice this layer uses. */
export function checkLibrarySlice(library: unknown): JinjaLibrary {
  const fail = (piece: string): never => {
    throw new Error(`@huggingface/jinja changed (${piece}): pagoda needs the exact version pinned in package.json`);
  };
  const lib = library as Partial<JinjaLibrary>;
  for (const name of ["tokenize", "parse", "Environment", "Interpreter"] as const) {
    if (typeof lib[name] !== "function") fail(`no export ${name}`);
  }
  const { Environment, Interpreter } = lib as JinjaLibrary;
  for (const method of ["run", "evaluate", "applyFilter", "evaluateBlock"]) {
    if (typeof (Interpreter.prototype as Record<string, unknown>)[method] !== "function") fail(`no Interpreter.${method}`);
  }
  for (const [type, sample] of VALUE_SAMPLES) {
    const value = new Environment().set("sample", sample) as Partial<RV>;
    if (value.type !== type || typeof value.__bool__ !== "function" || !(value.builtins instanceof Map)) fail(`runtime value ${type}`);
  }
  const tuple = new Interpreter().evaluate({ type: "TupleLiteral", value: [] }, new Environment());
  if (tuple.type !== "TupleValue") fail("runtime value TupleValue");
  const probe = nodeTypesOf((lib as JinjaLibrary).parse((lib as JinjaLibrary).tokenize(PROBE_TEMPLATE, { lstrip_blocks: true, trim_blocks: true })));
  for (const type of PROBE_NODE_TYPES) if (!probe.has(type)) fail(`AST node ${type}`);
  return lib as JinjaLibrary;
}

export const jinjaLibrary = checkLibrarySlice(jinja);
export const Environment = jinjaLibrary.Environment;
export const Interpreter = jinjaLibrary.Interpreter;
export const interpreterPrivates = jinjaLibrary.Interpreter.prototype as unknown as InterpreterPrivates;
