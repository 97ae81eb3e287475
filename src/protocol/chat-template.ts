/**
 * Chat templates: a model's own Jinja template (GGUF `tokenizer.chat_template`
 * or a `--chat-template` file) rendered with OpenAI chat `messages` into the
 * prompt string that is then tokenized with special tokens parsed.
 *
 * Rendering follows what vLLM does through HF transformers, so prompts match
 * the ones models were trained and evaluated with:
 *  - messages are normalized as vLLM's chat_utils does: text parts joined with
 *    "\n", `null` content becomes "", empty `tool_calls` are dropped and
 *    `function.arguments` JSON strings are parsed into objects (templates do
 *    `arguments | tojson`); a string that is not valid JSON becomes `{}`;
 *  - template globals as transformers passes them: `messages`, `tools`,
 *    `add_generation_prompt`, `bos_token`, `eos_token`, `raise_exception`,
 *    `strftime_now`, plus the request's chat_template_kwargs (`extraContext`).
 *    transformers passes `tools=None` when there are none; we leave `tools`
 *    undefined instead: every fixture template renders the same either way,
 *    except the "tool_use" variants (Hermes, Command R+), which only render
 *    with it undefined;
 *  - Jinja semantics are Python's (jinja2): `@huggingface/jinja` is used for
 *    parsing and most evaluation, and the `PythonicInterpreter` below fills in
 *    what it lacks or does differently (undefined values, missing filters,
 *    tests and methods, str() of values, == on lists, ...).
 *
 * Deliberately more lenient than HF (these only make templates render that
 * would fail there): list `append`/`pop` work (HF's immutable sandbox forbids
 * them; Kimi K2 uses them), `str + dict` concatenates JSON instead of raising,
 * and `"..." | safe + value` does not HTML-escape `value` (a jinja2 Markup
 * quirk that garbles functionary v3.1's tool list under HF).
 *
 * The `developer` role: OpenAI maps it to `system` for models that do not know
 * it. We pass `developer` through when the template mentions the role (e.g.
 * gpt-oss, Gemma 4, DeepSeek V3.2) and map it to `system` otherwise, so a
 * system-style instruction is never dropped or rejected by a template that
 * predates the role.
 */
import * as jinja from "@huggingface/jinja";
import { InvalidRequestError } from "../errors.js";

// ---------------------------------------------------------------------------
// Public API

export type ChatContentPart = { type: "text"; text: string } | { type: string; [k: string]: unknown };

export interface ChatMessage {
  role: string;
  content?: string | null | ChatContentPart[];
  name?: string | null;
  tool_calls?: unknown[] | null;
  tool_call_id?: string | null;
  [k: string]: unknown;
}

export interface ChatTemplateSpecialTokens {
  bosToken: string;
  eosToken: string;
}

export interface ChatTemplateOptions {
  /** The clock behind `strftime_now` (local time, like Python's datetime.now()). */
  now?: () => Date;
}

export interface ChatTemplateRenderOptions {
  addGenerationPrompt: boolean;
  /** OpenAI `tools` (`[{type: "function", function: {...}}]`); undefined in the template when omitted. */
  tools?: unknown[];
  /** chat_template_kwargs, e.g. `{ enable_thinking: false }`; cannot replace the variables above. */
  extraContext?: Record<string, unknown>;
}

/** Template variables a request cannot override through `extraContext`. */
const RESERVED_CONTEXT_KEYS = new Set([
  "messages",
  "tools",
  "add_generation_prompt",
  "bos_token",
  "eos_token",
  "raise_exception",
  "strftime_now",
]);

export class ChatTemplate {
  readonly source: string;
  private readonly program: Node;
  private readonly specialTokens: ChatTemplateSpecialTokens;
  private readonly now: () => Date;
  /** Whether the template knows the `developer` role (else it is sent as `system`). */
  readonly handlesDeveloperRole: boolean;

