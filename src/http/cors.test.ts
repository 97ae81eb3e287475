import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError } from "../errors.js";
import { CorsPolicy, type CorsConfig } from "./cors.js";

const open: CorsConfig = { allowedOrigins: ["*"], allowedMethods: ["*"], allowedHeaders: ["*"], allowCredentials: false };
const strict: CorsConfig = { allowedOrigins: ["https://app.test"], allowedMethods: ["get", "POST"], allowedHeaders: ["Authorization"], allowCredentials: true };

const preflightHeaders = (origin: string, method: string, headers?: string) => ({
  origin,
  "access-control-request-method": method,
  ...(headers === undefined ? {} : { "access-control-request-headers": headers }),
});

test("a preflight is OPTIONS with Origin and Access-Control-Request-Method", () => {
  assert.equal(CorsPolicy.isPreflight("OPTIONS", preflightHeaders("https://a.test", "POST")), true);
  assert.equal(CorsPolicy.isPreflight("OPTIONS", { origin: "https://a.test" }), false);
  assert.equal(CorsPolicy.isPreflight("OPTIONS", { "access-control-request-method": "POST" }), false);
  assert.equal(CorsPolicy.isPreflight("POST", preflightHeaders("https://a.test", "POST")), false);
});

test("the defaults allow any origin, method and header, with '*' and the requested headers echoed", () => {
  const cors = new CorsPolicy(open);
  assert.deepEqual(cors.preflight(preflightHeaders("https://a.test", "POST", "authorization, content-type, x-request-id")), {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
    "Access-Control-Max-Age": "600",
    "Access-Control-Allow-Headers": "authorization, content-type, x-request-id",
  });
  assert.deepEqual(cors.responseHeaders({ origin: "https://a.test" }), { "Access-Control-Allow-Origin": "*" });
  assert.deepEqual(cors.responseHeaders({}), {}, "no Origin, no CORS headers");
});

test("listed origins, methods and headers: the origin is echoed with Vary and credentials", () => {
  const cors = new CorsPolicy(strict);
  assert.deepEqual(cors.preflight(preflightHeaders("https://app.test", "GET", "Authorization, Content-Type")), {
    "Access-Control-Allow-Origin": "https://app.test",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Max-Age": "600",
    "Access-Control-Allow-Headers": "accept, accept-language, authorization, content-language, content-type",
    "Access-Control-Allow-Credentials": "true",
    Vary: "Origin",
  });
  assert.deepEqual(cors.responseHeaders({ origin: "https://app.test" }), {
    "Access-Control-Allow-Origin": "https://app.test",
    Vary: "Origin",
    "Access-Control-Allow-Credentials": "true",
  });
  assert.deepEqual(cors.responseHeaders({ origin: "https://evil.test" }), {}, "an origin not allowed gets no CORS headers");
});

test("credentials with any origin echo the origin: browsers refuse '*' with credentials", () => {
  const cors = new CorsPolicy({ ...open, allowCredentials: true });
  assert.equal(cors.preflight(preflightHeaders("https://a.test", "POST"))["Access-Control-Allow-Origin"], "https://a.test");
  assert.equal(cors.responseHeaders({ origin: "https://a.test" })["Access-Control-Allow-Origin"], "https://a.test");
});

test("a preflight asking for what is not allowed is a 400 naming every failure", () => {
  const cors = new CorsPolicy(strict);
  const cases: Array<[Record<string, string>, string]> = [
    [preflightHeaders("https://evil.test", "POST"), "Disallowed CORS origin."],
    [preflightHeaders("https://app.test", "DELETE"), "Disallowed CORS method."],
    [preflightHeaders("https://app.test", "POST", "authorization, x-secret"), "Disallowed CORS headers."],
    [preflightHeaders("https://evil.test", "PUT", "x-secret"), "Disallowed CORS origin, method, headers."],
  ];
  for (const [headers, message] of cases) {
    assert.throws(() => cors.preflight(headers), (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.code, "cors_disallowed");
      assert.equal(error.message, message);
      return true;
    });
  }
});
