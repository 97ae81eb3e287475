/**
 * Generated models on disk, keyed by a hash of their spec so a changed preset (or
 * generator) gets a new file instead of a stale one. Files appear atomically: they
 * are written under a temporary name in the same directory and renamed into place,
 * so another process either sees a complete file or none.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { defaultCacheDir } from "./cache-dir.js";
import { generateModel } from "./generate-model.js";
import type { SyntheticModelSpec } from "./model-spec.js";
import { getPreset, isPresetName, presetNames } from "./presets.js";

/** Bump when the generator's output changes for an unchanged spec, to invalidate caches. */
const GENERATOR_VERSION = 2;
const STALE_TEMP_MS = 60 * 60 * 1000;

export { defaultCacheDir };

/** Path of the generated preset, generating it first if this cache lacks it. */
export async function ensureGeneratedModel(presetName: string, cacheDir: string = defaultCacheDir()): Promise<string> {
  if (!isPresetName(presetName)) throw new Error(`unknown model preset "${presetName}" (known: ${presetNames.join(", ")})`);
  return ensureModel(getPreset(presetName), cacheDir, presetName);
}

// Same-process callers share one generation instead of racing on their own temp files.
const inFlight = new Map<string, Promise<string>>();

/** Like ensureGeneratedModel, for any spec; the file is `<stem>-<hash>.gguf`. */
export async function ensureModel(spec: SyntheticModelSpec, cacheDir: string, stem: string = spec.name): Promise<string> {
  const path = join(cacheDir, `${stem}-${await specHash(spec)}.gguf`);
  let pending = inFlight.get(path);
  if (!pending) {
    pending = generateIfMissing(spec, cacheDir, path).finally(() => inFlight.delete(path));
    inFlight.set(path, pending);
  }
  return pending;
}

async function generateIfMissing(spec: SyntheticModelSpec, cacheDir: string, path: string): Promise<string> {
  if (await exists(path)) return path;
  await mkdir(cacheDir, { recursive: true });
  await removeStaleTemps(cacheDir, path);
  const temp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await generateModel(spec, temp);
    // If another process finished first, this replaces its file with identical bytes.
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

/**
 * 12 hex chars of sha256 over the spec, the generator version and the vocab
 * file's bytes; not its path, which differs between checkouts and caches.
 */
export async function specHash(spec: SyntheticModelSpec): Promise<string> {
  const hash = createHash("sha256");
  const hashed = spec.vocab.kind === "gguf" ? { ...spec, vocab: { kind: "gguf" } } : spec;
  hash.update(`pagoda-model-v${GENERATOR_VERSION}\n${canonicalJson(hashed)}\n`);
  if (spec.vocab.kind === "gguf") {
    for await (const chunk of createReadStream(spec.vocab.path)) hash.update(chunk as Buffer);
  }
  return hash.digest("hex").slice(0, 12);
}

/** JSON with sorted keys, so property order in a preset never changes the hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The generated models in this cache (the built-in one that a bare `pagoda serve` writes, and any `generate-model` preset). */
export async function listGeneratedModels(cacheDir: string): Promise<{ preset: string; path: string }[]> {
  const pattern = new RegExp(`^(${presetNames.map((name) => name.replace(/\./g, "\\.")).join("|")})-[0-9a-f]{12}\\.gguf$`);
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const match = pattern.exec(name);
    return match ? [{ preset: match[1], path: join(cacheDir, name) }] : [];
  }).sort((a, b) => a.path.localeCompare(b.path));
}

/** Temp files left by killed generators (the bench one is ~500 MB); fresh ones may still be in use. */
async function removeStaleTemps(cacheDir: string, path: string): Promise<void> {
  const prefix = `${path.slice(cacheDir.length + 1)}.`;
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const file = join(cacheDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
