import assert from "node:assert/strict";
import { test } from "node:test";
import { headerSafe, routePath } from "./server.js";

test("routePath drops the query and trailing slashes", () => {
  assert.equal(routePath("/v1/models?x=1", ""), "/v1/models");
  assert.equal(routePath("/v1/models/", ""), "/v1/models");
  assert.equal(routePath("/", ""), "/");
  assert.equal(routePath(undefined, ""), "/");
});

test("routePath strips --root-path when the path starts with it, and serves the bare routes too", () => {
  assert.equal(routePath("/llm/v1/models", "/llm"), "/v1/models");
  assert.equal(routePath("/llm/health?x", "/llm"), "/health");
  assert.equal(routePath("/llm", "/llm"), "/");
  assert.equal(routePath("/v1/models", "/llm"), "/v1/models");
  assert.equal(routePath("/llmx/v1/models", "/llm"), "/llmx/v1/models", "only a whole path segment is a prefix");
  assert.equal(routePath("/a/b/tokenize", "/a/b"), "/tokenize");
});

test("routePath never throws: a target URL parsing refuses is read as a path", () => {
  assert.equal(routePath("//", ""), "/");
  assert.equal(routePath("//[::", ""), "/[::");
  assert.equal(routePath("/llm//", "/llm"), "/");
});

test("headerSafe keeps printable ASCII and percent-encodes what a header cannot carry", () => {
  assert.equal(headerSafe("run-42 a/b:c"), "run-42 a/b:c");
  assert.equal(headerSafe("\u0000x"), "%00x");
  assert.equal(headerSafe("é😀"), "%C3%A9%F0%9F%98%80");
  assert.equal(headerSafe("a\ud800b"), "a%EF%BF%BDb");
});
