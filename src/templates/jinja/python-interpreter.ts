/**
 * Jinja with Python's semantics (jinja2, as HF transformers renders chat
 * templates): `@huggingface/jinja` parses and evaluates most of a template,
 * and this interpreter takes over what the library lacks or does differently
 * (undefined values, missing filters, tests and methods, str() of values,
 * == on lists, ...).
 *
 * Deliberately more lenient than HF (these only make templates render that
 * would fail there): list `append`/`pop` work (HF's immutable sandbox forbids
 * them; Kimi K2 uses them), `str + dict` concatenates JSON instead of raising,
 * and `"..." | safe + value` does not HTML-escape `value` (a jinja2 Markup
 * quirk that garbles functionary v3.1's tool list under HF).
 */
import {
  type Node,
  type RV,
  ArrayValue,
  Environment,
  FunctionValue,
  Interpreter,
  ObjectValue,
  UNDEFINED,
  bool,
  isArray,
  isFunction,
  isInteger,
  isNone,
  isNumeric,
  isObject,
  isString,
  isUndefined,
  numericValue,
  str,
} from "./runtime-values.js";
import { type InterpreterPrivates, interpreterPrivates } from "./library-slice.js";
import { DEFAULT_JSON, pyJson, pyStr } from "./python-format.js";
import { COMPARISONS, iterate, mapGet } from "./python-values.js";
import { runTest } from "./python-tests.js";
import { FILTERS, type FilterHost } from "./python-filters.js";
import { callMethod } from "./python-methods.js";

interface IdentifierNode extends Node {
  value: string;
}
interface CallNode extends Node {
  callee: Node;
  args: Node[];
}

/** Statements whose value is not output (they evaluate to None). */
const SILENT_STATEMENTS = new Set(["Set", "Macro", "Comment"]);

/** A synthetic AST node holding an already evaluated value, to hand it back to the library. */
const VALUE_NODE = "PagodaValue";
function valueNode(value: RV): Node {
  return { type: VALUE_NODE, value };
}
function keywordArgumentNodes(kwargs: Map<string, RV>): Node[] {
  return [...kwargs].map(([key, value]) => ({
    type: "KeywordArgumentExpression",
    key: { type: "Identifier", value: key },
    value: valueNode(value),
  }));
}


export class PythonicInterpreter extends Interpreter implements FilterHost {
  constructor(env: Environment) {
    super(env);
    // The library's block evaluation (bodies of the template, if, for and
    // macros) prints values with JS semantics; print them as Python's str().
    (this as unknown as InterpreterPrivates).evaluateBlock = (statements, scope) => this.block(statements, scope);
  }

  private library(node: Node, env: Environment): RV {
    return super.evaluate(node, env);
  }

  private block(statements: Node[], env: Environment): RV {
    let out = "";
    for (const statement of statements) {
      const value = this.evaluate(statement, env);
      if (!SILENT_STATEMENTS.has(statement.type)) out += pyStr(value);
    }
    return str(out);
  }

  override evaluate(node: Node | undefined, environment: Environment): RV {
    return node ? this.dispatch(node, environment) : UNDEFINED;
  }

  private dispatch(node: Node, env: Environment): RV {
    switch (node.type) {
      case VALUE_NODE:
        return node.value as RV;
      case "FilterExpression": {
        const operand = this.evaluate(node.operand as Node, env);
        return this.applyFilterNode(operand, node.filter as Node, env);
      }
      case "FilterStatement":
        return this.applyFilterNode(this.block(node.body as Node[], env), node.filter as Node, env);
      case "TestExpression": {
        const operand = this.evaluate(node.operand as Node, env);
        const result = runTest((node.test as IdentifierNode).value, operand, []);
        return bool(node.negate ? !result : result);
      }
      case "BinaryExpression":
        return this.binary(node, env);
      case "CallExpression":
        return this.call(node as CallNode, env);
      case "MemberExpression":
        return this.member(node, env);
      case "For":
        return this.forLoop(node, env);
      case "ObjectLiteral": {
        const map = new Map<string | number, RV>();
        for (const [keyNode, valueNodeOf] of node.value as Map<Node, Node>) {
          const key = this.evaluate(keyNode, env);
          if (isString(key)) map.set(key.value, this.evaluate(valueNodeOf, env));
          else if (isNumeric(key)) map.set(numericValue(key), this.evaluate(valueNodeOf, env));
          else throw new Error(`unhashable dict key: ${key.type}`);
        }
        return new ObjectValue(map);
      }
      default:
        return this.library(node, env);
    }
  }

  private evalArgs(argNodes: Node[], env: Environment): [RV[], Map<string, RV>] {
    const args: RV[] = [];
    const kwargs = new Map<string, RV>();
    for (const argNode of argNodes) {
      if (argNode.type === "KeywordArgumentExpression") {
        kwargs.set((argNode.key as IdentifierNode).value, this.evaluate(argNode.value as Node, env));
      } else if (argNode.type === "SpreadExpression") {
        args.push(...iterate(this.evaluate(argNode.argument as Node, env)));
      } else if (argNode.type === "KeywordSpreadExpression") {
        const spread = this.evaluate(argNode.argument as Node, env);
        if (!isObject(spread)) throw new Error("argument after ** must be a mapping");
        for (const [k, v] of spread.value) kwargs.set(String(k), v);
      } else {
        args.push(this.evaluate(argNode, env));
      }
    }
    return [args, kwargs];
  }

