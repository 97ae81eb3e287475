/**
 * A scripted ModelRunner for engine tests: tokens are characters (id = char
 * code), the "model" continues a sequence by a rule on the tokens so far, and
 * every batch is recorded. It also checks that the engine feeds each slot
 * contiguous positions, as the KV cache requires.
 */
import type { BatchItem, ItemResult, LogitBias, ModelInfo, ModelRunner, SequenceSampler } from "./model-runner.js";
import type { TokenLogprob } from "./types.js";
import { KvPool } from "./kv-pool.js";

export const fakeEos = 3;

export interface FakeRunnerOptions {
  numSlots?: number;
  slotCapacity?: number;
  /** One shared KV pool of this many cells: a forward pass that overfills it throws, as llama.cpp's decode fails. */
  kvPoolCells?: number;
  /** Next token given the whole sequence so far (prompt + output). */
  next?: (tokens: readonly number[]) => number;
  /** What a forward pass costs on the fake clock (ms); default: `stepMs`, whatever the batch. */
  costOf?: (items: readonly BatchItem[]) => number;
}

/** By default: repeat the lowercase letters after the last one, wrapping; never EOS. */
export const alphabetNext = (tokens: readonly number[]): number => {
  const last = tokens[tokens.length - 1];
  return last >= 97 && last < 122 ? last + 1 : 97;
};

/** The fake model is certain of every token: logprob 0, alternatives the following ids at -1, -2, ... */
function fakeLogprob(token: number, numTop: number): TokenLogprob {
  return { token, logprob: 0, top: Array.from({ length: numTop }, (_, i) => ({ token: token + i, logprob: -i })) };
}

export class FakeRunner implements ModelRunner {
  readonly info: ModelInfo;
  readonly numSlots: number;
  readonly slotCapacity: number;
  readonly kvPoolCells: number | null;
  /** The cells the fake "llama.cpp" holds, kept apart from the engine's own accounting. */
  readonly kvPool: KvPool | null;
  readonly batches: BatchItem[][] = [];
  /** A fake clock: every forward pass takes `stepMs`. */
  elapsedMs = 0;
  stepMs = 10;
  /** Tokens each slot's KV holds, position by position. */
  readonly slotContents: number[][];
  readonly copies: Array<{ fromSlotId: number; toSlotId: number; numTokens: number }> = [];
  private readonly next: (tokens: readonly number[]) => number;
  private readonly costOf: ((items: readonly BatchItem[]) => number) | undefined;
  private numLiveSamplers = 0;

  constructor(options: FakeRunnerOptions = {}) {
    this.numSlots = options.numSlots ?? 4;
    this.slotCapacity = options.slotCapacity ?? 256;
    this.next = options.next ?? alphabetNext;
    this.kvPoolCells = options.kvPoolCells ?? null;
    this.kvPool = this.kvPoolCells === null ? null : new KvPool(this.kvPoolCells, this.numSlots);
    this.costOf = options.costOf;
    this.slotContents = Array.from({ length: this.numSlots }, () => []);
    this.info = {
      trainContextLength: this.slotCapacity,
      vocabSize: 256,
      endOfGenerationTokens: new Set([fakeEos]),
      bosToken: 1,
      eosToken: fakeEos,
      addBosToken: false,
      bosText: "<s>",
      eosText: "</s>",
      chatTemplate: null,
      description: "fake",
    };
  }

  get liveSamplers(): number {
    return this.numLiveSamplers;
  }

  tokenize(text: string): number[] {
    return [...text].map((c) => c.charCodeAt(0));
  }

  detokenize(tokens: readonly number[]): string {
    return tokens.filter((t) => t !== fakeEos).map((t) => String.fromCharCode(t)).join("");
  }

  createSampler(): SequenceSampler {
    this.numLiveSamplers++;
    return { dispose: () => void this.numLiveSamplers-- };
  }

  async execute(items: readonly BatchItem[]): Promise<ItemResult[]> {
    this.batches.push(items.map((item) => ({ ...item, tokens: [...item.tokens] })));
    this.elapsedMs += this.costOf?.(items) ?? this.stepMs;
    const numNewCells = items.reduce((sum, item) => sum + item.tokens.length, 0);
    if (this.kvPool && this.kvPool.numFree < numNewCells) throw new Error(`decode: the KV pool has ${this.kvPool.numFree} free cells, the batch needs ${numNewCells}`);
    for (const item of items) this.kvPool?.grow(item.slotId, item.tokens.length);
    return items.map((item) => {
      const contents = this.slotContents[item.slotId];
      if (item.startPosition !== contents.length) {
        throw new Error(`slot ${item.slotId}: fed position ${item.startPosition} but the KV holds ${contents.length}`);
      }
      contents.push(...item.tokens);
      if (contents.length > this.slotCapacity) throw new Error(`slot ${item.slotId} overflowed`);
      const result: ItemResult = {};
      if (item.promptLogprobs) {
        const { nextTokens, numTop } = item.promptLogprobs;
        result.promptLogprobs = nextTokens.filter((next) => next !== undefined).map((next) => fakeLogprob(next, numTop));
      }
      if (!item.sample) return result;
      const { tokenWindow, promptTokens, penaltyTokens } = item.sample;
      if (tokenWindow.length !== promptTokens.length + penaltyTokens.length || [...promptTokens, ...penaltyTokens].some((token, i) => tokenWindow[i] !== token)) {
        throw new Error(`slot ${item.slotId}: the token window is not the prompt plus the output`);
      }
      result.token = this.sampleWithBias(this.next(contents), item.sample.config.logitBias);
      if (item.sample.numLogprobs !== null) result.logprob = fakeLogprob(result.token, item.sample.numLogprobs);
      return result;
    });
  }

  /**
   * Honours logit biases minimally: a token biased to the maximum (>= 100)
   * wins outright; a banned (-Infinity, or the minimum -100) scripted token
   * gives way to the next id that is not banned.
   */
  private sampleWithBias(scripted: number, logitBias: LogitBias | null): number {
    if (logitBias === null) return scripted;
    const bias = new Map<number, number>();
    logitBias.tokenIds.forEach((token, i) => bias.set(token, logitBias.biases[i]));
    for (const [token, value] of bias) if (value >= 100) return token;
    for (let i = 0; i < this.info.vocabSize; i++) {
      const token = (scripted + i) % this.info.vocabSize;
      if (!((bias.get(token) ?? 0) <= -100)) return token;
    }
    throw new Error("every token is banned");
  }

  truncateSlot(slotId: number, fromPosition: number): void {
    this.slotContents[slotId].length = Math.min(this.slotContents[slotId].length, fromPosition);
    this.kvPool?.truncate(slotId, fromPosition);
  }

  async copySlotPrefix(fromSlotId: number, toSlotId: number, numTokens: number): Promise<void> {
    if (this.slotContents[fromSlotId].length < numTokens) throw new Error(`slot ${fromSlotId} holds fewer than ${numTokens} tokens`);
    this.slotContents[toSlotId] = this.slotContents[fromSlotId].slice(0, numTokens);
    this.kvPool?.copyPrefix(fromSlotId, toSlotId, numTokens);
    this.copies.push({ fromSlotId, toSlotId, numTokens });
  }

  async close(): Promise<void> {}
}
