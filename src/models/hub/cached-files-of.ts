/** Which cached files a `--model` value names, for `pagoda rm`. */
import { readdir, rmdir } from "node:fs/promises";
import { dirname } from "node:path";
import { hubFilePath, hubRepoDir, isCached, listFilesBelow, urlFilePath } from "./hub-cache.js";
import { parseModelSource } from "./model-source.js";
import { pickGgufFiles, withParts } from "./quant-picker.js";

export async function cachedFilesOf(spec: string, cacheDir: string): Promise<string[]> {
  const source = parseModelSource(spec, () => false);
  if (source.kind === "url") {
    const path = urlFilePath(cacheDir, source.url);
    return (await isCached(path)) ? [path] : [];
  }
  if (source.kind === "path") return [];
  const cached: string[] = [];
  for (const file of await listFilesBelow(hubRepoDir(cacheDir, source.repo))) {
    if (await isCached(hubFilePath(cacheDir, source.repo, file))) cached.push(file);
  }
  let names: string[];
  if (source.kind === "hf-repo") names = cached;
  else if (source.kind === "hf-file") names = cached.includes(source.file) ? withParts(source.file, cached) : [];
  else names = pickGgufFiles(cached, source.quant)?.files ?? [];
  return names.map((file) => hubFilePath(cacheDir, source.repo, file));
}

/** Drops now-empty folders between a removed file and the cache root. */
export async function pruneEmptyDirs(file: string, stopAt: string): Promise<void> {
  await pruneEmptyDirsFrom(dirname(file), stopAt);
}

/** Drops `dir` and its parents below `stopAt` while they are empty. */
export async function pruneEmptyDirsFrom(dir: string, stopAt: string): Promise<void> {
  while (dir.startsWith(stopAt) && dir !== stopAt) {
    if ((await readdir(dir).catch(() => ["?"])).length > 0) return;
    await rmdir(dir).catch(() => undefined);
    dir = dirname(dir);
  }
}
