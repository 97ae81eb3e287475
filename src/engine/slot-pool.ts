/**
 * KV slots and what each still holds. A released slot keeps its tokens' KV, so
 * a later request sharing a prefix (a system prompt, a chat history) skips
 * recomputing it: the slot is the prefix cache entry, reused by longest match,
 * otherwise least recently used.
 */

interface Slot {
  readonly id: number;
  isInUse: boolean;
  /** Tokens whose KV the slot holds, from position 0. */
  cachedTokens: readonly number[];
  lastReleasedAt: number;
}

export interface SlotGrant {
  slotId: number;
  /** Leading prompt tokens whose KV is already in the slot. */
  numReusableTokens: number;
}

export class SlotPool {
  private readonly slots: Slot[];
  private releaseCounter = 0;

  constructor(numSlots: number, private readonly isPrefixCachingEnabled: boolean) {
    this.slots = Array.from({ length: numSlots }, (_, id) => ({ id, isInUse: false, cachedTokens: [], lastReleasedAt: 0 }));
  }

  get numFree(): number {
    return this.slots.filter((slot) => !slot.isInUse).length;
  }

  get numInUse(): number {
    return this.slots.length - this.numFree;
  }

  /**
   * Picks a free slot for a prompt: the one holding its longest prefix, else
   * the lowest-numbered empty or least recently used one (low ids keep decode
   * batches contiguous, which llama.cpp runs as one micro-batch).
   * At least the prompt's last token is left to compute, to get its logits.
   */
  acquire(promptTokens: readonly number[]): SlotGrant | null {
    let best: Slot | null = null;
    let bestMatch = 0;
    for (const slot of this.slots) {
      if (slot.isInUse) continue;
      const match = this.isPrefixCachingEnabled ? commonPrefixLength(slot.cachedTokens, promptTokens) : 0;
      if (best === null || match > bestMatch || (match === bestMatch && this.isBetterVictim(slot, best))) {
        best = slot;
        bestMatch = match;
      }
    }
    if (best === null) return null;
    best.isInUse = true;
    const numReusableTokens = Math.min(bestMatch, promptTokens.length - 1);
    best.cachedTokens = best.cachedTokens.slice(0, numReusableTokens);
    return { slotId: best.id, numReusableTokens };
  }

  /** Frees the slot, remembering the tokens whose KV it still holds. */
  release(slotId: number, computedTokens: readonly number[]): void {
    const slot = this.slots[slotId];
    slot.isInUse = false;
    slot.cachedTokens = this.isPrefixCachingEnabled ? computedTokens : [];
    slot.lastReleasedAt = ++this.releaseCounter;
  }

  private isBetterVictim(candidate: Slot, current: Slot): boolean {
    const candidateEmpty = candidate.cachedTokens.length === 0;
    const currentEmpty = current.cachedTokens.length === 0;
    if (candidateEmpty !== currentEmpty) return candidateEmpty;
    if (candidateEmpty) return candidate.id < current.id;
    return candidate.lastReleasedAt < current.lastReleasedAt;
  }
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
