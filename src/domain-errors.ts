/**
 * Failures below protocol/ (runner, engine, models) in their own terms: what
 * went wrong, not which HTTP status answers it. `asApiError` (errors.ts) is
 * the one place that turns each into an API error; domain-errors.test.ts is
 * the catalogue of what each becomes.
 */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Under a grammar (structured output, tool call), no token can come next:
 * every token it accepts here is banned (bad_words), or the model drew an end
 * of generation the grammar does not allow yet. The request's own constraints
 * contradict each other.
 */
export class GrammarDeadEnd extends DomainError {
  constructor() {
    super("No token can continue the output: every token the structured-output or tool-call grammar accepts here is banned (bad_words).");
  }
}

/** llama.cpp cannot parse a grammar: a syntax error, an undefined rule, left recursion or no 'root' rule. */
export class InvalidGrammar extends DomainError {
  constructor() {
    super("The grammar is not valid GBNF for llama.cpp (syntax error, undefined rule, left recursion or no 'root' rule).");
  }
}
