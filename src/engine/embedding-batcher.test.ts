import assert from "node:assert/strict";
import { test } from "node:test";
import { QueueFull, ShuttingDown } from "../domain-errors.js";
import { EmbeddingBatcher } from "./embedding-batcher.js";
import type { EmbeddingRunner } from "./embedding-runner.js";

/** A vector that names its input: [first token, length]; records every call's inputs. */
class FakeEmbeddingRunner implements EmbeddingRunner {
  readonly info = { dimensions: 2, maxInputTokens: 512, pooling: "mean" as const };
  readonly calls: number[][][] = [];
  failNext = false;

  async embed(inputs: readonly (readonly number[])[]): Promise<Float32Array[]> {
    this.calls.push(inputs.map((tokens) => [...tokens]));
    if (this.failNext) {
      this.failNext = false;
      throw new Error("decode failed");
    }
    return inputs.map((tokens) => Float32Array.of(tokens[0], tokens.length));
  }
  async close(): Promise<void> {}
}

const input = (first: number, length: number) => Array.from({ length }, (_, i) => first + i);
const asArrays = (vectors: Float32Array[]) => vectors.map((v) => [...v]);

test("inputs of requests submitted together share one batch; each request gets its own vectors in order", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 100 });
  const [a, b] = await Promise.all([
    batcher.embed([input(10, 3), input(20, 4)]),
    batcher.embed([input(30, 5)]),
  ]);
  assert.equal(runner.calls.length, 1);
  assert.deepEqual(runner.calls[0].map((tokens) => tokens[0]), [10, 20, 30]);
  assert.deepEqual(asArrays(a), [[10, 3], [20, 4]]);
  assert.deepEqual(asArrays(b), [[30, 5]]);
});

test("the token budget splits batches; a request spanning two batches still resolves in its order", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 10 });
  const [a, b] = await Promise.all([batcher.embed([input(1, 6), input(2, 4), input(3, 6)]), batcher.embed([input(4, 4)])]);
  assert.deepEqual(runner.calls.map((call) => call.map((tokens) => tokens[0])), [[1, 2], [3, 4]]);
  assert.deepEqual(asArrays(a), [[1, 6], [2, 4], [3, 6]]);
  assert.deepEqual(asArrays(b), [[4, 4]]);
  for (const call of runner.calls) assert.ok(call.reduce((sum, tokens) => sum + tokens.length, 0) <= 10);
});

test("an input over the budget runs alone", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 4 });
  const vectors = await batcher.embed([input(1, 9), input(2, 2)]);
  assert.deepEqual(runner.calls.map((call) => call.length), [1, 1]);
  assert.deepEqual(asArrays(vectors), [[1, 9], [2, 2]]);
});

test("requests arriving while a batch runs form the next batch together", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 100 });
  const first = batcher.embed([input(1, 2)]);
  await Promise.resolve(); // the first batch has started
  const later = [batcher.embed([input(2, 2)]), batcher.embed([input(3, 2)])];
  await Promise.all([first, ...later]);
  assert.deepEqual(runner.calls.map((call) => call.map((tokens) => tokens[0])), [[1], [2, 3]]);
});

test("a failed runner call rejects the requests in that batch only; the batcher goes on", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 100 });
  runner.failNext = true;
  await assert.rejects(batcher.embed([input(1, 2)]), /decode failed/);
  assert.deepEqual(asArrays(await batcher.embed([input(5, 1)])), [[5, 1]]);
});

test("an aborted request's inputs are dropped before they run", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 2 });
  const controller = new AbortController();
  const kept = batcher.embed([input(1, 2)]);
  const aborted = batcher.embed([input(2, 2), input(3, 2)], controller.signal);
  controller.abort(new Error("client went away"));
  await assert.rejects(aborted, /client went away/);
  await kept;
  assert.deepEqual(runner.calls.map((call) => call.map((tokens) => tokens[0])), [[1]]);
  assert.equal(batcher.numWaiting, 0);
});

test("no inputs: no runner call", async () => {
  const runner = new FakeEmbeddingRunner();
  assert.deepEqual(await new EmbeddingBatcher(runner, { maxBatchTokens: 8 }).embed([]), []);
  assert.equal(runner.calls.length, 0);
});

test("beyond maxWaitingRequests open requests, a new one gets QueueFull (503); finished ones free their place", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 100, maxWaitingRequests: 2 });
  const open = [batcher.embed([input(1, 1)]), batcher.embed([input(2, 1)])];
  await assert.rejects(batcher.embed([input(3, 1)]), QueueFull);
  await Promise.all(open);
  assert.deepEqual(asArrays(await batcher.embed([input(4, 1)])), [[4, 1]]);
});

test("stop: waiting requests and new ones get ShuttingDown (503); the running batch finishes first", async () => {
  const runner = new FakeEmbeddingRunner();
  const batcher = new EmbeddingBatcher(runner, { maxBatchTokens: 2 });
  const running = batcher.embed([input(1, 2)]);
  const waiting = batcher.embed([input(2, 2)]);
  await Promise.resolve(); // the first batch has started
  await batcher.stop();
  assert.deepEqual(asArrays(await running), [[1, 2]]);
  await assert.rejects(waiting, ShuttingDown);
  await assert.rejects(batcher.embed([input(3, 1)]), ShuttingDown);
  assert.deepEqual(runner.calls.map((call) => call.map((tokens) => tokens[0])), [[1]]);
});
