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
  /** Before anything else, save the granted slot's cache into another free slot. */
  park: { toSlotId: number; numTokens: number } | null;
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
    if (!this.isPrefixCachingEnabled) return 0; // nothing would be reused: waiting gains nothing
    let best = 0;
    for (const slot of this.slots) {
      if (slot.owner) best = Math.max(best, commonPrefixLength(slot.owner.tokens, tokens));
    }
    return best;
  }

  /**
   * Running sequences always get the lowest free slot id, so decode batches
   * stay one run of consecutive sequence ids, which llama.cpp computes as one
   * micro-batch (scattered ids split it, each piece paying for the weights
   * again). The cache is kept apart from that packing: a cached prefix in the
   * granted slot is first parked in a free slot holding something older, and
   * a prompt's prefix is copied from whichever slot holds it.
   */
  acquire(promptTokens: readonly number[], owner: KvHolder, canReusePrefix = true): SlotGrant | null {
    const slot = this.slots.find((s) => s.owner === null);
    if (!slot) return null;
    // The last prompt token is computed for its logits; with prompt logprobs, every one is.
    const limit = canReusePrefix ? promptTokens.length - 1 : 0;
    const { slot: source, match: fullMatch } = this.findSource(promptTokens);
    const match = Math.min(fullMatch, limit);
    const keepsWholeCache = source === slot && match >= slot.cachedTokens.length - 1;

    let park: SlotGrant["park"] = null;
    if (this.isPrefixCachingEnabled && !keepsWholeCache && slot.cachedTokens.length >= minTokensToCopy) {
      const parking = this.pickParking(slot, source);
      if (parking) {
        park = { toSlotId: parking.id, numTokens: slot.cachedTokens.length };
        parking.cachedTokens = slot.cachedTokens;
        parking.lastReleasedAt = slot.lastReleasedAt;
      }
    }

    let copyFromSlotId: number | null = null;
    let numReusableTokens = 0;
    if (source === slot) numReusableTokens = match;
    else if (source !== null && match >= minTokensToCopy) {
      copyFromSlotId = source.id;
      numReusableTokens = match;
    }
    slot.owner = owner;
    slot.cachedTokens = [];
    return { slotId: slot.id, numReusableTokens, copyFromSlotId, park };
  }

  /** Frees the slot, remembering the tokens whose KV it still holds (unless its KV was dropped). */
  release(slotId: number, isKvDropped = false): void {
    const slot = this.slots[slotId];
    const owner = slot.owner;
    slot.owner = null;
    slot.cachedTokens = this.isPrefixCachingEnabled && owner && !isKvDropped ? owner.tokens.slice(0, owner.numComputed) : [];
    slot.lastReleasedAt = ++this.releaseCounter;
  }

  /** Free slots holding a cached prefix, least recently released first: the order a full KV pool evicts them in. */
  cachedFreeSlotIds(): number[] {
    return this.slots
      .filter((slot) => slot.owner === null && slot.cachedTokens.length > 0)
      .sort((a, b) => a.lastReleasedAt - b.lastReleasedAt)
      .map((slot) => slot.id);
  }

  /** Forgets a free slot's cached prefix (its KV is being dropped). */
  forgetCache(slotId: number): void {
    const slot = this.slots[slotId];
    if (slot.owner === null) slot.cachedTokens = [];
  }

  /** Ids of slots with a running owner. */
  ownedSlotIds(): number[] {
    return this.slots.filter((slot) => slot.owner !== null).map((slot) => slot.id);
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

  /** Where to save `slot`'s cache: an empty free slot, else the free slot released longest ago before it. */
  private pickParking(slot: Slot, source: Slot | null): Slot | null {
    let best: Slot | null = null;
    for (const candidate of this.slots) {
      if (candidate.owner !== null || candidate === slot || candidate === source) continue;
      if (candidate.cachedTokens.length === 0) return candidate;
      if (candidate.lastReleasedAt < slot.lastReleasedAt && (best === null || candidate.lastReleasedAt < best.lastReleasedAt)) best = candidate;
    }
    return best;
  }
}

export function commonPrefixLength(a: readonly number[], b: readonly number[], maxLength = Infinity): number {
  const limit = Math.min(a.length, b.length, maxLength);
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
