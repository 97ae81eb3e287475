/**
 * Where downloaded models live: `<cache>/hub/<org>/<repo>/<file>` for Hugging Face
 * files (nested paths kept), `<cache>/url/<host>/<hash>/<name>` for plain URLs, each
 * beside a `<file>.meta.json` saying where it came from and what it hashed to.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat, writeFile, rename } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";

export interface CachedFileMeta {
  /** The canonical `--model` value for this very file. */
  source: string;
  url: string;
  repo: string | null;
  file: string;
  size: number;
  sha256: string;
  downloadedAt: string;
}

export const metaSuffix = ".meta.json";

export function hubRepoDir(cacheDir: string, repo: string): string {
  return join(cacheDir, "hub", ...repo.split("/"));
}

export function hubFilePath(cacheDir: string, repo: string, file: string): string {
  return join(hubRepoDir(cacheDir, repo), ...file.split("/"));
}

export function urlFilePath(cacheDir: string, url: string): string {
  const parsed = new URL(url);
  const name = basename(decodeURIComponent(parsed.pathname)) || "model.gguf";
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 12);
  return join(cacheDir, "url", parsed.host.replace(/[^A-Za-z0-9.-]/g, "_"), hash, name);
}

export async function writeMeta(path: string, meta: CachedFileMeta): Promise<void> {
  const temp = `${path}${metaSuffix}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(meta, null, 2)}\n`);
  await rename(temp, `${path}${metaSuffix}`);
}

export async function readMeta(path: string): Promise<CachedFileMeta | null> {
  try {
    return JSON.parse(await readFile(`${path}${metaSuffix}`, "utf8")) as CachedFileMeta;
  } catch {
    return null;
  }
}

/** A cached file counts only when complete: present, with its metadata, at the recorded size. */
export async function isCached(path: string): Promise<boolean> {
  const [info, meta] = await Promise.all([stat(path).catch(() => null), readMeta(path)]);
  return info !== null && meta !== null && info.size === meta.size;
}

/** Files below `dir`, relative to it with `/` separators, skipping our own bookkeeping files. */
export async function listFilesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .filter((file) => !file.endsWith(metaSuffix) && !file.endsWith(".part") && !file.endsWith(".lock") && !file.endsWith(".tmp"))
    .sort();
}

/** Every complete cached GGUF with its metadata. */
export async function listCachedModels(cacheDir: string): Promise<{ path: string; meta: CachedFileMeta }[]> {
  const found: { path: string; meta: CachedFileMeta }[] = [];
  for (const area of ["hub", "url"]) {
    const root = join(cacheDir, area);
    for (const file of await listFilesBelow(root)) {
      if (!file.toLowerCase().endsWith(".gguf")) continue;
      const path = join(root, ...file.split("/"));
      const meta = await readMeta(path);
      if (meta && (await isCached(path))) found.push({ path, meta });
    }
  }
  return found;
}

export async function removeCachedFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}${metaSuffix}`, { force: true });
  await rm(`${path}.part`, { force: true });
}
