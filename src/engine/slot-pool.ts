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

/** A prompt's common prefix with each slot's tokens (uncapped by what is computed), as of one state of the pool. */
interface PrefixMatches {
  version: number;
  numTokens: number;
  matches: number[];
  /** Each owner's token count when matched: a match that reached it may go on as the owner generates. */
  ownerLengths: number[];
}

export class SlotPool {
  private readonly slots: Slot[];
  private releaseCounter = 0;
  /** Bumped whenever a slot changes owner or cache: a waiting prompt's matches are scanned again only then. */
  private version = 0;
  private readonly prefixMatches = new WeakMap<readonly number[], PrefixMatches>();

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
    const { matches } = this.matchesOf(tokens);
    let best = 0;
    this.slots.forEach((slot, i) => slot.owner && (best = Math.max(best, matches[i])));
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
    this.version++;
    return { slotId: slot.id, numReusableTokens, copyFromSlotId, park };
  }

  /** Frees the slot, remembering the tokens whose KV it still holds (unless its KV was dropped). */
  release(slotId: number, isKvDropped = false): void {
    const slot = this.slots[slotId];
    const owner = slot.owner;
    slot.owner = null;
    slot.cachedTokens = this.isPrefixCachingEnabled && owner && !isKvDropped ? owner.tokens.slice(0, owner.numComputed) : [];
    slot.lastReleasedAt = ++this.releaseCounter;
    this.version++;
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
    this.version++;
  }

  /** Ids of slots with a running owner. */
  ownedSlotIds(): number[] {
    return this.slots.filter((slot) => slot.owner !== null).map((slot) => slot.id);
  }

  private findSource(tokens: readonly number[]): { slot: Slot | null; match: number } {
    let best: Slot | null = null;
    let bestMatch = 0;
    if (!this.isPrefixCachingEnabled) return { slot: null, match: 0 };
    const { matches } = this.matchesOf(tokens);
    for (const slot of this.slots) {
      const match = slot.owner ? Math.min(matches[slot.id], slot.owner.numComputed) : matches[slot.id];
      // Ties go to a free slot: it can be taken in place, with no copy.
      if (match > bestMatch || (match === bestMatch && match > 0 && best?.owner && !slot.owner)) {
        best = slot;
        bestMatch = match;
      }
    }
    return { slot: best, match: bestMatch };
  }

  /**
   * `tokens`' common prefix with every slot, scanned once per state of the
   * pool: a prompt that waits step after step (for a slot, or for a shared
   * prefix another request is computing) is not compared again token by token
   * each step. Owners only append, so a match that reached an owner's end is
   * extended from there.
   */
  private matchesOf(tokens: readonly number[]): PrefixMatches {
    let memo = this.prefixMatches.get(tokens);
    if (memo === undefined || memo.version !== this.version || memo.numTokens !== tokens.length) {
      memo = {
        version: this.version,
        numTokens: tokens.length,
        matches: this.slots.map((slot) => commonPrefixLength(slot.owner ? slot.owner.tokens : slot.cachedTokens, tokens)),
        ownerLengths: this.slots.map((slot) => slot.owner?.tokens.length ?? 0),
      };
      this.prefixMatches.set(tokens, memo);
      return memo;
    }
    for (const slot of this.slots) {
      const ownerTokens = slot.owner?.tokens;
      if (!ownerTokens || memo.matches[slot.id] < memo.ownerLengths[slot.id] || ownerTokens.length === memo.ownerLengths[slot.id]) continue;
      memo.matches[slot.id] = commonPrefixLength(ownerTokens, tokens, Infinity, memo.matches[slot.id]);
      memo.ownerLengths[slot.id] = ownerTokens.length;
    }
    return memo;
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

/** How many leading elements `a` and `b` share, at most `maxLength`; `from`: the first `from` are known to match. */
export function commonPrefixLength(a: readonly number[], b: readonly number[], maxLength = Infinity, from = 0): number {
  const limit = Math.min(a.length, b.length, maxLength);
  let i = from;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}
