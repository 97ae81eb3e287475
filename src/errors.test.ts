import assert from "node:assert/strict";
import { test } from "node:test";
import * as errors from "./errors.js";

// The catalogue: every ApiError subclass, its status, type and code. A new
// subclass must be added here, so the wire contract stays written down.
const catalogue: Array<[errors.ApiError, number, errors.ErrorType, string | null]> = [
  [new errors.InvalidRequestError("x"), 400, "invalid_request_error", null],
  [new errors.ContextLengthExceededError("x"), 400, "invalid_request_error", "context_length_exceeded"],
  [new errors.UnsupportedParameterError("x", "tools"), 400, "invalid_request_error", "unsupported_parameter"],
  [new errors.AuthenticationError(), 401, "authentication_error", "invalid_api_key"],
  [new errors.ModelNotFoundError("gpt-4", ["tiny"]), 404, "not_found_error", "model_not_found"],
  [new errors.RouteNotFoundError("GET", "/x"), 404, "not_found_error", "unknown_url"],
  [new errors.ResponseNotFoundError("x"), 404, "not_found_error", "response_not_found"],
  [new errors.LoraAdapterNotFoundError("x", "lora_name"), 404, "not_found_error", "lora_adapter_not_found"],
  [new errors.MethodNotAllowedError("GET", "/x", "POST"), 405, "invalid_request_error", "method_not_allowed"],
  [new errors.PayloadTooLargeError(10), 413, "invalid_request_error", "payload_too_large"],
  [new errors.ServiceUnavailableError("x"), 503, "server_error", "service_unavailable"],
  [new errors.EngineDeadError(), 503, "server_error", "engine_dead"],
  [new errors.InternalServerError(), 500, "server_error", "internal_error"],
];

test("every ApiError subclass is in the catalogue with its status, type and code", () => {
  const exported = Object.values(errors).filter(
    (value) => typeof value === "function" && value.prototype instanceof errors.ApiError,
  );
  assert.deepEqual(
    new Set(exported.map((cls) => (cls as { name: string }).name)),
    new Set(catalogue.map(([error]) => error.constructor.name)),
  );
  for (const [error, status, type, code] of catalogue) {
    assert.equal(error.status, status, error.name);
    assert.equal(error.type, type, error.name);
    assert.equal(error.code, code, error.name);
    assert.deepEqual(Object.keys(error.toBody().error), ["message", "type", "param", "code"]);
  }
});

test("the model-not-found message is the one vLLM users know", () => {
  const error = new errors.ModelNotFoundError("gpt-4", ["tiny"]);
  assert.match(error.message, /^The model `gpt-4` does not exist\./);
  assert.equal(error.param, "model");
});

test("unknown errors become a generic 500, never a 400", () => {
  const error = errors.asApiError(new TypeError("secret detail"));
  assert.equal(error.status, 500);
  assert.doesNotMatch(error.message, /secret/);
});

test("an unknown route's message names it", () => {
  assert.equal(new errors.RouteNotFoundError("GET", "/v1/nope").message, "Unknown route: GET /v1/nope");
});
