/**
 * /v1/embeddings on a generated tiny BERT (llama.cpp `bert`, mean pooling,
 * the real bge WordPiece tokenizer), through the openai client.
 *
 * Vectors are compared for exact equality: pagoda decodes every input in a
 * llama.cpp decode of its own (the addon exposes one pooled vector per
 * decode), so batching and concurrency cannot change a single bit; float
 * JSON of float32 values round-trips exactly through doubles.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ preset: "tiny-bert" }, (served) => ({ server, client, model } = served));

const words = ["river", "mountain", "bank", "money", "tree", "quantum", "pizza", "llama", "cloud", "engine", "violin", "desert"];
/** 32 different texts of 1 to 40 words. */
const texts = Array.from({ length: 32 }, (_, i) => Array.from({ length: 1 + ((i * 7) % 40) }, (_, j) => words[(i + j * 5) % words.length]).join(" "));

const embedFloats = async (input: string | string[] | number[] | number[][], extra: Record<string, unknown> = {}) =>
  client.embeddings.create({ model, input, encoding_format: "float", ...extra } as OpenAI.EmbeddingCreateParams);
const vectorsOf = (response: OpenAI.CreateEmbeddingResponse) => response.data.map((item) => item.embedding);
const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function tokenCount(text: string): Promise<number> {
  const { status, json } = await post("/tokenize", { model, prompt: text });
  assert.equal(status, 200);
  return json.count;
}

test("one string: OpenAI's shape, a unit vector of the model's size, usage as /tokenize counts", async () => {
  const r = await embedFloats("hello world");
  assert.equal(r.object, "list");
  assert.equal(r.model, model);
  assert.equal(r.data.length, 1);
  assert.deepEqual({ ...r.data[0], embedding: undefined }, { object: "embedding", index: 0, embedding: undefined });
  assert.equal(r.data[0].embedding.length, 64);
  assert.ok(Math.abs(norm(r.data[0].embedding) - 1) < 1e-6);
  assert.equal(r.usage.prompt_tokens, await tokenCount("hello world"));
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens);
  const tokens = (await post("/tokenize", { model, prompt: "hello world" })).json.tokens;
  assert.deepEqual(tokens, [101, 7592, 2088, 102], "[CLS] hello world [SEP], as BERT's tokenizer");
});

test("each input's vector is identical alone, in a batch of 32, and under 32 concurrent requests", async () => {
  const alone: number[][] = [];
  for (const text of texts) alone.push(vectorsOf(await embedFloats(text))[0]);
  const batched = await embedFloats(texts);
  assert.deepEqual(batched.data.map((item) => item.index), texts.map((_, i) => i));
  assert.deepEqual(vectorsOf(batched), alone);
  const concurrent = await Promise.all(texts.map((text) => embedFloats(text)));
  assert.deepEqual(concurrent.map((r) => vectorsOf(r)[0]), alone);
  const mixed = await Promise.all([embedFloats(texts.slice(0, 16)), embedFloats(texts.slice(16))]);
  assert.deepEqual([...vectorsOf(mixed[0]), ...vectorsOf(mixed[1])], alone);
  assert.notDeepEqual(alone[0], alone[1], "different texts, different vectors");

  const counts = await Promise.all(texts.map(tokenCount));
  assert.equal(batched.usage.prompt_tokens, counts.reduce((a, b) => a + b, 0));
});

test("base64 is the float32 vector, little-endian; the openai client's default (base64) decodes to the same floats", async () => {
  const floats = vectorsOf(await embedFloats(texts.slice(0, 3)));
  const { status, json } = await post("/v1/embeddings", { model, input: texts.slice(0, 3), encoding_format: "base64" });
  assert.equal(status, 200);
  const decoded = json.data.map((item: { embedding: string }) => {
    const bytes = Buffer.from(item.embedding, "base64");
    return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
  });
  assert.deepEqual(decoded, floats);
  const viaClientDefault = await client.embeddings.create({ model, input: texts.slice(0, 3) });
  assert.deepEqual(vectorsOf(viaClientDefault), floats);
});

