/**
 * Whether a decode-only step of a few rows runs as one llama_decode or as one
 * decode per row, learnt from the steps themselves. On CPUs llama.cpp takes a
 * single row through its matrix-vector kernels and two or more through its
 * matrix-matrix ones, which at two rows can cost more than two single rows
 * (measured here: 2.3x one row's time for two rows, in llama-batched-bench as
 * in pagoda). Where batching pays, as on GPUs, this learns to batch.
 *
 * The two ways are compared on consecutive steps (same rows, nearly the same
 * KV length), so a machine whose speed drifts, or KV that grows, does not
 * bias the comparison: each pair gives a ratio, and the log ratios are
 * averaged with exponential forgetting.
 */

export type DecodeMode = "batched" | "per-row";

/** Largest log ratio one pair of steps contributes (a factor of 1.35 either way). */
const maxPairLogRatio = 0.3;

export interface DecodeGroupingOptions {
  /** Largest row count the choice is learnt for; more rows always batch. */
  maxRows?: number;
  /** Pairs measured, alternating the two ways, before the cheaper one is kept. */
  minPairs?: number;
  /** Once settled, one step in this many tries the other way, to follow a machine that changes. */
  exploreEvery?: number;
  /** Weight of a new pair in the averaged log ratio. */
  pairWeight?: number;
}

interface RowCountState {
  /** Mean of log(per-row ms / batched ms) over measured pairs. */
  logRatio: number;
  numPairs: number;
  stepsSinceExplore: number;
  last: { index: number; mode: DecodeMode; ms: number } | null;
}

export class DecodeGrouping {
  private readonly maxRows: number;
  private readonly minPairs: number;
  private readonly exploreEvery: number;
  private readonly pairWeight: number;
  private readonly states = new Map<number, RowCountState>();
  private stepIndex = 0;

  constructor(options: DecodeGroupingOptions = {}) {
    this.maxRows = options.maxRows ?? 3;
    this.minPairs = options.minPairs ?? 6;
    this.exploreEvery = options.exploreEvery ?? 32;
    this.pairWeight = options.pairWeight ?? 0.25;
  }

  /** How to run a step of `numRows` items of one token each (`isDecodeOnly`), or of anything else (always batched). */
  modeFor(numRows: number, isDecodeOnly: boolean): DecodeMode {
    const state = this.learntStateOf(numRows, isDecodeOnly);
    if (state === null) return "batched";
    const preferred = preferredOf(state);
    if (state.numPairs < this.minPairs) return state.last?.index === this.stepIndex - 1 ? other(state.last.mode) : preferred;
    if (state.stepsSinceExplore >= this.exploreEvery) return other(preferred);
    return preferred;
  }

  /** Records a step's time; every step is recorded, so that only truly consecutive steps pair up. */
  observe(numRows: number, isDecodeOnly: boolean, mode: DecodeMode, ms: number): void {
    const index = this.stepIndex++;
    const state = this.learntStateOf(numRows, isDecodeOnly);
    if (state === null || !(ms > 0)) return;
    const { last } = state;
    if (last !== null && last.index === index - 1 && last.mode !== mode) {
      const [perRowMs, batchedMs] = mode === "per-row" ? [ms, last.ms] : [last.ms, ms];
      // Clipped: one step descheduled, or the slow first decode after a prompt, must not decide alone.
      const logRatio = Math.max(-maxPairLogRatio, Math.min(maxPairLogRatio, Math.log(perRowMs / batchedMs)));
      // A plain mean until settled, then exponential forgetting.
      const weight = state.numPairs < this.minPairs ? 1 / (state.numPairs + 1) : this.pairWeight;
      state.logRatio = (1 - weight) * state.logRatio + weight * logRatio;
      state.numPairs++;
    }
    state.stepsSinceExplore = mode === preferredOf(state) ? state.stepsSinceExplore + 1 : 0;
    state.last = { index, mode, ms };
  }

  /** The learnt ratio of per-row to batched time for `numRows` rows, or null before any pair; for logs and tests. */
  perRowRatio(numRows: number): number | null {
    const state = this.states.get(numRows);
    return state && state.numPairs > 0 ? Math.exp(state.logRatio) : null;
  }

  /** The learning state for steps of this shape, or null for those that always batch. */
  private learntStateOf(numRows: number, isDecodeOnly: boolean): RowCountState | null {
    if (!isDecodeOnly || numRows < 2 || numRows > this.maxRows) return null;
    let state = this.states.get(numRows);
    if (!state) {
      state = { logRatio: 0, numPairs: 0, stepsSinceExplore: 0, last: null };
      this.states.set(numRows, state);
    }
    return state;
  }
}

function preferredOf(state: RowCountState): DecodeMode {
  return state.logRatio < 0 ? "per-row" : "batched";
}

function other(mode: DecodeMode): DecodeMode {
  return mode === "batched" ? "per-row" : "batched";
}
