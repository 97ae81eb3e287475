/**
 * The KV cache as one pool of cells shared by every slot (llama.cpp's unified
 * KV cache, llama-server's `-kvu`; vLLM's block pool with one-token blocks).
 * A slot's sequence takes cells as it grows, so memory follows the tokens in
 * use, not slots x context length.
 *
 * This mirrors what llama.cpp does with the cells, so the engine knows before
 * a decode whether it fits: a cell holds one position's KV and belongs to
 * every sequence that shares it. Copying a prefix into another slot shares
 * its cells (llama.cpp's seq_cp adds the sequence to them, copying nothing);
 * dropping a slot's tail releases its share; a cell is free when no slot
 * holds it any more. Cells are counted, never placed: llama.cpp picks them.
 */

export class KvPool {
  /** Per slot, the cell of each position it holds, from position 0. */
  private readonly slotCells: number[][];
  /** How many slots hold each cell. */
  private readonly holders: Uint16Array;
  private readonly freeCells: number[];

  constructor(readonly numCells: number, numSlots: number) {
    if (!Number.isInteger(numCells) || numCells <= 0) throw new Error(`a KV pool needs a positive number of cells, got ${numCells}`);
    this.slotCells = Array.from({ length: numSlots }, () => []);
    this.holders = new Uint16Array(numCells);
    this.freeCells = Array.from({ length: numCells }, (_, i) => numCells - 1 - i);
  }

  get numFree(): number {
    return this.freeCells.length;
  }

  get numUsed(): number {
    return this.numCells - this.freeCells.length;
  }

  /** Used cells over the pool: vLLM's `kv_cache_usage_perc` (a 0-1 fraction). */
  get usage(): number {
    return this.numUsed / this.numCells;
  }

  /** Positions whose KV the slot holds. */
  lengthOf(slotId: number): number {
    return this.slotCells[slotId].length;
  }

  /** Distinct cells any of these slots holds (shared cells once). */
  numHeldBy(slotIds: Iterable<number>): number {
    const seen = new Uint8Array(this.numCells);
    let held = 0;
    for (const slotId of slotIds) {
      for (const cell of this.slotCells[slotId]) {
        if (seen[cell]) continue;
        seen[cell] = 1;
        held++;
      }
    }
    return held;
  }

  /** Cells that only this slot holds: what dropping its KV would free. */
  numOwnedBy(slotId: number): number {
    let owned = 0;
    for (const cell of this.slotCells[slotId]) if (this.holders[cell] === 1) owned++;
    return owned;
  }

  /** Takes cells for `numTokens` more positions of the slot; false (taking none) when the pool has too few. */
  grow(slotId: number, numTokens: number): boolean {
    if (numTokens > this.freeCells.length) return false;
    const cells = this.slotCells[slotId];
    for (let i = 0; i < numTokens; i++) {
      const cell = this.freeCells.pop()!;
      this.holders[cell] = 1;
      cells.push(cell);
    }
    return true;
  }

  /** Drops the slot's positions from `fromPosition` on; cells no other slot holds become free. */
  truncate(slotId: number, fromPosition: number): void {
    const cells = this.slotCells[slotId];
    while (cells.length > fromPosition) this.release(cells.pop()!);
  }

  /** The target slot's KV becomes the first `numTokens` positions of the source's, sharing their cells. */
  copyPrefix(fromSlotId: number, toSlotId: number, numTokens: number): void {
    const source = this.slotCells[fromSlotId];
    if (source.length < numTokens) throw new Error(`slot ${fromSlotId} holds ${source.length} positions, not ${numTokens}`);
    this.truncate(toSlotId, 0);
    const shared = source.slice(0, numTokens);
    for (const cell of shared) this.holders[cell]++;
    this.slotCells[toSlotId] = shared;
  }

  private release(cell: number): void {
    if (--this.holders[cell] === 0) this.freeCells.push(cell);
  }
}

export interface KvPoolSizing {
  /** --kv-cache-tokens: cells, as given. */
  kvCacheTokens: number | null;
  /** --kv-cache-memory: a budget in bytes. */
  kvCacheMemoryBytes: number | null;
  /** KV bytes of one position (all layers, K and V). */
  bytesPerCell: number;
  maxModelLen: number;
  maxNumSeqs: number;
}

/** With no budget given, the pool takes up to this much memory (and at least one whole --max-model-len). */
export const defaultKvCacheMemoryBytes = 1024 ** 3;

/**
 * Whether a pool of `cells` beats a fixed share per sequence: only when it
 * holds fewer cells than every sequence at full length. One that big saves no
 * memory, and it costs decode time: in llama.cpp's unified cache each
 * sequence's attention runs over the pool's whole used range (masked), not
 * over its own cells. Measured on the 0.5B benchmark model: 0.71x the output
 * tokens/s at C=16 and 0.89x at C=8 (BENCHMARKS.md, issue 19); llama.cpp's own
 * llama-batched-bench shows 0.87-0.95x for `-kvu`.
 */
export function isKvPoolWorthIt(cells: number, maxModelLen: number, maxNumSeqs: number): boolean {
  return cells < maxModelLen * maxNumSeqs;
}

/**
 * Cells in the pool: as given in tokens, or as many as the byte budget holds.
 * Without either, every sequence at full length if that is small, else what
 * the default budget holds, and never less than one full-length sequence
 * (as llama-server `-kvu` sizes its pool with `-c`). Never more than all
 * sequences at full length: that much is never used.
 */
export function resolveKvPoolCells(sizing: KvPoolSizing): number {
  const { kvCacheTokens, kvCacheMemoryBytes, bytesPerCell, maxModelLen, maxNumSeqs } = sizing;
  const most = maxModelLen * maxNumSeqs;
  if (kvCacheTokens !== null) return Math.min(kvCacheTokens, most);
  const budgetCells = Math.floor((kvCacheMemoryBytes ?? defaultKvCacheMemoryBytes) / Math.max(1, bytesPerCell));
  const cells = kvCacheMemoryBytes !== null ? budgetCells : Math.max(budgetCells, maxModelLen);
  return Math.max(1, Math.min(cells, most));
}
