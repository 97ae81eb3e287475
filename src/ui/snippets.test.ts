import assert from "node:assert/strict";
import { test } from "node:test";
import { curlSnippet, pythonSnippet, pythonValue, typescriptSnippet } from "./snippets.js";

const body = { model: "tiny", messages: [{ role: "user", content: "it's" }], stream: true, temperature: 0.5, top_k: 40, ignore_eos: false };

test("curl: the body as JSON with shell quotes escaped, the key from the environment", () => {
  const text = curlSnippet({ baseUrl: "http://h:1/v1", needsKey: true, body });
  assert.match(text, /^curl http:\/\/h:1\/v1\/chat\/completions/);
  assert.match(text, /Bearer \$OPENAI_API_KEY/);
  assert.ok(text.includes("it'\\''s"));
  const json = /-d '([\s\S]*)'$/.exec(text)![1].replace(/'\\''/g, "'");
  assert.deepEqual(JSON.parse(json), body);
  assert.doesNotMatch(curlSnippet({ baseUrl: "x", needsKey: false, body }), /Authorization/);
});

test("python: SDK parameters as keywords, extras in extra_body, Python literals", () => {
  const text = pythonSnippet({ baseUrl: "http://h:1/v1", needsKey: false, body });
  assert.match(text, /temperature=0\.5,/);
  assert.match(text, /extra_body=\{\n\s+"top_k": 40,\n\s+"ignore_eos": False,/);
  assert.match(text, /api_key="none"/);
  assert.match(text, /for chunk in response:/);
  assert.equal(pythonValue({ a: [true, null] }), '{\n    "a": [\n        True,\n        None,\n    ],\n}');
});

test("typescript: the body verbatim, cast when it carries extras", () => {
  const text = typescriptSnippet({ baseUrl: "http://h:1/v1", needsKey: true, body });
  assert.match(text, /apiKey: process\.env\.OPENAI_API_KEY/);
  assert.match(text, /as OpenAI\.ChatCompletionCreateParams\);/);
  const plain = typescriptSnippet({ baseUrl: "x", needsKey: false, body: { model: "m", messages: [] } });
  assert.doesNotMatch(plain, /as OpenAI/);
  assert.match(plain, /console\.log/);
});
