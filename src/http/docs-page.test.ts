import assert from "node:assert/strict";
import { test } from "node:test";
import { apiRoutes, openApiDocument } from "../protocol/openapi.js";
import { constraintsOf, renderDocsPage, typeOf } from "./docs-page.js";

const document = openApiDocument({ version: "9.9.9", rootPath: "/llm" });
const page = renderDocsPage(document, { baseUrl: "http://example.test:8000/llm", documentPath: "/llm/openapi.json" });

test("the page lists every route of the document with its auth, and links the JSON document", () => {
  for (const route of apiRoutes) assert.ok(page.includes(`<code>${route.method.toUpperCase()} ${route.path}</code>`), route.path);
  assert.match(page, /<title>pagoda 9\.9\.9 API<\/title>/);
  assert.match(page, /href="\/llm\/openapi\.json"/);
  assert.match(page, /Open: no API key\./);
  assert.match(page, /Needs the API key/);
});

test("request fields show type, constraints and description; nested message fields too", () => {
  const row = (field: string) => new RegExp(`<tr><td><code>${field.replace(/[[\]]/g, "\\$&")}</code>(.*?)</tr>`).exec(page)?.[1] ?? "";
  assert.match(row("messages"), /required/);
  assert.match(row("messages"), /at least 1 item/);
  assert.match(row("messages[].role"), /string/);
  assert.match(row("temperature"), /number \| null<\/td><td>&gt;= 0<\/td><td>Sampling temperature/);
  assert.match(row("top_p"), /&gt; 0, &lt;= 1/);
  assert.match(row("stop"), /string \| array of string \| null/);
  assert.doesNotMatch(page, /9007199254740991/, "zod's safe-integer bounds are noise");
});

test("each route has an example curl against the base URL, with the key only where needed", () => {
  assert.match(page, /curl -X POST http:\/\/example\.test:8000\/llm\/v1\/chat\/completions \\\n  -H &quot;Authorization: Bearer \$PAGODA_API_KEY&quot;/);
  assert.match(page, /curl -X POST http:\/\/example\.test:8000\/llm\/tokenize \\\n  -H &quot;Content-Type/);
  assert.match(page, /-d &#39;\{&quot;messages&quot;:\[\{&quot;role&quot;/);
  assert.match(page, /curl http:\/\/example\.test:8000\/llm\/health/);
  assert.match(page, /ending with <code>data: \[DONE\]<\/code>/, "Markdown code spans become <code>");
});

test("the page is self-contained and escapes what it is given", () => {
  assert.doesNotMatch(page, /<script|<link|@import|src=/i);
  const hostile = renderDocsPage(document, { baseUrl: 'http://<img src=x onerror="alert(1)">', documentPath: "/openapi.json" });
  assert.doesNotMatch(hostile, /<img/);
  assert.match(hostile, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
});

test("typeOf and constraintsOf read JSON Schema unions, arrays, consts and maps", () => {
  assert.equal(typeOf({ anyOf: [{ type: "integer" }, { type: "null" }] }), "integer | null");
  assert.equal(typeOf({ type: "array", items: { type: "array", items: { type: "integer" } } }), "array of array of integer");
  assert.equal(typeOf({ const: "text" }), '"text"');
  assert.equal(typeOf({ type: "object", propertyNames: { type: "string" }, additionalProperties: {} }), "map");
  assert.equal(typeOf({}), "any");
  assert.deepEqual(constraintsOf({ type: "array", items: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, minItems: 1 }), ["at least 1 item(s)", "each >= 0"]);
});