  /** Parses the template; throws a plain Error (a start-up failure) when it cannot be parsed. */
  constructor(source: string, specialTokens: ChatTemplateSpecialTokens, options: ChatTemplateOptions = {}) {
    this.source = source;
    this.specialTokens = specialTokens;
    this.now = options.now ?? (() => new Date());
    this.handlesDeveloperRole = /(["'])developer\1/.test(source);
    try {
      // Jinja normalizes newlines; transformers enables trim_blocks and lstrip_blocks.
      const normalized = source.replace(/\r\n?/g, "\n");
      this.program = jinja.parse(jinja.tokenize(normalized, { lstrip_blocks: true, trim_blocks: true })) as Node;
    } catch (error) {
      throw new Error(`Cannot parse the chat template: ${errorMessage(error)}`);
    }
  }

  /**
   * Renders `messages` into a prompt. Request problems (content that is not
   * text, the template's own `raise_exception`, a template that fails on these
   * messages) throw InvalidRequestError.
   */
  render(messages: ChatMessage[], options: ChatTemplateRenderOptions): string {
    const templateMessages = toTemplateMessages(messages, this.handlesDeveloperRole);
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
    set(
      "raise_exception",
      fn((args) => {
        throw new TemplateRaisedError(args.length > 0 ? pyStr(args[0]) : "");
      }),
    );
    set("strftime_now", fn((args) => str(strftime(this.now(), args.length > 0 ? pyStr(args[0]) : ""))));

    for (const [key, value] of Object.entries(options.extraContext ?? {})) {
      if (RESERVED_CONTEXT_KEYS.has(key)) {
        throw new InvalidRequestError(`chat_template_kwargs cannot set \`${key}\`.`, { param: "chat_template_kwargs" });
      }
      set(key, toRV(value));
    }
    set("messages", toRV(templateMessages));
    if (options.tools !== undefined) set("tools", toRV(options.tools));
    set("add_generation_prompt", bool(options.addGenerationPrompt));
    set("bos_token", str(this.specialTokens.bosToken));
    set("eos_token", str(this.specialTokens.eosToken));

    try {
      const result = new PythonicInterpreter(env).run(this.program);
      return pyStr(result);
    } catch (error) {
      if (error instanceof TemplateRaisedError) {
        throw new InvalidRequestError(error.message, { param: "messages" });
      }
      if (error instanceof InvalidRequestError) throw error;
      throw new InvalidRequestError(`The chat template failed on these messages: ${errorMessage(error)}`, {
        param: "messages",
      });
    }
  }
}

/** Thrown by the template's `raise_exception(message)`. */
class TemplateRaisedError extends Error {}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// Messages: OpenAI wire format → what HF chat templates expect (as vLLM does)

const TEXT_PART_TYPES = new Set(["text", "input_text", "output_text", "refusal"]);

function contentToText(content: ChatMessage["content"], index: number): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) {
    throw new InvalidRequestError("Message content must be a string or a list of content parts.", {
      param: `messages[${index}].content`,
    });
  }
  const texts: string[] = [];
  for (const part of content as unknown[]) {
    if (typeof part === "string") {
      texts.push(part);
      continue;
    }
    const record = (typeof part === "object" && part !== null ? part : {}) as Record<string, unknown>;
    const type = record.type;
    if (typeof type !== "string" || !TEXT_PART_TYPES.has(type)) {
      throw new InvalidRequestError(
        `Content part type ${JSON.stringify(type ?? null)} is not supported: only text content is supported.`,
        { param: "messages" },
      );
    }
    const text = type === "refusal" ? record.refusal : record.text;
    if (text === null || text === undefined) continue; // vLLM skips empty text parts
    if (typeof text !== "string") {
      throw new InvalidRequestError("A text content part must have a string `text`.", { param: "messages" });
    }
    texts.push(text);
  }
  return texts.join("\n");
}

function parseToolArguments(value: unknown): unknown {
  if (typeof value === "string") {
    try {
      return JSON.parse(value);
    } catch {
      return {}; // vLLM: any string that is not valid JSON becomes an empty dict
    }
  }
  return typeof value === "object" && value !== null ? value : {};
}

