/**
 * GET /openapi.json and GET /docs, black-box: open even when the server has an
 * API key (as vLLM), served under --root-path too, and describing the routes
 * this very server answers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { useServer, type TestServer } from "./server-harness.js";

const apiKey = "docs-secret";
let server: TestServer;

useServer({ apiKey, args: ["--api-key", apiKey, "--root-path", "/llm"] }, (served) => ({ server } = served));

interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, { security: unknown[] }>>;
  components: { schemas: Record<string, unknown> };
}

async function getDocument(path: string): Promise<OpenApiDocument> {
  const response = await fetch(`${server.url}${path}`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return (await response.json()) as OpenApiDocument;
}

test("/openapi.json is open, OpenAPI 3.1, and the same under the root path", async () => {
  const document = await getDocument("/openapi.json");
  assert.equal(document.openapi, "3.1.0");
  assert.deepEqual(document.servers, [{ url: "/llm" }]);
  const version = (await (await fetch(`${server.url}/version`)).json()) as { version: string };
  assert.equal(document.info.version, version.version);
  assert.deepEqual(await getDocument("/llm/openapi.json"), document);
  for (const schema of ["ChatCompletionRequest", "CompletionRequest", "TokenizeCompletionRequest", "DetokenizeRequest", "ErrorResponse"]) {
    assert.ok(document.components.schemas[schema], schema);
  }
});

test("what the document says about the API key is what the server does", async () => {
  const document = await getDocument("/openapi.json");
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const response = await fetch(`${server.url}${path}`, { method: method.toUpperCase(), headers: { "Content-Type": "application/json" }, body: method === "post" ? "{}" : undefined });
      await response.body?.cancel();
      const needsKey = operation.security.length > 0;
      assert.equal(response.status === 401, needsKey, `${method} ${path} answered ${response.status}`);
    }
  }
});

test("/docs is a self-contained HTML page with every route and curls against this server", async () => {
  const response = await fetch(`${server.url}/llm/docs`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
  const page = await response.text();
  const document = await getDocument("/openapi.json");
  for (const path of Object.keys(document.paths)) assert.ok(page.includes(`<code>${path}</code>`), path);
  assert.ok(page.includes(`curl -X POST ${server.url}/llm/v1/chat/completions`), "the example curl targets this server under the root path");
  assert.match(page, /href="\/llm\/openapi\.json"/);
  assert.doesNotMatch(page, /<script|<link|src=/i);
  const bare = await fetch(`${server.url}/docs`);
  assert.equal(bare.status, 200);
  await bare.body?.cancel();
});
