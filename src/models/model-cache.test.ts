import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile, utimes } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { readGgufInfo } from "./gguf-reader.js";
import { defaultCacheDir, ensureGeneratedModel, ensureModel, listGeneratedModels, specHash } from "./model-cache.js";
import { getPreset } from "./presets.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pagoda-cache-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("generates once, then returns the cached path", async () => {
  const path = await ensureGeneratedModel("tiny-f32", dir);
  assert.match(basename(path), /^tiny-f32-[0-9a-f]{12}\.gguf$/);
  const { mtimeMs } = await stat(path);
  assert.equal(await ensureGeneratedModel("tiny-f32", dir), path);
  assert.equal((await stat(path)).mtimeMs, mtimeMs);
  assert.equal((await readGgufInfo(path)).metadata.get("general.name")?.value, "pagoda-tiny-f32");
});

test("unknown presets are an error naming the known ones", async () => {
  await assert.rejects(ensureGeneratedModel("huge", dir), /unknown model preset "huge".*builtin/);
});

test("the hash follows the spec, not its key order", async () => {
  const spec = getPreset("tiny-f16");
  const reordered = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
  assert.equal(await specHash(reordered), await specHash(spec));
  assert.notEqual(await specHash({ ...spec, seed: 99 }), await specHash(spec));
  assert.notEqual(await specHash({ ...spec, chatTemplate: "x" }), await specHash(spec));
});

test("concurrent callers in one process share one generation", async () => {
  const spec = { ...getPreset("tiny-q8_0"), name: "shared" };
  const paths = await Promise.all([1, 2, 3].map(() => ensureModel(spec, join(dir, "same-process"))));
  assert.equal(new Set(paths).size, 1);
  assert.deepEqual(await readdir(join(dir, "same-process")), [basename(paths[0])]);
});

test("concurrent processes never see a partial file and leave no temp files", async () => {
  const cacheDir = join(dir, "multi-process");
  const modelCache = join(fileURLToPath(new URL(".", import.meta.url)), "model-cache.js");
  const script = `import { ensureGeneratedModel } from ${JSON.stringify(modelCache)};
    const { readGgufInfo } = await import(${JSON.stringify(join(fileURLToPath(new URL(".", import.meta.url)), "gguf-reader.js"))});
    const path = await ensureGeneratedModel("builtin", ${JSON.stringify(cacheDir)});
    await readGgufInfo(path);
    console.log(path);`;
  const run = () =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}`))));
    });
  const paths = await Promise.all([run(), run(), run()]);
  assert.equal(new Set(paths).size, 1);
  assert.deepEqual(await readdir(cacheDir), [basename(paths[0])]);
});

test("stale temp files from killed generators are cleaned up, fresh ones kept", async () => {
  const cacheDir = join(dir, "stale");
  const spec = getPreset("tiny-f32");
  const final = join(cacheDir, `tiny-f32-${await specHash(spec)}.gguf`);
  await rm(cacheDir, { recursive: true, force: true });
  await ensureGeneratedModel("tiny-f32", cacheDir);
  await rm(final);
  const stale = `${final}.123-dead.tmp`;
  const fresh = `${final}.456-live.tmp`;
  await writeFile(stale, "x");
  await writeFile(fresh, "x");
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await utimes(stale, old, old);
  await ensureGeneratedModel("tiny-f32", cacheDir);
  assert.deepEqual((await readdir(cacheDir)).sort(), [basename(final), basename(fresh)].sort());
});

test("defaultCacheDir: PAGODA_CACHE, then XDG_CACHE_HOME/pagoda, then ~/.cache/pagoda", () => {
  const saved = { PAGODA_CACHE: process.env.PAGODA_CACHE, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  try {
    process.env.PAGODA_CACHE = "/p";
    process.env.XDG_CACHE_HOME = "/x";
    assert.equal(defaultCacheDir(), "/p");
    delete process.env.PAGODA_CACHE;
    assert.equal(defaultCacheDir(), "/x/pagoda");
    delete process.env.XDG_CACHE_HOME;
    assert.equal(defaultCacheDir(), join(homedir(), ".cache", "pagoda"));
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test("listGeneratedModels finds the generated presets, not other files", async () => {
  const cacheDir = join(dir, "listed");
  const builtin = await ensureGeneratedModel("builtin", cacheDir);
  await writeFile(join(cacheDir, "builtin-notahash.gguf"), "");
  await writeFile(join(cacheDir, `${basename(builtin)}.123-abcd.tmp`), "");
  assert.deepEqual(await listGeneratedModels(cacheDir), [{ preset: "builtin", path: builtin }]);
  assert.deepEqual(await listGeneratedModels(join(dir, "absent")), []);
});
