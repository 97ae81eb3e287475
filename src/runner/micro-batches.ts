/**
 * A step's batch cut into llama.cpp decodes of at most `maxTokens` tokens, as
 * llama.cpp itself cuts a batch into n_ubatch pieces. The context's batch
 * (and with it the compute buffer, which grows with batch size times KV
 * cells) stays at one micro-batch, while a step may take a whole burst of
 * prompts. An item that does not fit is split at a token boundary: its
 * pieces run in order in consecutive micro-batches, and only the last one
 * samples.
 */
import type { BatchItem, ItemResult } from "../engine/model-runner.js";

export interface Piece {
  /** Index of the item this piece was cut from. */
  origin: number;
  item: BatchItem;
}

export function splitIntoMicroBatches(items: readonly BatchItem[], maxTokens: number): Piece[][] {
  const batches: Piece[][] = [];
  let current: Piece[] = [];
  let room = maxTokens;
  items.forEach((item, origin) => {
    for (let offset = 0; offset < item.tokens.length; ) {
      if (room === 0) {
        batches.push(current);
        current = [];
        room = maxTokens;
      }
      const numTokens = Math.min(room, item.tokens.length - offset);
      current.push({ origin, item: pieceOf(item, offset, numTokens) });
      offset += numTokens;
      room -= numTokens;
    }
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

function pieceOf(item: BatchItem, offset: number, numTokens: number): BatchItem {
  if (offset === 0 && numTokens === item.tokens.length) return item;
  const isLast = offset + numTokens === item.tokens.length;
  return {
    slotId: item.slotId,
    startPosition: item.startPosition + offset,
    tokens: item.tokens.slice(offset, offset + numTokens),
    sample: isLast ? item.sample : undefined,
    ...(item.promptLogprobs ? { promptLogprobs: { numTop: item.promptLogprobs.numTop, nextTokens: item.promptLogprobs.nextTokens.slice(offset, offset + numTokens) } } : {}),
  };
}

/** Folds a piece's result into its item's: prompt logprobs in order, the sampled token from the last piece, the first error. */
export function mergePieceResult(into: ItemResult, piece: ItemResult): void {
  if (piece.promptLogprobs) into.promptLogprobs = [...(into.promptLogprobs ?? []), ...piece.promptLogprobs];
  if (piece.token !== undefined) into.token = piece.token;
  if (piece.logprob !== undefined) into.logprob = piece.logprob;
  if (piece.error !== undefined && into.error === undefined) into.error = piece.error;
}
