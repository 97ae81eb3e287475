/**
 * Stored responses (OpenAI's default `store: true`): each response with its
 * own input items, found by response id or by any of its items' ids (the AI
 * SDK sends earlier turns back as `item_reference`s). Bounded: entries are
 * counted by their JSON size, the least recently used go first once the
 * total passes `maxBytes`, and entries older than `ttlMs` are gone. The clock
 * is injected; nothing here runs on a timer.
 *
 * A conversation is a chain of `previous_response_id` links, not a copy per
 * turn, so a long conversation costs its size once.
 */
import type { WireItem } from "./responses-input.js";
import type { ResponseBody } from "./responses-output.js";

export interface StoredResponse {
  response: ResponseBody;
  /** The request's own input items (item references resolved), each with an id. */
  inputItems: WireItem[];
  storedAtMs: number;
}

export interface ResponseStoreOptions {
  maxBytes: number;
  /** 0: no expiry. */
  ttlMs: number;
  now: () => number;
}

/** Why an id is not there: never seen (or deleted) vs. dropped for room or age. */
export type Absence = "unknown" | "evicted";

/** Ids evicted for room or age are remembered (ids only, bounded) so a 404 can say why. */
const maxRememberedEvictions = 10_000;

export class ResponseStore {
  private readonly entries = new Map<string, { stored: StoredResponse; numBytes: number }>();
  private readonly itemOwners = new Map<string, string>();
  private readonly evicted = new Set<string>();
  private numBytesTotal = 0;
  /** Called after every change (persistence schedules a save). */
  onChange: () => void = () => {};

  constructor(private readonly options: ResponseStoreOptions) {}

  get numBytes(): number {
    return this.numBytesTotal;
  }

  get size(): number {
    return this.entries.size;
  }

  put(response: ResponseBody, inputItems: WireItem[]): void {
    this.remove(response.id);
    const stored: StoredResponse = { response, inputItems, storedAtMs: this.options.now() };
    this.insert(stored);
    this.evictToFit();
    this.onChange();
  }

  /** The response, refreshed as most recently used; absent when unknown, deleted, expired or evicted. */
  get(id: string): StoredResponse | undefined {
    this.dropExpired();
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.stored;
  }

  absence(id: string): Absence {
    return this.evicted.has(id) ? "evicted" : "unknown";
  }

  /** An input or output item of any stored response. */
  item(itemId: string): WireItem | undefined {
    const owner = this.itemOwners.get(itemId);
    const stored = owner === undefined ? undefined : this.get(owner);
    if (!stored) return undefined;
    const items = [...stored.inputItems, ...(stored.response.output as unknown as WireItem[])];
    return items.find((item) => item.id === itemId);
  }

  delete(id: string): boolean {
    const isRemoved = this.remove(id);
    if (isRemoved) this.onChange();
    return isRemoved;
  }

  /** Every entry, least recently used first (what persistence writes). */
  snapshot(): StoredResponse[] {
    this.dropExpired();
    return [...this.entries.values()].map((entry) => entry.stored);
  }

  /** Entries read back from disk, in their order; expired ones skipped, the bound applied. */
  restore(entries: readonly StoredResponse[]): void {
    for (const stored of entries) this.insert(stored);
    this.dropExpired();
    this.evictToFit();
  }

  private insert(stored: StoredResponse): void {
    const numBytes = Buffer.byteLength(JSON.stringify(stored));
    this.entries.set(stored.response.id, { stored, numBytes });
    this.numBytesTotal += numBytes;
    for (const item of [...stored.inputItems, ...(stored.response.output as unknown as WireItem[])]) {
      if (typeof item.id === "string") this.itemOwners.set(item.id, stored.response.id);
    }
    this.evicted.delete(stored.response.id);
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.numBytesTotal -= entry.numBytes;
    for (const item of [...entry.stored.inputItems, ...(entry.stored.response.output as unknown as WireItem[])]) {
      if (typeof item.id === "string" && this.itemOwners.get(item.id) === id) this.itemOwners.delete(item.id);
    }
    return true;
  }

  private evictToFit(): void {
    for (const id of this.entries.keys()) {
      if (this.numBytesTotal <= this.options.maxBytes) break;
      this.evict(id);
    }
  }

  private dropExpired(): void {
    if (this.options.ttlMs <= 0) return;
    const oldest = this.options.now() - this.options.ttlMs;
    for (const [id, entry] of this.entries) if (entry.stored.storedAtMs <= oldest) this.evict(id);
  }

  private evict(id: string): void {
    this.remove(id);
    this.evicted.add(id);
    if (this.evicted.size > maxRememberedEvictions) this.evicted.delete(this.evicted.values().next().value!);
    this.onChange();
  }
}
