/**
 * The engine's view of the runner's KV cache: every truncate and prefix copy
 * goes through here, so with a shared pool (ModelRunner.kvPoolCells) the
 * pool's accounting mirrors the runner's cells. Before each forward pass,
 * `makeRoom` frees cells for the step's new tokens, as vLLM v1 does: first
 * the prefix cache of free slots, least recently used first, then by
 * preempting running sequences (the lowest priority, latest admitted first),
 * whose KV is dropped and recomputed when they are admitted again. Without a
 * pool every slot owns its cells and none of this is needed.
 */
import { KvPool } from "./kv-pool.js";
import type { ModelRunner } from "./model-runner.js";
import type { ScheduledChunk } from "./scheduler.js";
import type { Sequence } from "./sequence.js";
import type { SlotPool } from "./slot-pool.js";

export class PooledKv {
  readonly pool: KvPool | null;

  constructor(private readonly runner: ModelRunner) {
    this.pool = runner.kvPoolCells ? new KvPool(runner.kvPoolCells, runner.numSlots) : null;
  }

  truncate(slotId: number, fromPosition: number): void {
    this.runner.truncateSlot(slotId, fromPosition);
    this.pool?.truncate(slotId, fromPosition);
  }

  async copyPrefix(fromSlotId: number, toSlotId: number, numTokens: number): Promise<void> {
    await this.runner.copySlotPrefix(fromSlotId, toSlotId, numTokens);
    this.pool?.copyPrefix(fromSlotId, toSlotId, numTokens);
  }

  /** Cells a step may fill: free ones plus those only free slots' caches hold (Infinity without a pool). */
  room(slots: SlotPool): number {
    if (!this.pool) return Infinity;
    const pool = this.pool;
    return pool.numFree + slots.cachedFreeSlotIds().reduce((sum, slotId) => sum + pool.numOwnedBy(slotId), 0);
  }

  /**
   * Frees cells until the chunks' tokens fit, then takes them. A preempted
   * sequence's chunk leaves `chunks`; `preempt` must drop its KV (through
   * `truncate`) and put it back in the queue. Returns false when even that
   * cannot make room (the pool is smaller than one sequence: refused at start).
   */
  makeRoom(chunks: ScheduledChunk[], running: readonly Sequence[], slots: SlotPool, preempt: (sequence: Sequence) => void): boolean {
    const pool = this.pool;
    if (!pool) return true;
    const needed = () => chunks.reduce((sum, chunk) => sum + chunk.numTokens, 0);
    const preempted = new Set<Sequence>();
    while (pool.numFree < needed()) {
      const [oldestCache] = slots.cachedFreeSlotIds();
      if (oldestCache !== undefined) {
        slots.forgetCache(oldestCache);
        this.truncate(oldestCache, 0);
        continue;
      }
      const victim = pickVictim(running.filter((sequence) => !preempted.has(sequence) && sequence.slotId !== null));
      if (!victim) return false;
      preempted.add(victim);
      const index = chunks.findIndex((chunk) => chunk.sequence === victim);
      if (index >= 0) chunks.splice(index, 1);
      preempt(victim);
    }
    for (const { sequence, numTokens } of chunks) pool.grow(sequence.slotId!, numTokens);
    return true;
  }

  /** vLLM's kv_cache_usage_perc: cells running sequences hold (prefix caches of free slots are free to take). */
  usage(slots: SlotPool): number {
    if (!this.pool) return slots.numInUse / Math.max(1, this.runner.numSlots);
    return this.pool.numHeldBy(slots.ownedSlotIds()) / this.pool.numCells;
  }
}

/** The lowest priority (highest value), and among equals the latest admitted: the end of the running list. */
function pickVictim(candidates: readonly Sequence[]): Sequence | null {
  let victim: Sequence | null = null;
  for (const sequence of candidates) if (victim === null || sequence.priority >= victim.priority) victim = sequence;
  return victim;
}