function toTemplateMessages(messages: ChatMessage[], handlesDeveloperRole: boolean): Record<string, unknown>[] {
  return messages.map((message, index) => {
    const role = message.role === "developer" && !handlesDeveloperRole ? "system" : message.role;
    const out: Record<string, unknown> = { role, content: contentToText(message.content, index) };
    if (message.role === "assistant") {
      if (Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
        out.tool_calls = message.tool_calls.map((call) => {
          if (typeof call !== "object" || call === null) return call;
          const record = call as Record<string, unknown>;
          const fn = record.function;
          if (typeof fn !== "object" || fn === null) return { ...record };
          const fnRecord = fn as Record<string, unknown>;
          return { ...record, function: { ...fnRecord, arguments: parseToolArguments(fnRecord.arguments) } };
        });
      }
      const reasoning = message.reasoning ?? message.reasoning_content;
      if (typeof reasoning === "string") {
        out.reasoning = reasoning;
        out.reasoning_content = reasoning;
      }
    }
    if (message.role === "tool" && typeof message.tool_call_id === "string") out.tool_call_id = message.tool_call_id;
    if (typeof message.name === "string") out.name = message.name;
    if (typeof message.task === "string") out.task = message.task;
    if (message.role === "developer") out.tools = message.tools ?? null;
    return out;
  });
}

// ---------------------------------------------------------------------------
// @huggingface/jinja, typed here: its declaration files do not resolve under
// NodeNext (extensionless relative imports), so TypeScript sees `any`. Its
// runtime value classes are not exported; their constructors are taken from
// values it creates.

interface Environment {
  set(name: string, value: unknown): RV;
  setVariable(name: string, value: RV): RV;
  lookupVariable(name: string): RV;
}
interface InterpreterBase {
  run(program: Node): RV;
  evaluate(node: Node | undefined, env: Environment): RV;
}
const Environment = jinja.Environment as new (parent?: Environment) => Environment;
const Interpreter = jinja.Interpreter as new (env?: Environment) => InterpreterBase;

interface RV {
  type: string;
  value: unknown;
  __bool__(): { value: boolean };
  builtins: ReadonlyMap<string, RV>;
}
type RVCtor<T> = new (value: T) => RV;
type NativeFn = (args: RV[], scope: Environment) => RV;

function constructorOf<T>(sample: unknown): RVCtor<T> {
  return new Environment().set("sample", sample).constructor as RVCtor<T>;
}
const StringValue = constructorOf<string>("");
const IntegerValue = constructorOf<number>(1);
const FloatValue = constructorOf<number>(1.5);
const BooleanValue = constructorOf<boolean>(true);
const NullValue = constructorOf<null>(null);
const UndefinedValue = constructorOf<undefined>(undefined);
const ArrayValue = constructorOf<RV[]>([]);
const ObjectValue = constructorOf<Map<string | number, RV>>({});
const FunctionValue = constructorOf<NativeFn>(() => null);
const TupleValue = new Interpreter().evaluate({ type: "TupleLiteral", value: [] }, new Environment()).constructor as RVCtor<RV[]>;

const NONE = new NullValue(null);
const UNDEFINED = new UndefinedValue(undefined);
const str = (value: string): RV => new StringValue(value);
const bool = (value: boolean): RV => new BooleanValue(value);
const num = (value: number, float = false): RV => (float || !Number.isInteger(value) ? new FloatValue(value) : new IntegerValue(value));
function fn(impl: (args: RV[], kwargs: Map<string, RV>) => RV): RV {
  return new FunctionValue((rawArgs) => {
    const [args, kwargs] = splitKeywordArguments(rawArgs);
    return impl(args, kwargs);
  });
}

