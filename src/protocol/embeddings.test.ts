import assert from "node:assert/strict";
import { test } from "node:test";
import { ContextLengthExceededError, InvalidRequestError, ServiceUnavailableError } from "../errors.js";
import { RequestHandle } from "../request-handle.js";
import { EmbeddingsServing, type EmbeddingEngine } from "./embeddings.js";
import { PromptBuilder, type Tokenizer } from "./prompts.js";

const cls = 1;
const sep = 2;

/** One token per character (id = code); no special tokens in text. */
const tokenizer: Tokenizer = {
  tokenize: (text) => [...text].map((c) => c.charCodeAt(0)),
  detokenize: (tokens) => String.fromCharCode(...tokens),
  tokenPieces: (tokens) => tokens.map(String),
};

/** Vector [first token, last token, length, 0]; records what it was asked to embed. */
class RecordingEngine implements EmbeddingEngine {
  readonly inputs: number[][] = [];
  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    this.inputs.push(...inputs.map((tokens) => [...tokens]));
    return inputs.map((tokens) => Float32Array.of(tokens[0], tokens.at(-1)!, tokens.length, 0));
  }
}

const handle = new RequestHandle("r");

function setUp(engine: EmbeddingEngine | null = new RecordingEngine()) {
  const prompts = new PromptBuilder(tokenizer, null, { vocabSize: 300, bosToken: cls, addBosToken: true, endToken: sep });
  return new EmbeddingsServing(engine, prompts, { dimensions: 4, maxInputTokens: 8, endToken: sep });
}

async function body(result: ReturnType<EmbeddingsServing["embeddings"]>): Promise<any> {
  assert.equal(result.kind, "json");
  return result.kind === "json" ? await result.body : undefined;
}

test("text gets [CLS] ... [SEP]; token ids are used as given; usage counts both", async () => {
  const engine = new RecordingEngine();
  const response = await body(setUp(engine).embeddings({ input: ["ab", "c"], normalize: false }, handle, "bert"));
  assert.deepEqual(engine.inputs, [[cls, 97, 98, sep], [cls, 99, sep]]);
  assert.deepEqual(response.data[0], { object: "embedding", index: 0, embedding: [cls, sep, 4, 0] });
  assert.deepEqual(response.usage, { prompt_tokens: 7, total_tokens: 7 });
  await body(setUp(engine).embeddings({ input: [5, 6] }, handle, "bert"));
  assert.deepEqual(engine.inputs.at(-1), [5, 6]);
  await body(setUp(engine).embeddings({ input: "ab", add_special_tokens: false }, handle, "bert"));
  assert.deepEqual(engine.inputs.at(-1), [97, 98]);
});

test("truncate_prompt_tokens keeps the first tokens and the end token of a text; -1 means the model's limit", async () => {
  const engine = new RecordingEngine();
  const serving = setUp(engine);
  await body(serving.embeddings({ input: "abcdefghij", truncate_prompt_tokens: 4 }, handle, "bert"));
  assert.deepEqual(engine.inputs.at(-1), [cls, 97, 98, sep]);
  await body(serving.embeddings({ input: [10, 11, 12, 13, 14], truncate_prompt_tokens: 3 }, handle, "bert"));
  assert.deepEqual(engine.inputs.at(-1), [10, 11, 12]);
  const response = await body(serving.embeddings({ input: "abcdefghij", truncate_prompt_tokens: -1 }, handle, "bert"));
  assert.equal(response.usage.prompt_tokens, 8);
  assert.throws(() => serving.embeddings({ input: "abcdefghij" }, handle, "bert"), ContextLengthExceededError);
});

test("unit vectors by default; dimensions truncates then renormalizes; base64", async () => {
  const serving = setUp();
  const full = await body(serving.embeddings({ input: [3, 4] }, handle, "bert"));
  const [a, b, c] = full.data[0].embedding;
  assert.ok(Math.abs(Math.hypot(a, b, c) - 1) < 1e-6);
  const short = await body(serving.embeddings({ input: [3, 4], dimensions: 2 }, handle, "bert"));
  assert.deepEqual(short.data[0].embedding, [Math.fround(0.6), Math.fround(0.8)]);
  const encoded = await body(serving.embeddings({ input: [3, 4], dimensions: 2, encoding_format: "base64" }, handle, "bert"));
  assert.equal(Buffer.from(encoded.data[0].embedding, "base64").readFloatLE(4), Math.fround(0.8));
  assert.throws(() => serving.embeddings({ input: "a", dimensions: 5 }, handle, "bert"), (error: InvalidRequestError) => error.param === "dimensions");
});

test("embeddings off: a request gets a 400 naming --pooling", () => {
  const serving = setUp(null);
  assert.throws(() => serving.embeddings({ input: "a" }, handle, "bert"), (error: InvalidRequestError) => error.status === 400 && /--pooling/.test(error.message));
});

test("a client that disconnects gets its request rejected as an ApiError (no internal-error log)", async () => {
  const disconnected = new RequestHandle("r");
  const engine: EmbeddingEngine = {
    embed: (_inputs, signal) => new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason))),
  };
  const result = setUp(engine).embeddings({ input: "a" }, disconnected, "bert");
  disconnected.cancel();
  await assert.rejects(body(result), ServiceUnavailableError);
});
