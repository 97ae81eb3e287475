import assert from "node:assert/strict";
import { test } from "node:test";
import { Xoshiro128StarStar } from "../sampling/xoshiro128-star-star.js";
import { StepCostModel, kvWorkOf, shapeOf, type StepShape } from "./step-cost-model.js";
import type { BatchItem } from "./model-runner.js";

/** A fake runner's cost function: fixed overhead, per prompt token, per decode row, per thousand KV positions attended. */
const cost = (shape: StepShape) => 4 + 0.5 * shape.numPrefillTokens + 1.5 * shape.numDecodeRows + 0.2 * shape.kvWork;

function randomBatch(random: Xoshiro128StarStar): Array<Pick<BatchItem, "startPosition" | "tokens">> {
  const numDecodes = Math.floor(random.next() * 17);
  const items = Array.from({ length: numDecodes }, () => ({ startPosition: 50 + Math.floor(random.next() * 900), tokens: [1] }));
  if (random.next() < 0.5) items.push({ startPosition: Math.floor(random.next() * 500), tokens: new Array(2 + Math.floor(random.next() * 200)).fill(1) });
  return items;
}

test("the shape of a batch: prompt chunks, decode rows, attention work", () => {
  const shape = shapeOf([
    { startPosition: 10, tokens: [1] },
    { startPosition: 0, tokens: [1, 2, 3, 4] },
  ]);
  assert.equal(shape.numPrefillTokens, 4);
  assert.equal(shape.numDecodeRows, 1);
  // The decode attends to 11 positions; the chunk's tokens to 1, 2, 3, 4.
  assert.ok(Math.abs(shape.kvWork - (11 + 10) / 1000) < 1e-12);
  assert.equal(kvWorkOf(0, 4), 10 / 1000);
});

test("fitted to a fake runner's cost function, the model predicts unseen steps within 1%", () => {
  const model = new StepCostModel();
  const random = new Xoshiro128StarStar(7);
  assert.equal(model.predict({ numPrefillTokens: 10, numDecodeRows: 1, kvWork: 0 }), null, "no prediction before any step");
  for (let i = 0; i < 200; i++) {
    const shape = shapeOf(randomBatch(random));
    model.observe(shape, cost(shape));
  }
  for (let i = 0; i < 50; i++) {
    const shape = shapeOf(randomBatch(random));
    const predicted = model.predict(shape)!;
    assert.ok(Math.abs(predicted - cost(shape)) <= 0.01 * cost(shape), `predicted ${predicted}, cost ${cost(shape)}`);
  }
  const [overhead, perToken, perRow, perKv] = model.coefficients!;
  assert.ok(Math.abs(overhead - 4) < 0.05 && Math.abs(perToken - 0.5) < 0.01 && Math.abs(perRow - 1.5) < 0.02 && Math.abs(perKv - 0.2) < 0.01);
});

test("the fit follows a machine that slows down: old steps fade", () => {
  const model = new StepCostModel();
  const random = new Xoshiro128StarStar(3);
  for (let i = 0; i < 100; i++) {
    const shape = shapeOf(randomBatch(random));
    model.observe(shape, cost(shape));
  }
  for (let i = 0; i < 300; i++) {
    const shape = shapeOf(randomBatch(random));
    model.observe(shape, 2 * cost(shape));
  }
  const shape = { numPrefillTokens: 64, numDecodeRows: 8, kvWork: 5 };
  assert.ok(Math.abs(model.predict(shape)! - 2 * cost(shape)) < 0.02 * cost(shape));
});

test("steps that cannot tell the features apart still give finite, non-negative predictions", () => {
  const model = new StepCostModel();
  for (let i = 0; i < 20; i++) model.observe({ numPrefillTokens: 0, numDecodeRows: 1, kvWork: 0.1 }, 25);
  const predicted = model.predict({ numPrefillTokens: 0, numDecodeRows: 1, kvWork: 0.1 })!;
  assert.ok(Math.abs(predicted - 25) < 0.5);
  assert.ok(Number.isFinite(model.predict({ numPrefillTokens: 100, numDecodeRows: 16, kvWork: 3 })!));
  assert.ok(model.predict({ numPrefillTokens: 100, numDecodeRows: 16, kvWork: 3 })! >= 0);
});

test("coefficients stay non-negative: a prompt step and a run of equal decode steps (measured on this machine) predict a bigger prompt as dearer", () => {
  const model = new StepCostModel();
  model.observe({ numPrefillTokens: 133, numDecodeRows: 0, kvWork: 12.1 }, 1526);
  const decodeMs = [21, 21, 27, 21, 42, 32, 24, 20, 22, 22, 29, 43, 21, 40, 22, 25, 21, 23, 30, 21];
  for (const ms of decodeMs) model.observe({ numPrefillTokens: 0, numDecodeRows: 1, kvWork: 0.2 }, ms);
  assert.ok(model.coefficients!.every((w) => w >= 0), `coefficients ${model.coefficients}`);
  // An unconstrained fit of this trace predicted this step at 0 ms; it took 4,483.
  const bigChunk = model.predict({ numPrefillTokens: 511, numDecodeRows: 1, kvWork: 45.5 })!;
  assert.ok(bigChunk > 3 * 1526, `predicted ${bigChunk}`);
  const decode = model.predict({ numPrefillTokens: 0, numDecodeRows: 1, kvWork: 0.2 })!;
  assert.ok(decode > 15 && decode < 45, `predicted ${decode}`);
});

test("one descheduled decode step (fifty times its cost) moves the decode prediction by less than half", () => {
  const model = new StepCostModel();
  const shape = { numPrefillTokens: 0, numDecodeRows: 8, kvWork: 1.3 };
  for (let i = 0; i < 30; i++) model.observe(shape, 75);
  model.observe(shape, 50 * 75);
  assert.ok(model.predict(shape)! < 1.5 * 75, `predicted ${model.predict(shape)}`);
});
