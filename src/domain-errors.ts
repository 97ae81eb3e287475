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

/** The engine (or the embedding batcher) is stopping: it takes nothing new. */
export class ShuttingDown extends DomainError {
  constructor() {
    super("The server is shutting down; retry on another instance.");
  }
}

/** More requests are waiting than --max-waiting-requests allows; `what` names the queue. */
export class QueueFull extends DomainError {
  constructor(what: "requests" | "embedding requests") {
    super(`Too many ${what} are waiting; retry shortly.`);
  }
}

/** A model must load, and every loaded model that could make room is busy with requests. */
export class NoRoomForModel extends DomainError {
  constructor(model: string, busy: readonly string[]) {
    super(`The model \`${model}\` is not loaded, and the loaded models (${busy.join(", ")}) are all busy with requests; retry shortly.`);
  }
}

/** The engine died of a fault it could not recover from and serves nothing more. */
export class EngineDead extends DomainError {
  constructor() {
    super("The inference engine failed and is no longer serving; retry on another instance.");
  }
}

/**
 * The engine failed this request for a fault of its own (a forward pass that
 * threw, a reset after a fault), already logged where it happened; the client
 * sees only a generic 500.
 */
export class EngineFault extends DomainError {
  constructor() {
    super("The server had an error while processing your request.");
  }
}

/** A request id the engine is already running (serving makes ids unique first, so this is a bug above the engine). */
export class DuplicateRequestId extends DomainError {
  constructor(requestId: string) {
    super(`duplicate request id ${requestId}`);
  }
}