  private applyFilterNode(operand: RV, filter: Node, env: Environment): RV {
    if (filter.type === "Identifier") return this.applyNamedFilter(operand, (filter as IdentifierNode).value, [], new Map(), env);
    const callee = (filter as CallNode).callee;
    if (filter.type !== "CallExpression" || callee.type !== "Identifier") throw new Error(`Unknown filter: ${filter.type}`);
    const [args, kwargs] = this.evalArgs((filter as CallNode).args, env);
    return this.applyNamedFilter(operand, (callee as IdentifierNode).value, args, kwargs, env);
  }

  applyNamedFilter(operand: RV, name: string, args: RV[], kwargs: Map<string, RV>, env: Environment): RV {
    const filter = FILTERS[name];
    if (filter) return filter.call(this, operand, args, kwargs, env);
    // Whatever else the library knows, with the arguments already evaluated.
    const identifier: Node = { type: "Identifier", value: name };
    const argNodes = [...args.map(valueNode), ...keywordArgumentNodes(kwargs)];
    const node = argNodes.length > 0 ? { type: "CallExpression", callee: identifier, args: argNodes } : identifier;
    return interpreterPrivates.applyFilter.call(this, operand, node, env);
  }

  private binary(node: Node, env: Environment): RV {
    const operator = (node.operator as { value: string }).value;
    if (operator === "and" || operator === "or") return this.library(node, env);
    const left = this.evaluate(node.left as Node, env);
    const right = this.evaluate(node.right as Node, env);
    const comparison = COMPARISONS.get(operator);
    if (comparison) return bool(comparison(left, right));
    switch (operator) {
      case "~":
        return str(pyStr(left) + pyStr(right));
      case "*":
        if (isString(left) && isInteger(right)) return str(left.value.repeat(Math.max(0, right.value)));
        if (isInteger(left) && isString(right)) return str(right.value.repeat(Math.max(0, left.value)));
        break;
      case "+":
        if (isArray(left) && isArray(right)) return new ArrayValue([...left.value, ...right.value]);
        // Python raises on str + non-str; like llama.cpp's minja we concatenate, with
        // lists and dicts as JSON (templates written for string tool-call arguments).
        if ((isString(left) || isString(right)) && !isUndefined(left) && !isUndefined(right)) {
          const text = (v: RV): string => (isArray(v) || isObject(v) ? pyJson(v, DEFAULT_JSON) : pyStr(v));
          return str(text(left) + text(right));
        }
        break;
    }
    return this.library({ ...node, left: valueNode(left), right: valueNode(right) }, env);
  }

  private call(node: CallNode, env: Environment): RV {
    const callee = node.callee;
    if (callee.type !== "MemberExpression" || callee.computed || (callee.property as Node).type !== "Identifier") {
      return this.library(node, env);
    }
    const object = this.evaluate(callee.object as Node, env);
    const name = (callee.property as IdentifierNode).value;
    const [args, kwargs] = this.evalArgs(node.args, env);
    const result = callMethod(object, name, args, kwargs);
    if (result !== undefined) return result;
    const method = this.member({ type: "MemberExpression", object: valueNode(object), property: callee.property, computed: false }, env);
    if (!isFunction(method)) {
      throw new Error(`'${object.type}' has no callable attribute '${name}'`);
    }
    const allArgs = kwargs.size > 0 ? [...args, this.keywordArguments(kwargs)] : args;
    return method.value(allArgs, env);
  }

  private keywordArguments(kwargs: Map<string, RV>): RV {
    // Built by the library itself, so macros recognize their keyword arguments.
    const capture: Node = {
      type: "CallExpression",
      callee: valueNode(new FunctionValue((args) => args[0])),
      args: keywordArgumentNodes(kwargs),
    };
    return this.library(capture, new Environment());
  }

  private member(node: Node, env: Environment): RV {
    const property = node.property as Node;
    if (node.computed && property.type === "SliceExpression") return this.library(node, env);
    const object = this.evaluate(node.object as Node, env);
    const key = node.computed ? this.evaluate(property, env) : property.type === "Identifier" ? str((property as IdentifierNode).value) : this.evaluate(property, env);
    if (isObject(object)) {
      const found = mapGet(object.value, key);
      if (found !== undefined) return found;
      if (isString(key)) return object.builtins.get(key.value) ?? UNDEFINED;
      return UNDEFINED;
    }
    if (isUndefined(object) || isNone(object)) return UNDEFINED;
    return this.library({ ...node, object: valueNode(object), property: valueNode(key), computed: true }, env);
  }

  private forLoop(node: Node, env: Environment): RV {
    const iterable = node.iterable as Node;
    const source = iterable.type === "SelectExpression" ? (iterable.lhs as Node) : iterable;
    let value = this.evaluate(source, env);
    if (isUndefined(value) || isString(value) || isObject(value)) value = new ArrayValue(iterate(value));
    // The library unpacks `for a, b in ...` from lists only, not tuples.
    if (isArray(value) && value.value.some((item) => item.type === "TupleValue")) {
      value = new ArrayValue(value.value.map((item) => (item.type === "TupleValue" ? new ArrayValue(item.value as RV[]) : item)));
    }
    const replaced = iterable.type === "SelectExpression" ? { ...iterable, lhs: valueNode(value) } : valueNode(value);
    return this.library({ ...node, iterable: replaced }, env);
  }
}
