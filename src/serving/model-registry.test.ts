import assert from "node:assert/strict";
import { test } from "node:test";
import { NoRoomForModel } from "../domain-errors.js";
import { ModelRegistry, type RegistryEntry } from "./model-registry.js";

/** A loader whose loads and unloads finish only when the test says so. */
class FakeModels {
  readonly events: string[] = [];
  readonly logs: string[] = [];
  private readonly pendingLoads = new Map<string, () => void>();

  entry(name: string, options: { sizeBytes?: number; aliases?: string[]; isManual?: boolean; fails?: boolean } = {}): RegistryEntry<string> {
    return {
      names: [name, ...(options.aliases ?? [])],
      sizeBytes: options.sizeBytes ?? 1,
      load: async () => {
        this.events.push(`load ${name}`);
        if (options.isManual) await new Promise<void>((resolve) => this.pendingLoads.set(name, resolve));
        if (options.fails) throw new Error(`cannot load ${name}`);
        return `${name}-weights`;
      },
      unload: async (value) => {
        this.events.push(`unload ${value}`);
      },
    };
  }

  finishLoad(name: string): void {
    this.pendingLoads.get(name)!();
  }

  registry(entries: RegistryEntry<string>[], budget: { maxLoadedModels?: number; maxLoadedBytes?: number }) {
    return new ModelRegistry(entries, {
      maxLoadedModels: budget.maxLoadedModels ?? null,
      maxLoadedBytes: budget.maxLoadedBytes ?? null,
      log: (line) => this.logs.push(line),
    });
  }
}

async function use(registry: ModelRegistry<string>, name: string): Promise<string> {
  const lease = await registry.acquire(name);
  lease.release();
  return lease.value;
}

test("models load on their first request, once, and answer to every alias", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a", { aliases: ["a2"] }), fake.entry("b")], {});
  assert.equal(registry.isLoaded("a"), false);
  assert.equal(await use(registry, "a2"), "a-weights");
  assert.equal(await use(registry, "a"), "a-weights");
  assert.equal(await use(registry, "b"), "b-weights");
  assert.deepEqual(fake.events, ["load a", "load b"]);
  assert.equal(registry.has("a2"), true);
  assert.equal(registry.has("c"), false);
});

test("names must be unique across models", () => {
  const fake = new FakeModels();
  assert.throws(() => fake.registry([fake.entry("a"), fake.entry("b", { aliases: ["a"] })], {}), /'a' is used twice/);
});

test("under --max-loaded-models 1, alternating requests unload and reload", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a"), fake.entry("b")], { maxLoadedModels: 1 });
  await use(registry, "a");
  await use(registry, "b");
  await use(registry, "a");
  assert.deepEqual(fake.events, ["load a", "unload a-weights", "load b", "unload b-weights", "load a"]);
  assert.deepEqual(registry.loadedValues(), ["a-weights"]);
  assert.ok(fake.logs.some((line) => /unloading model b .*to make room for a/.test(line)));
});

test("the least recently used idle model is unloaded first", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a"), fake.entry("b"), fake.entry("c")], { maxLoadedModels: 2 });
  await use(registry, "a");
  await use(registry, "b");
  await use(registry, "a"); // b is now the least recently used
  await use(registry, "c");
  assert.deepEqual(fake.events, ["load a", "load b", "unload b-weights", "load c"]);
});

test("a model with a running request is never unloaded; with no idle model, a 503", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a"), fake.entry("b"), fake.entry("c")], { maxLoadedModels: 2 });
  const leaseA = await registry.acquire("a");
  await use(registry, "b");
  await use(registry, "c"); // a is busy, so b goes although a is older
  assert.deepEqual(fake.events, ["load a", "load b", "unload b-weights", "load c"]);
  const leaseC = await registry.acquire("c");
  await assert.rejects(registry.acquire("b"), (error: unknown) => error instanceof NoRoomForModel && /busy/.test(error.message));
  leaseC.release();
  leaseC.release(); // idempotent: a second release does not free a's lease
  assert.equal(await use(registry, "b"), "b-weights");
  assert.deepEqual(fake.events.slice(-2), ["unload c-weights", "load b"]);
  leaseA.release();
});

test("requests waiting for a load share it, and the loading model is not a victim", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a", { isManual: true }), fake.entry("b")], { maxLoadedModels: 1 });
  const first = registry.acquire("a");
  const second = registry.acquire("a");
  await assert.rejects(registry.acquire("b"), NoRoomForModel);
  await Promise.resolve();
  fake.finishLoad("a");
  const [leaseA1, leaseA2] = await Promise.all([first, second]);
  assert.equal(leaseA1.value, "a-weights");
  assert.deepEqual(fake.events, ["load a"]);
  leaseA1.release();
  leaseA2.release();
  assert.equal(await use(registry, "b"), "b-weights");
});

test("the byte budget unloads until the new model fits; a model over budget alone still loads", async () => {
  const fake = new FakeModels();
  const entries = [fake.entry("a", { sizeBytes: 40 }), fake.entry("b", { sizeBytes: 40 }), fake.entry("big", { sizeBytes: 100 })];
  const registry = fake.registry(entries, { maxLoadedBytes: 90 });
  await use(registry, "a");
  await use(registry, "b");
  assert.deepEqual(fake.events, ["load a", "load b"]);
  await use(registry, "big");
  assert.deepEqual(fake.events, ["load a", "load b", "unload a-weights", "unload b-weights", "load big"]);
  await use(registry, "a");
  assert.deepEqual(fake.events.slice(-2), ["unload big-weights", "load a"]);
});

test("a failed load fails its waiting requests, leaves no lease, and is tried again next time", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a", { fails: true }), fake.entry("b")], { maxLoadedModels: 1 });
  await assert.rejects(registry.acquire("a"), /cannot load a/);
  assert.equal(registry.isLoaded("a"), false);
  assert.equal(await use(registry, "b"), "b-weights");
  await assert.rejects(registry.acquire("a"), /cannot load a/);
  assert.deepEqual(fake.events, ["load a", "load b", "unload b-weights", "load a"]);
  assert.ok(fake.logs.some((line) => /loading model a failed/.test(line)));
});

test("closeAll unloads every loaded model", async () => {
  const fake = new FakeModels();
  const registry = fake.registry([fake.entry("a"), fake.entry("b")], {});
  await use(registry, "a");
  await use(registry, "b");
  await registry.closeAll();
  assert.deepEqual(fake.events.slice(2).sort(), ["unload a-weights", "unload b-weights"]);
  assert.deepEqual(registry.loadedValues(), []);
});