const isString = (v: RV): v is RV & { value: string } => v.type === "StringValue";
const isInteger = (v: RV): v is RV & { value: number } => v.type === "IntegerValue";
const isFloat = (v: RV): v is RV & { value: number } => v.type === "FloatValue";
const isBool = (v: RV): v is RV & { value: boolean } => v.type === "BooleanValue";
const isNone = (v: RV): boolean => v.type === "NullValue";
const isUndefined = (v: RV): boolean => v.type === "UndefinedValue";
const isArray = (v: RV): v is RV & { value: RV[] } => v.type === "ArrayValue" || v.type === "TupleValue";
const isObject = (v: RV): v is RV & { value: Map<string | number, RV> } =>
  v.type === "ObjectValue" || v.type === "KeywordArgumentsValue";
const isNamespace = (v: RV): v is RV & { value: Map<string, RV> } => v.type === "NamespaceValue";
const isFunction = (v: RV): v is RV & { value: NativeFn } => v.type === "FunctionValue";
/** Python's bool is an int: True + 1 == 2, True == 1. */
const isNumeric = (v: RV): v is RV & { value: number | boolean } => isInteger(v) || isFloat(v) || isBool(v);
const numericValue = (v: RV & { value: number | boolean }): number => Number(v.value);

function splitKeywordArguments(args: RV[]): [RV[], Map<string, RV>] {
  const last = args.at(-1);
  if (last && last.type === "KeywordArgumentsValue") {
    return [args.slice(0, -1), new Map((last.value as Map<string, RV>).entries())];
  }
  return [args, new Map()];
}

