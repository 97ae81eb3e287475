/**
 * /v1/embeddings from a generation model with --pooling (the tiny llama,
 * causal): embeddings and completions are both served, and an input's vector
 * does not depend on what was embedded before it (each input starts on an
 * empty KV cache) or beside it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--pooling", "mean", "--max-model-len", "256"] }, (served) => ({ server, client, model } = served));

const texts = ["The capital of France is", "hello", "a much longer text about rivers, banks and money", "hello"];
const embed = async (input: string | string[]) => (await client.embeddings.create({ model, input, encoding_format: "float" })).data.map((d) => d.embedding);

test("vectors are identical alone, batched, concurrent, and in any order", async () => {
  const alone: number[][] = [];
  for (const text of texts) alone.push((await embed(text))[0]);
  assert.equal(alone[0].length, 64);
  assert.deepEqual(alone[1], alone[3]);
  assert.notDeepEqual(alone[0], alone[1]);
  assert.deepEqual(await embed(texts), alone);
  assert.deepEqual(await embed([...texts].reverse()), [...alone].reverse());
  assert.deepEqual((await Promise.all(texts.map((text) => embed(text)))).map((v) => v[0]), alone);
});

test("the model still generates, and usage counts the completion route's prompt tokens", async () => {
  const completion = await client.completions.create({ model, prompt: texts[0], max_tokens: 4 });
  assert.equal(completion.choices.length, 1);
  const embedding = await client.embeddings.create({ model, input: texts[0] });
  assert.equal(embedding.usage.prompt_tokens, completion.usage?.prompt_tokens);
});
