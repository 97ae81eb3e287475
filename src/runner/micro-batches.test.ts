import assert from "node:assert/strict";
import { test } from "node:test";
import type { BatchItem, ItemResult, SequenceSampler } from "../engine/model-runner.js";
import { mergePieceResult, splitIntoMicroBatches } from "./micro-batches.js";

const sample = { sampler: {} as SequenceSampler, config: {} as never, penaltyTokens: [], promptTokens: [], tokenWindow: new Uint32Array(), numLogprobs: null };
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("items that fit stay whole and in order; the rest are cut at the micro-batch boundary", () => {
  const items: BatchItem[] = [
    { slotId: 0, startPosition: 7, tokens: [1], sample },
    { slotId: 1, startPosition: 0, tokens: range(0, 10), sample },
    { slotId: 2, startPosition: 3, tokens: range(100, 104) },
  ];
  const batches = splitIntoMicroBatches(items, 4);
  assert.deepEqual(
    batches.map((pieces) => pieces.map(({ origin, item }) => [origin, item.slotId, item.startPosition, item.tokens.length, item.sample !== undefined])),
    [
      [[0, 0, 7, 1, true], [1, 1, 0, 3, false]],
      [[1, 1, 3, 4, false]],
      [[1, 1, 7, 3, true], [2, 2, 3, 1, false]],
      [[2, 2, 4, 3, false]],
    ],
  );
  assert.deepEqual(batches.flat().filter(({ origin }) => origin === 1).flatMap(({ item }) => item.tokens), range(0, 10));
  assert.equal(batches[0][0].item, items[0], "a whole item is passed as it is");
});

test("at every micro-batch size, each item's pieces cover its tokens once, in order, with prompt logprob targets cut alongside", () => {
  const items: BatchItem[] = [
    { slotId: 0, startPosition: 0, tokens: range(0, 9), sample, promptLogprobs: { numTop: 2, nextTokens: [...range(1, 9), undefined] } },
    { slotId: 1, startPosition: 5, tokens: [42], sample },
    { slotId: 2, startPosition: 0, tokens: range(50, 56) },
  ];
  for (let size = 1; size <= 17; size++) {
    const batches = splitIntoMicroBatches(items, size);
    assert.ok(batches.every((pieces) => pieces.reduce((sum, { item }) => sum + item.tokens.length, 0) <= size));
    items.forEach((item, origin) => {
      const pieces = batches.flat().filter((piece) => piece.origin === origin).map(({ item: piece }) => piece);
      assert.deepEqual(pieces.flatMap((piece) => piece.tokens), item.tokens);
      pieces.forEach((piece, i) => i > 0 && assert.equal(piece.startPosition, pieces[i - 1].startPosition + pieces[i - 1].tokens.length));
      assert.deepEqual(pieces.map((piece) => piece.sample !== undefined), pieces.map((_, i) => i === pieces.length - 1 && item.sample !== undefined));
      if (item.promptLogprobs) assert.deepEqual(pieces.flatMap((piece) => [...piece.promptLogprobs!.nextTokens]), [...item.promptLogprobs.nextTokens]);
    });
  }
});

test("results merge back: prompt logprobs in order, the token from the last piece, the first error", () => {
  const result: ItemResult = {};
  const logprob = (token: number) => ({ token, logprob: -1, top: [] });
  mergePieceResult(result, { promptLogprobs: [logprob(1), logprob(2)] });
  mergePieceResult(result, { error: new Error("first") });
  mergePieceResult(result, { promptLogprobs: [logprob(3)], token: 9, logprob: logprob(9), error: new Error("second") });
  assert.deepEqual(result.promptLogprobs!.map(({ token }) => token), [1, 2, 3]);
  assert.equal(result.token, 9);
  assert.equal((result.error as Error).message, "first");
});
