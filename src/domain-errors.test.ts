import assert from "node:assert/strict";
import { test } from "node:test";
import * as domainErrors from "./domain-errors.js";
import { asApiError, isExpectedError, type ErrorType } from "./errors.js";

// The catalogue of domain errors (thrown below protocol/): what each becomes on
// the wire. A new one must be added here, and mapped in errors.ts.
const catalogue: Array<[domainErrors.DomainError, number, ErrorType, string | null, string | null]> = [
  [new domainErrors.GrammarDeadEnd(), 400, "invalid_request_error", null, null],
  [new domainErrors.InvalidGrammar(), 400, "invalid_request_error", null, "grammar"],
  [new domainErrors.ShuttingDown(), 503, "server_error", "service_unavailable", null],
  [new domainErrors.QueueFull("requests"), 503, "server_error", "service_unavailable", null],
  [new domainErrors.NoRoomForModel("b", ["a"]), 503, "server_error", "service_unavailable", null],
  [new domainErrors.EngineDead(), 503, "server_error", "engine_dead", null],
  [new domainErrors.EngineFault(), 500, "server_error", "internal_error", null],
  [new domainErrors.DuplicateRequestId("r"), 500, "server_error", "internal_error", null],
];

test("every domain error is in the catalogue and answered with its status", () => {
  const exported = Object.values(domainErrors).filter(
    (value) => typeof value === "function" && value.prototype instanceof domainErrors.DomainError,
  );
  assert.deepEqual(
    new Set(exported.map((kind) => (kind as { name: string }).name)),
    new Set(catalogue.map(([error]) => error.constructor.name)),
  );
  for (const [error, status, type, code, param] of catalogue) {
    const answer = asApiError(error);
    assert.equal(answer.status, status, error.name);
    assert.equal(answer.type, type, error.name);
    assert.equal(answer.code, code, error.name);
    assert.equal(answer.param, param, error.name);
    assert.equal(answer.message, error.message, error.name);
    assert.ok(isExpectedError(error), error.name);
  }
});

test("an unknown error is a bug: not expected, answered 500", () => {
  assert.equal(isExpectedError(new TypeError("x")), false);
  assert.equal(asApiError(new TypeError("x")).status, 500);
});
