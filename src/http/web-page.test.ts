import assert from "node:assert/strict";
import { test } from "node:test";
import { baseHrefOf, chooseEncoding } from "./web-page.js";

test("the best accepted encoding we have: br, then gzip, honouring q=0 and *", () => {
  const both = ["identity", "gzip", "br"];
  assert.equal(chooseEncoding("gzip, deflate, br", both), "br");
  assert.equal(chooseEncoding("gzip", both), "gzip");
  assert.equal(chooseEncoding("br;q=0, gzip;q=0.5", both), "gzip");
  assert.equal(chooseEncoding("*", both), "br");
  assert.equal(chooseEncoding("*, br;q=0", both), "gzip");
  assert.equal(chooseEncoding(undefined, both), "identity");
  assert.equal(chooseEncoding("br", ["identity", "gzip"]), "identity");
});

test("the page's base is the root path when it was asked for under it", () => {
  assert.equal(baseHrefOf("/", ""), "/");
  assert.equal(baseHrefOf("/llm/", "/llm"), "/llm/");
  assert.equal(baseHrefOf("/llm", "/llm"), "/llm/");
  assert.equal(baseHrefOf("/llm/dashboard?x=1", "/llm"), "/llm/");
  assert.equal(baseHrefOf("/dashboard", "/llm"), "/");
  assert.equal(baseHrefOf("/llmx/", "/llm"), "/");
});
