/**
 * Which models are in memory: served names mapped to loadable models, loaded
 * lazily on their first request and unloaded least-recently-used first when a
 * budget (number of models and/or bytes) would be exceeded.
 *
 * A model with leases (requests running on it, or waiting for its load) is
 * never unloaded. When a load needs room and every loaded model is busy, the
 * request gets a 503 with Retry-After rather than waiting: waiting for busy
 * models to go idle could starve it behind a steady stream of their requests.
 *
 * Generic over what a loaded model is, so the policy is tested with fake
 * loaders (model-registry.test.ts); the CLI hands it real ones.
 */
import { NoRoomForModel } from "../domain-errors.js";

export interface RegistryEntry<T> {
  /** Every name this model answers to; the first one is used in log lines. */
  names: readonly string[];
  /** What the model takes in memory once loaded, for the byte budget. */
  sizeBytes: number;
  load(): Promise<T>;
  unload(value: T): Promise<void>;
}

export interface ModelLease<T> {
  readonly value: T;
  /** Idempotent: the model may be unloaded once every lease on it is released. */
  release(): void;
}

export interface ModelRegistryOptions {
  /** null: no limit. */
  maxLoadedModels: number | null;
  /** null: no limit. A model larger than the budget still loads when nothing else is loaded. */
  maxLoadedBytes: number | null;
  log: (line: string) => void;
}

type ModelState = "unloaded" | "loading" | "loaded" | "unloading";

interface ModelSlot<T> {
  readonly entry: RegistryEntry<T>;
  state: ModelState;
  value: T | undefined;
  /** The load or unload under way. */
  pending: Promise<unknown> | null;
  numLeases: number;
  /** Logical time of the last acquire: a counter, so the order needs no clock. */
  lastUsed: number;
}

export class ModelRegistry<T> {
  private readonly slots: ModelSlot<T>[];
  private readonly byName = new Map<string, ModelSlot<T>>();
  private tick = 0;

  constructor(
    entries: readonly RegistryEntry<T>[],
    private readonly options: ModelRegistryOptions,
  ) {
    this.slots = entries.map((entry) => ({ entry, state: "unloaded", value: undefined, pending: null, numLeases: 0, lastUsed: 0 }));
    for (const slot of this.slots) {
      for (const name of slot.entry.names) {
        if (this.byName.has(name)) throw new Error(`the model name '${name}' is used twice`);
        this.byName.set(name, slot);
      }
    }
  }

  /** Serves `name` (a runtime LoRA adapter) from the model that serves `existing`. */
  addName(name: string, existing: string): void {
    const slot = this.byName.get(existing);
    if (!slot) throw new Error(`no model named '${existing}'`);
    if (this.byName.has(name)) throw new Error(`the model name '${name}' is used twice`);
    this.byName.set(name, slot);
  }

  /** Stops serving a name added by `addName`. */
  removeName(name: string): void {
    const slot = this.byName.get(name);
    if (!slot || slot.entry.names.includes(name)) throw new Error(`'${name}' is not a name added at run time`);
    this.byName.delete(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  isLoaded(name: string): boolean {
    return this.byName.get(name)?.state === "loaded";
  }

  /** The loaded model's value, or null; no lease is taken (for scrapes and listings). */
  peek(name: string): T | null {
    const slot = this.byName.get(name);
    return slot?.state === "loaded" ? (slot.value as T) : null;
  }

  /** The model for `name`, loading it first if needed; release the lease when the request is done. */
  async acquire(name: string): Promise<ModelLease<T>> {
    const slot = this.byName.get(name);
    if (!slot) throw new Error(`no model named '${name}'`);
    // Counted before any await, so the model cannot be chosen for unloading meanwhile.
    slot.numLeases++;
    slot.lastUsed = ++this.tick;
    try {
      const value = await this.ensureLoaded(slot);
      let isReleased = false;
      return {
        value,
        release: () => {
          if (isReleased) return;
          isReleased = true;
          slot.numLeases--;
        },
      };
    } catch (error) {
      slot.numLeases--;
      throw error;
    }
  }

  /** Unloads every model (shutdown); leases are not waited for. */
  async closeAll(): Promise<void> {
    await Promise.allSettled(this.slots.map((slot) => slot.pending));
    await Promise.all(this.slots.filter((slot) => slot.state === "loaded").map((slot) => this.unload(slot)));
  }

  /** The values of the models in memory now. */
  loadedValues(): T[] {
    return this.slots.filter((slot) => slot.state === "loaded").map((slot) => slot.value as T);
  }

  private async ensureLoaded(slot: ModelSlot<T>): Promise<T> {
    for (;;) {
      if (slot.state === "loaded") return slot.value as T;
      if (slot.state === "unloaded") break;
      // Loading: share its outcome, failure included.
      if (slot.state === "loading") return (await slot.pending) as T;
      await slot.pending?.catch(() => undefined);
    }
    const evicted = this.makeRoomFor(slot);
    const name = slot.entry.names[0];
    slot.state = "loading";
    const load = (async () => {
      // Memory is only free once the evicted models are gone, and so are earlier evictions still under way.
      await Promise.allSettled([...evicted, ...this.slots.filter((s) => s.state === "unloading").map((s) => s.pending)]);
      return slot.entry.load();
    })();
    slot.pending = load;
    try {
      slot.value = await load;
      slot.state = "loaded";
      return slot.value;
    } catch (error) {
      slot.state = "unloaded";
      this.options.log(`pagoda: loading model ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    } finally {
      slot.pending = null;
    }
  }

  /**
   * Starts unloading idle models, least recently used first, until `slot` fits
   * the budget; throws a 503 when only busy models could make room. Synchronous
   * up to the unloads' start, so two loads never pick the same victims.
   */
  private makeRoomFor(slot: ModelSlot<T>): Promise<void>[] {
    const { maxLoadedModels, maxLoadedBytes } = this.options;
    const resident = this.slots.filter((s) => s.state === "loaded" || s.state === "loading");
    const idle = resident.filter((s) => s.state === "loaded" && s.numLeases === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    const victims: ModelSlot<T>[] = [];
    const fits = () => {
      const remaining = resident.filter((s) => !victims.includes(s));
      const isCountOk = maxLoadedModels === null || remaining.length + 1 <= maxLoadedModels;
      const bytes = remaining.reduce((sum, s) => sum + s.entry.sizeBytes, 0);
      const isBytesOk = maxLoadedBytes === null || remaining.length === 0 || bytes + slot.entry.sizeBytes <= maxLoadedBytes;
      return isCountOk && isBytesOk;
    };
    while (!fits()) {
      const victim = idle.shift();
      if (!victim) {
        const busy = resident.filter((s) => !victims.includes(s)).map((s) => s.entry.names[0]);
        throw new NoRoomForModel(slot.entry.names[0], busy);
      }
      victims.push(victim);
    }
    return victims.map((victim) => {
      this.options.log(`pagoda: unloading model ${victim.entry.names[0]} (least recently used, idle) to make room for ${slot.entry.names[0]}`);
      return this.unload(victim);
    });
  }

  private unload(slot: ModelSlot<T>): Promise<void> {
    const value = slot.value as T;
    slot.state = "unloading";
    slot.value = undefined;
    const unload = slot.entry.unload(value).finally(() => {
      slot.state = "unloaded";
      slot.pending = null;
      this.options.log(`pagoda: unloaded model ${slot.entry.names[0]}`);
    });
    slot.pending = unload;
    return unload;
  }
}