/** A JS value (JSON-like data, functions) as a runtime value. */
function toRV(value: unknown): RV {
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

/** A runtime value as plain JS data. */
function toJS(value: RV): unknown {
  if (isArray(value)) return value.value.map(toJS);
  if (isObject(value) || isNamespace(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.value) out[String(k)] = toJS(v);
    return out;
  }
  if (isUndefined(value)) return undefined;
  return value.value;
}

// ---------------------------------------------------------------------------
// Python str()/repr() and json.dumps

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

function pyRepr(value: RV): string {
  if (isString(value)) return pyStringRepr(value.value);
  if (isUndefined(value)) return "";
  return pyStr(value);
}

/** Python's str() of a value, which is what `{{ value }}` prints. */
function pyStr(value: RV): string {
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

interface JsonOptions {
  indent: number | string | null;
  ensureAscii: boolean;
  separators: [string, string] | null;
  sortKeys: boolean;
}
const DEFAULT_JSON: JsonOptions = { indent: null, ensureAscii: false, separators: null, sortKeys: false };

/** Python's json.dumps as transformers' `tojson` calls it (ensure_ascii=False by default). */
function pyJson(value: RV, options: JsonOptions, depth = 0): string {
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

// ---------------------------------------------------------------------------
// Python comparisons

function pyEquals(a: RV, b: RV): boolean {
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
function pyCompare(a: RV, b: RV, caseSensitive = true): number {
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

function pyContains(container: RV, item: RV): boolean {
  if (isArray(container)) return container.value.some((x) => pyEquals(x, item));
  if (isString(container)) {
    if (!isString(item)) throw new Error(`'in <string>' requires string as left operand, not ${item.type}`);
    return container.value.includes(item.value);
  }
  if (isObject(container)) return mapGet(container.value, item) !== undefined;
  if (isUndefined(container)) return false;
  throw new Error(`argument of type ${container.type} is not iterable`);
}

function mapGet(map: Map<string | number, RV>, key: RV): RV | undefined {
  if (isString(key)) return map.get(key.value);
  if (isNumeric(key)) return map.get(numericValue(key)) ?? map.get(String(numericValue(key)));
  return undefined;
}

/** Jinja's getattr/getitem for filters: dicts by key, lists by integer index; missing → undefined. */
function getAttribute(value: RV, attribute: string): RV {
  let current = value;
  for (const part of attribute.split(".")) {
    if (isObject(current)) current = current.value.get(part) ?? (/^\d+$/.test(part) ? current.value.get(Number(part)) : undefined) ?? UNDEFINED;
    else if (isNamespace(current)) current = current.value.get(part) ?? UNDEFINED;
    else if (isArray(current) && /^-?\d+$/.test(part)) current = current.value.at(Number(part)) ?? UNDEFINED;
    else return UNDEFINED;
  }
  return current;
}

function iterate(value: RV): RV[] {
  if (isArray(value)) return value.value;
  if (isString(value)) return Array.from(value.value, (c) => str(c));
  if (isObject(value)) return [...value.value.keys()].map((k) => (typeof k === "number" ? num(k) : str(k)));
  if (isUndefined(value)) return [];
  throw new Error(`'${value.type}' object is not iterable`);
}

// ---------------------------------------------------------------------------
// Tests (`x is name`), with jinja2's semantics

type TestFn = (value: RV, args: RV[]) => boolean;
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
  eq: (v, [o]) => pyEquals(v, o ?? UNDEFINED),
  ne: (v, [o]) => !pyEquals(v, o ?? UNDEFINED),
  lt: (v, [o]) => pyCompare(v, o ?? UNDEFINED) < 0,
  le: (v, [o]) => pyCompare(v, o ?? UNDEFINED) <= 0,
  gt: (v, [o]) => pyCompare(v, o ?? UNDEFINED) > 0,
  ge: (v, [o]) => pyCompare(v, o ?? UNDEFINED) >= 0,
  in: (v, [o]) => pyContains(o ?? UNDEFINED, v),
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

function runTest(name: string, value: RV, args: RV[]): boolean {
  const test = TESTS[name];
  if (!test) throw new Error(`No test named '${name}'`);
  return test(value, args);
}

// ---------------------------------------------------------------------------
// Filters, with jinja2's semantics (plus `from_json`, which llama.cpp's minja has)

type FilterFn = (this: PythonicInterpreter, value: RV, args: RV[], kwargs: Map<string, RV>, env: Environment) => RV;

function arg(args: RV[], kwargs: Map<string, RV>, index: number, name: string): RV | undefined {
  return args[index] ?? kwargs.get(name);
}
function stringArg(args: RV[], kwargs: Map<string, RV>, index: number, name: string): string | undefined {
  const value = arg(args, kwargs, index, name);
  return value === undefined || isNone(value) || isUndefined(value) ? undefined : pyStr(value);
}
function boolArg(args: RV[], kwargs: Map<string, RV>, index: number, name: string, fallback: boolean): boolean {
  const value = arg(args, kwargs, index, name);
  return value === undefined ? fallback : value.__bool__().value;
}

const PY_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
function pyStrip(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = chars ?? PY_WHITESPACE;
  const cps = Array.from(s);
  let start = 0;
  let end = cps.length;
  if (left) while (start < end && set.includes(cps[start])) start++;
  if (right) while (end > start && set.includes(cps[end - 1])) end--;
  return cps.slice(start, end).join("");
}

function splitLines(s: string): string[] {
  const lines = s.split(/\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function pyTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/)
    .filter((item) => item.length > 0)
    .map((item) => item.charAt(0).toUpperCase() + item.slice(1).toLowerCase())
    .join("");
}

function pyCapitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

function pyInt(value: RV, fallback: RV): RV {
  if (isInteger(value)) return value;
  if (isNumeric(value)) return new IntegerValue(Math.trunc(numericValue(value)));
  if (isString(value)) {
    const text = value.value.trim().replace(/_/g, "");
    if (/^[+-]?\d+$/.test(text)) return new IntegerValue(Number.parseInt(text, 10));
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return new IntegerValue(Math.trunc(Number.parseFloat(text)));
  }
  return fallback;
}

function pyFloatOf(value: RV, fallback: RV): RV {
  if (isNumeric(value)) return new FloatValue(numericValue(value));
  if (isString(value)) {
    const text = value.value.trim();
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return new FloatValue(Number.parseFloat(text));
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

function selectOrReject(this: PythonicInterpreter, value: RV, args: RV[], select: boolean, attribute: string | null): RV {
  if (!value.__bool__().value) return new ArrayValue([]); // jinja: `if value: for item in value: ...`
  const get = attribute === null ? (item: RV) => item : (item: RV) => getAttribute(item, attribute);
  const [testName, ...testArgs] = args;
  const predicate = testName === undefined ? (v: RV) => v.__bool__().value : (v: RV) => runTest(pyStr(testName), v, testArgs);
  return new ArrayValue(iterate(value).filter((item) => predicate(get(item)) === select));
}

const FILTERS: Record<string, FilterFn> = {
  abs: (v) => (isNumeric(v) ? num(Math.abs(numericValue(v)), isFloat(v)) : fail(`bad operand type for abs(): ${v.type}`)),
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
    const pairs = [...v.value].map(([k, item]) => [typeof k === "number" ? num(k) : str(k), item]);
    pairs.sort((a, b) => (reverse ? -1 : 1) * pyCompare(a[position], b[position], caseSensitive));
    return new ArrayValue(pairs.map((pair) => new TupleValue(pair)));
  },
  escape: (v) =>
    str(pyStr(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;")),
  first: (v) => iterate(v)[0] ?? UNDEFINED,
  float: (v, args, kwargs) => pyFloatOf(v, arg(args, kwargs, 0, "default") ?? new FloatValue(0)),
  from_json: (v) => toRV(JSON.parse(pyStr(v))),
  indent(v, args, kwargs) {
    const width = arg(args, kwargs, 0, "width") ?? new IntegerValue(4);
    const indentation = isString(width) ? width.value : " ".repeat(numericValue(width as RV & { value: number }));
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
    return new ArrayValue([...v.value].map(([k, item]) => new TupleValue([typeof k === "number" ? num(k) : str(k), item])));
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
  reject(v, args) {
    return selectOrReject.call(this, v, args, false, null);
  },
  rejectattr(v, args) {
    return selectOrReject.call(this, v, args.slice(1), false, pyStr(args[0] ?? UNDEFINED));
  },
  reverse: (v) => (isString(v) ? str(Array.from(v.value).reverse().join("")) : new ArrayValue([...iterate(v)].reverse())),
  round: (v, args, kwargs) => {
    const precision = numericValue((arg(args, kwargs, 0, "precision") ?? new IntegerValue(0)) as RV & { value: number });
    const method = stringArg(args, kwargs, 1, "method") ?? "common";
    const factor = 10 ** precision;
    const x = numericValue(v as RV & { value: number }) * factor;
    // Python's round() rounds halves to even.
    const halfEven = Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
    const rounded = method === "ceil" ? Math.ceil(x) : method === "floor" ? Math.floor(x) : halfEven;
    return new FloatValue(rounded / factor);
  },
  safe: (v) => v,
  select(v, args) {
    return selectOrReject.call(this, v, args, true, null);
  },
  selectattr(v, args) {
    return selectOrReject.call(this, v, args.slice(1), true, pyStr(args[0] ?? UNDEFINED));
  },
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
    let total = numericValue(start as RV & { value: number });
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
        indent: indent === undefined || isNone(indent) ? null : isString(indent) ? indent.value : numericValue(indent as RV & { value: number }),
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

function fail(message: string): never {
  throw new Error(message);
}

// ---------------------------------------------------------------------------
// Methods on values (`s.strip('\n')`, `list.append(x)`, `'{}'.format(x)`, ...)

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
      const index = numericValue((args[0] ?? new IntegerValue(0)) as RV & { value: number });
      list.value.splice(index < 0 ? Math.max(0, list.value.length + index) : index, 0, args[1] ?? NONE);
      touched();
      return NONE;
    }
    case "pop": {
      if (list.value.length === 0) throw new Error("pop from empty list");
      const raw = args[0] === undefined ? -1 : numericValue(args[0] as RV & { value: number });
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
  const keyOf = (k: string | number): RV => (typeof k === "number" ? num(k) : str(k));
  switch (name) {
    case "get":
      return (args[0] !== undefined ? mapGet(map, args[0]) : undefined) ?? args[1] ?? NONE;
    case "items":
      return new ArrayValue([...map].map(([k, v]) => new TupleValue([keyOf(k), v])));
    case "keys":
      return new ArrayValue([...map.keys()].map(keyOf));
    case "values":
      return new ArrayValue([...map.values()]);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------
// The interpreter: the library's, with Python's semantics where they differ.

interface Node {
  type: string;
  [field: string]: unknown;
}
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

interface LibraryPrivates {
  applyFilter(operand: RV, filter: Node, env: Environment): RV;
}
const libraryPrivates = Interpreter.prototype as unknown as LibraryPrivates;

class PythonicInterpreter extends Interpreter {
  constructor(env: Environment) {
    super(env);
    // The library's block evaluation (bodies of the template, if, for and
    // macros) prints values with JS semantics; print them as Python's str().
    (this as unknown as { evaluateBlock: (statements: Node[], env: Environment) => RV }).evaluateBlock = (
      statements,
      scope,
    ) => this.block(statements, scope);
  }

  private evalNode(node: Node | undefined, env: Environment): RV {
    return this.evaluate(node, env);
  }

  private library(node: Node, env: Environment): RV {
    return super.evaluate(node, env);
  }

  private block(statements: Node[], env: Environment): RV {
    let out = "";
    for (const statement of statements) {
      const value = this.evalNode(statement, env);
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
        const operand = this.evalNode(node.operand as Node, env);
        return this.applyFilterNode(operand, node.filter as Node, env);
      }
      case "FilterStatement":
        return this.applyFilterNode(this.block(node.body as Node[], env), node.filter as Node, env);
      case "TestExpression": {
        const operand = this.evalNode(node.operand as Node, env);
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
          const key = this.evalNode(keyNode, env);
          if (isString(key)) map.set(key.value, this.evalNode(valueNodeOf, env));
          else if (isNumeric(key)) map.set(numericValue(key), this.evalNode(valueNodeOf, env));
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
        kwargs.set((argNode.key as IdentifierNode).value, this.evalNode(argNode.value as Node, env));
      } else if (argNode.type === "SpreadExpression") {
        args.push(...iterate(this.evalNode(argNode.argument as Node, env)));
      } else if (argNode.type === "KeywordSpreadExpression") {
        const spread = this.evalNode(argNode.argument as Node, env);
        if (!isObject(spread)) throw new Error("argument after ** must be a mapping");
        for (const [k, v] of spread.value) kwargs.set(String(k), v);
      } else {
        args.push(this.evalNode(argNode, env));
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
    const argNodes: Node[] = [
      ...args.map(valueNode),
      ...[...kwargs].map(([key, value]) => ({ type: "KeywordArgumentExpression", key: { type: "Identifier", value: key }, value: valueNode(value) })),
    ];
    const node = argNodes.length > 0 ? { type: "CallExpression", callee: identifier, args: argNodes } : identifier;
    return libraryPrivates.applyFilter.call(this, operand, node, env);
  }

  private binary(node: Node, env: Environment): RV {
    const operator = (node.operator as { value: string }).value;
    if (operator === "and" || operator === "or") return this.library(node, env);
    const left = this.evalNode(node.left as Node, env);
    const right = this.evalNode(node.right as Node, env);
    switch (operator) {
      case "~":
        return str(pyStr(left) + pyStr(right));
      case "==":
        return bool(pyEquals(left, right));
      case "!=":
        return bool(!pyEquals(left, right));
      case "in":
        return bool(pyContains(right, left));
      case "not in":
        return bool(!pyContains(right, left));
      case "<":
        return bool(pyCompare(left, right) < 0);
      case "<=":
        return bool(pyCompare(left, right) <= 0);
      case ">":
        return bool(pyCompare(left, right) > 0);
      case ">=":
        return bool(pyCompare(left, right) >= 0);
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
    const object = this.evalNode(callee.object as Node, env);
    const name = (callee.property as IdentifierNode).value;
    const [args, kwargs] = this.evalArgs(node.args, env);
    let result: RV | undefined;
    if (isString(object)) result = stringMethod(object.value, name, args, kwargs);
    else if (isArray(object)) result = listMethod(object, name, args);
    else if (isObject(object)) result = objectMethod(object.value, name, args);
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
      args: [...kwargs].map(([key, value]) => ({ type: "KeywordArgumentExpression", key: { type: "Identifier", value: key }, value: valueNode(value) })),
    };
    return this.library(capture, new Environment());
  }

  private member(node: Node, env: Environment): RV {
    const property = node.property as Node;
    if (node.computed && property.type === "SliceExpression") return this.library(node, env);
    const object = this.evalNode(node.object as Node, env);
    const key = node.computed ? this.evalNode(property, env) : property.type === "Identifier" ? str((property as IdentifierNode).value) : this.evalNode(property, env);
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
    let value = this.evalNode(source, env);
    if (isUndefined(value) || isString(value) || isObject(value)) value = new ArrayValue(iterate(value));
    // The library unpacks `for a, b in ...` from lists only, not tuples.
    if (isArray(value) && value.value.some((item) => item.type === "TupleValue")) {
      value = new ArrayValue(value.value.map((item) => (item.type === "TupleValue" ? new ArrayValue(item.value as RV[]) : item)));
    }
    const replaced = iterable.type === "SelectExpression" ? { ...iterable, lhs: valueNode(value) } : valueNode(value);
    return this.library({ ...node, iterable: replaced }, env);
  }
}

// ---------------------------------------------------------------------------
// Globals

function pyRange(args: RV[]): RV {
  const n = args.map((a) => numericValue(a as RV & { value: number }));
  const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
  if (step === 0) throw new Error("range() arg 3 must not be zero");
  const out: RV[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(new IntegerValue(i));
  return new ArrayValue(out);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Python's datetime.strftime in the C locale (plus glibc's `%-d` no-padding flag). */
function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)([a-zA-Z%])/g, (match, noPad: string, code: string) => {
    const pad = (n: number, width = 2, fill = "0"): string => (noPad ? String(n) : String(n).padStart(width, fill));
    const hours12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    const startOfYear = new Date(date.getFullYear(), 0, 1);
    const dayOfYear = Math.round((new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime() - startOfYear.getTime()) / 86_400_000) + 1;
    switch (code) {
      case "a":
        return DAYS[date.getDay()].slice(0, 3);
      case "A":
        return DAYS[date.getDay()];
      case "b":
      case "h":
        return MONTHS[date.getMonth()].slice(0, 3);
      case "B":
        return MONTHS[date.getMonth()];
      case "d":
        return pad(date.getDate());
      case "e":
        return pad(date.getDate(), 2, " ");
      case "H":
        return pad(date.getHours());
      case "I":
        return pad(hours12);
      case "j":
        return pad(dayOfYear, 3);
      case "m":
        return pad(date.getMonth() + 1);
      case "M":
        return pad(date.getMinutes());
      case "p":
        return date.getHours() < 12 ? "AM" : "PM";
      case "S":
        return pad(date.getSeconds());
      case "f":
        return String(date.getMilliseconds() * 1000).padStart(6, "0");
      case "w":
        return String(date.getDay());
      case "y":
        return pad(date.getFullYear() % 100);
      case "Y":
        return String(date.getFullYear());
      case "F":
        return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
      case "D":
        return `${String(date.getMonth() + 1).padStart(2, "0")}/${String(date.getDate()).padStart(2, "0")}/${String(date.getFullYear() % 100).padStart(2, "0")}`;
      case "T":
        return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}:${String(date.getSeconds()).padStart(2, "0")}`;
      case "c":
        return `${DAYS[date.getDay()].slice(0, 3)} ${MONTHS[date.getMonth()].slice(0, 3)} ${String(date.getDate()).padStart(2, " ")} ${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}:${String(date.getSeconds()).padStart(2, "0")} ${date.getFullYear()}`;
      case "Z":
      case "z":
        return "";
      case "%":
        return "%";
      default:
        return match;
    }
  });
}