test("token ids give the same vector as the text they tokenize to", async () => {
  const fromText = vectorsOf(await embedFloats("hello world"))[0];
  assert.deepEqual(vectorsOf(await embedFloats([101, 7592, 2088, 102]))[0], fromText);
  const both = await embedFloats([[101, 7592, 2088, 102], [101, 2088, 102]]);
  assert.deepEqual(vectorsOf(both)[0], fromText);
  assert.equal(both.usage.prompt_tokens, 7);
});

test("dimensions: the first N values renormalized; normalize false gives the raw pooled vector", async () => {
  const raw = vectorsOf(await embedFloats("a llama in the desert", { normalize: false }))[0];
  assert.ok(Math.abs(norm(raw) - 1) > 1e-3, "the raw mean-pooled vector is not unit length");
  const full = vectorsOf(await embedFloats("a llama in the desert"))[0];
  full.forEach((value, i) => assert.ok(Math.abs(value - raw[i] / norm(raw)) < 1e-6));
  const short = vectorsOf(await embedFloats("a llama in the desert", { dimensions: 16 }))[0];
  assert.equal(short.length, 16);
  const head = raw.slice(0, 16);
  short.forEach((value, i) => assert.ok(Math.abs(value - head[i] / norm(head)) < 1e-6));
  assert.equal(vectorsOf(await embedFloats("x", { dimensions: 64 }))[0].length, 64);
});

test("over-long input: 400 context_length_exceeded; truncate_prompt_tokens keeps the first tokens and [SEP]", async () => {
  const long = Array.from({ length: 600 }, (_, i) => words[i % words.length]).join(" ");
  const numTokens = await tokenCount(long);
  await assert.rejects(embedFloats(long), (error: InstanceType<typeof OpenAI.APIError>) => {
    assert.equal(error.status, 400);
    assert.equal(error.code, "context_length_exceeded");
    assert.equal(error.param, "input");
    assert.match(error.message, new RegExp(`${numTokens} tokens.*512`));
    return true;
  });
  const truncated = await embedFloats(long, { truncate_prompt_tokens: 100 });
  assert.equal(truncated.usage.prompt_tokens, 100);
  const tokens: number[] = (await post("/tokenize", { model, prompt: long })).json.tokens;
  const expected = vectorsOf(await embedFloats([...tokens.slice(0, 99), 102]))[0];
  assert.deepEqual(vectorsOf(truncated)[0], expected);
  assert.equal((await embedFloats(long, { truncate_prompt_tokens: -1 })).usage.prompt_tokens, 512);
});

test("bad requests get 4xx with param, and the server keeps serving", async () => {
  const cases: Array<[Record<string, unknown>, number, string | null]> = [
    [{ input: "" }, 400, "input"],
    [{ input: [] }, 400, "input"],
    [{ input: ["ok", ""] }, 400, "input[1]"],
    [{ input: [[]] }, 400, "input[0]"],
    [{ input: [5, 999999] }, 400, "input"],
    [{ input: "x", dimensions: 65 }, 400, "dimensions"],
    [{ input: "x", dimensions: 0 }, 400, "dimensions"],
    [{ input: "x", encoding_format: "int8" }, 400, "encoding_format"],
    [{ input: "x", truncate_prompt_tokens: 513 }, 400, "truncate_prompt_tokens"],
    [{ input: 42 }, 400, "input"],
    [{}, 400, "input"],
    [{ input: "x", model: "no-such-model" }, 404, "model"],
  ];
  for (const [body, status, param] of cases) {
    const response = await post("/v1/embeddings", { model, ...body });
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(response.json.error.param, param, JSON.stringify(body));
  }
  const chat = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });
  assert.equal(chat.status, 400);
  assert.match(chat.json.error.message, /embedding model/);
  assert.equal(vectorsOf(await embedFloats("still serving"))[0].length, 64);
});
