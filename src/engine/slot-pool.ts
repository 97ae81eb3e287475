/**
 * KV slots and what each holds: the prefix cache. A released slot keeps its
 * tokens' KV; a running one holds its sequence's computed tokens. A new prompt
 * takes the longest matching prefix from ANY slot: in place when that slot is
 * free and nothing else would be lost, otherwise by copying the prefix into
 * another slot, so one cached system prompt serves every user at once
 * (llama-server keeps a prefix per slot and recomputes it in each new slot).
 */

/** What a running slot's owner exposes: the tokens whose KV is computed. */
export interface KvHolder {
  readonly tokens: readonly number[];
  readonly numComputed: number;
}

interface Slot {
  readonly id: number;
  owner: KvHolder | null;
  /** For a free slot: tokens whose KV it holds, from position 0. */
  cachedTokens: readonly number[];
  lastReleasedAt: number;
}

export interface SlotGrant {
  slotId: number;
  /** Leading prompt tokens whose KV the slot will hold before computing. */
  numReusableTokens: number;
  /** Copy the first `numReusableTokens` tokens' KV from this slot first. */
  copyFromSlotId: number | null;
}

/** Below this, recomputing a shared prefix costs less than copying a slot's KV. */
const minTokensToCopy = 16;

export class SlotPool {
  private readonly slots: Slot[];
  private releaseCounter = 0;

  constructor(numSlots: number, private readonly isPrefixCachingEnabled: boolean) {
    this.slots = Array.from({ length: numSlots }, (_, id) => ({ id, owner: null, cachedTokens: [], lastReleasedAt: 0 }));
  }

  get numFree(): number {
    return this.slots.filter((slot) => slot.owner === null).length;
  }

  get numInUse(): number {
    return this.slots.length - this.numFree;
  }

  /** The longest prefix of `tokens` any slot holds (computed tokens only). */
  longestCachedPrefix(tokens: readonly number[]): number {
    return this.findSource(tokens).match;
  }

  /**
   * The longest prefix of `tokens` that running sequences hold or will hold
   * once their prompts are computed: a request sharing it is better off
   * waiting for that prefill than computing the same tokens in parallel.
   */
  longestPendingPrefix(tokens: readonly number[]): number {
    let best = 0;
    for (const slot of this.slots) {
      if (slot.owner) best = Math.max(best, commonPrefixLength(slot.owner.tokens, tokens));
    }
    return best;
  }

  acquire(promptTokens: readonly number[], owner: KvHolder): SlotGrant | null {
    const free = this.slots.filter((slot) => slot.owner === null);
    if (free.length === 0) return null;
    const limit = promptTokens.length - 1; // the last prompt token is computed for its logits
    const source = this.findSource(promptTokens);
    const match = Math.min(source.match, limit);
    const sourceSlot = source.slot;

    let slot: Slot;
    let copyFromSlotId: number | null = null;
    let numReusableTokens = 0;
    const sourceIsFree = sourceSlot !== null && sourceSlot.owner === null;
    if (sourceIsFree && (match >= sourceSlot.cachedTokens.length - 1 || free.length === 1)) {
      slot = sourceSlot; // taking it in place loses nothing worth keeping
      numReusableTokens = match;
    } else {
      slot = this.pickVictim(free.filter((s) => s !== sourceSlot)) ?? sourceSlot!;
      if (slot === sourceSlot) numReusableTokens = match;
      else if (match >= minTokensToCopy) {
        copyFromSlotId = sourceSlot!.id;
        numReusableTokens = match;
      }
    }
    slot.owner = owner;
    slot.cachedTokens = [];
    return { slotId: slot.id, numReusableTokens, copyFromSlotId };
  }

  /** Frees the slot, remembering the tokens whose KV it still holds. */
  release(slotId: number): void {
    const slot = this.slots[slotId];
    const owner = slot.owner;
    slot.owner = null;
    slot.cachedTokens = this.isPrefixCachingEnabled && owner ? owner.tokens.slice(0, owner.numComputed) : [];
    slot.lastReleasedAt = ++this.releaseCounter;
  }

  private findSource(tokens: readonly number[]): { slot: Slot | null; match: number } {
    let best: Slot | null = null;
    let bestMatch = 0;
    if (!this.isPrefixCachingEnabled) return { slot: null, match: 0 };
    for (const slot of this.slots) {
      const match = slot.owner
        ? commonPrefixLength(slot.owner.tokens, tokens, slot.owner.numComputed)
        : commonPrefixLength(slot.cachedTokens, tokens);
      // Ties go to a free slot: it can be taken in place, with no copy.
      if (match > bestMatch || (match === bestMatch && match > 0 && best?.owner && !slot.owner)) {
        best = slot;
        bestMatch = match;
      }
    }
    return { slot: best, match: bestMatch };
  }

  /**
   * Empty slots first, lowest id first (low ids keep decode batches
   * contiguous, which llama.cpp runs as one micro-batch); then the least
   * recently released.
   */
  private pickVictim(candidates: Slot[]): Slot | null {
    let best: Slot | null = null;
    for (const slot of candidates) {
      if (best === null) best = slot;
      else {
        const slotEmpty = slot.cachedTokens.length === 0;
        const bestEmpty = best.cachedTokens.length === 0;
        if (slotEmpty !== bestEmpty) {
          if (slotEmpty) best = slot;
        } else if (slotEmpty ? slot.id < best.id : slot.lastReleasedAt < best.lastReleasedAt) best = slot;
      }
    }
    return best;
  }
}

/** Length of the common prefix, looking at most `maxLength` tokens far. */
export function commonPrefixLength(a: readonly number[], b: readonly number[], maxLength = Infinity): number {
  const limit = Math.min(a.length, b.length, maxLength);
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
