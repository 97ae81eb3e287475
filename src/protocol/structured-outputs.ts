/**
 * Structured-output request fields -> one GBNF grammar for the sampler:
 * OpenAI's `response_format` (json_object, json_schema), vLLM's
 * `structured_outputs` {json, regex, choice, grammar, json_object} and its
 * older `guided_json` / `guided_regex` / `guided_choice` / `guided_grammar`.
 * At most one constraint per request; anything the compilers cannot enforce
 * is a 400 naming the field.
 */
import { InvalidRequestError, UnsupportedParameterError, withParamPrefix } from "../errors.js";
import { checkGbnf, GbnfSyntaxError } from "../structured/gbnf-check.js";
import { gbnfLiteral } from "../structured/gbnf.js";
import { jsonSchemaToGbnf } from "../structured/json-schema-to-gbnf.js";
import { regexToGbnf } from "../structured/regex-to-gbnf.js";

const anyJsonObjectSchema = { type: "object", additionalProperties: true };

type Constraint =
  | { kind: "json"; schema: unknown; param: string }
  | { kind: "regex"; pattern: unknown; param: string }
  | { kind: "choice"; choices: unknown; param: string }
  | { kind: "grammar"; grammar: unknown; param: string };

/** The grammar the request's output must follow, or null when it asks for none. */
export function toStructuredOutputGrammar(request: object): string | null {
  const body = request as Record<string, unknown>;
  const constraints = collectConstraints(body);
  if (constraints.length > 1) {
    throw new InvalidRequestError(
      `Only one structured-output constraint is allowed per request, got ${constraints.map((c) => `'${c.param}'`).join(" and ")}.`,
      { param: constraints[1].param },
    );
  }
  if (constraints.length === 0) return null;
  rejectBansUnderGrammar(body, constraints[0].param);
  try {
    return compile(constraints[0]);
  } catch (error) {
    // Absurdly deep schemas or regexes exhaust the compilers' recursion: the client's problem, not a 500.
    if (error instanceof RangeError) throw new InvalidRequestError(`'${constraints[0].param}' is nested too deeply.`, { param: constraints[0].param });
    throw error;
  }
}

/**
 * Token bans a grammar cannot live with, a 400 naming the ban: a grammar that
 * has ended allows only EOS, which `min_tokens` masks; `allowed_token_ids`
 * can exclude every token the grammar accepts. Either leaves llama.cpp
 * nothing to sample.
 */
export function rejectBansUnderGrammar(request: object, constraintParam: string): void {
  const body = request as Record<string, unknown>;
  if (typeof body.min_tokens === "number" && body.min_tokens > 0) {
    throw new UnsupportedParameterError(`'min_tokens' cannot be combined with '${constraintParam}'.`, "min_tokens");
  }
  if (body.allowed_token_ids != null) {
    throw new UnsupportedParameterError(`'allowed_token_ids' cannot be combined with '${constraintParam}'.`, "allowed_token_ids");
  }
}

function collectConstraints(body: Record<string, unknown>): Constraint[] {
  const constraints: Constraint[] = [];
  const responseFormat = body.response_format;
  if (responseFormat != null) {
    if (!isRecord(responseFormat)) throw new InvalidRequestError("'response_format' must be an object.", { param: "response_format" });
    const { type } = responseFormat;
    if (type === "json_object") constraints.push({ kind: "json", schema: anyJsonObjectSchema, param: "response_format" });
    else if (type === "json_schema") {
      const jsonSchema = responseFormat.json_schema;
      if (!isRecord(jsonSchema) || jsonSchema.schema === undefined) {
        throw new InvalidRequestError("'response_format.json_schema.schema' is required for type 'json_schema'.", { param: "response_format.json_schema.schema" });
      }
      constraints.push({ kind: "json", schema: jsonSchema.schema, param: "response_format.json_schema.schema" });
    } else if (type !== "text") {
      throw new UnsupportedParameterError(`'response_format.type' ${JSON.stringify(type)} is not supported; use text, json_object or json_schema.`, "response_format.type");
    }
  }
  const structured = body.structured_outputs;
  if (structured != null) {
    if (!isRecord(structured)) throw new InvalidRequestError("'structured_outputs' must be an object.", { param: "structured_outputs" });
    addVllmConstraints(structured, "structured_outputs.", constraints);
    if (structured.json_object === true) constraints.push({ kind: "json", schema: anyJsonObjectSchema, param: "structured_outputs.json_object" });
    if (structured.structural_tag != null) throw new UnsupportedParameterError("'structured_outputs.structural_tag' is not supported.", "structured_outputs.structural_tag");
  }
  addVllmConstraints(body, "guided_", constraints);
  return constraints;
}

function addVllmConstraints(source: Record<string, unknown>, prefix: string, constraints: Constraint[]): void {
  const field = (name: string) => (prefix === "guided_" ? `guided_${name}` : `${prefix}${name}`);
  const value = (name: string) => source[prefix === "guided_" ? `guided_${name}` : name];
  if (value("json") != null) constraints.push({ kind: "json", schema: value("json"), param: field("json") });
  if (value("regex") != null) constraints.push({ kind: "regex", pattern: value("regex"), param: field("regex") });
  if (value("choice") != null) constraints.push({ kind: "choice", choices: value("choice"), param: field("choice") });
  if (value("grammar") != null) constraints.push({ kind: "grammar", grammar: value("grammar"), param: field("grammar") });
}

function compile(constraint: Constraint): string {
  switch (constraint.kind) {
    case "json":
    {
      const schema = parseSchema(constraint.schema, constraint.param);
      return underParam(constraint.param, () => jsonSchemaToGbnf(schema));
    }
    case "regex":
      if (typeof constraint.pattern !== "string") throw new InvalidRequestError(`'${constraint.param}' must be a string.`, { param: constraint.param });
      return regexToGbnf(constraint.pattern, constraint.param);
    case "choice": {
      const { choices, param } = constraint;
      if (!Array.isArray(choices) || choices.length === 0 || choices.some((choice) => typeof choice !== "string")) {
        throw new InvalidRequestError(`'${param}' must be a non-empty array of strings.`, { param });
      }
      return `root ::= ${[...new Set(choices as string[])].map(gbnfLiteral).join(" | ")}\n`;
    }
    case "grammar": {
      const { grammar, param } = constraint;
      if (typeof grammar !== "string") throw new InvalidRequestError(`'${param}' must be a string.`, { param });
      try {
        checkGbnf(grammar);
      } catch (error) {
        if (error instanceof GbnfSyntaxError) throw new InvalidRequestError(`Invalid GBNF grammar: ${error.message}.`, { param });
        throw error;
      }
      return grammar;
    }
  }
}

/** vLLM accepts the schema as an object or as JSON text. */
function parseSchema(schema: unknown, param: string): unknown {
  if (typeof schema !== "string") return schema;
  try {
    return JSON.parse(schema);
  } catch {
    throw new InvalidRequestError(`'${param}' is not valid JSON.`, { param });
  }
}

/** The compiler names paths inside the schema; the client needs them under the wire field. */
function underParam<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw withParamPrefix(error, prefix);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
