/** `pagoda rm MODEL`: remove a downloaded model (all its parts) from the cache. */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { defaultCacheDir } from "../models/model-cache.js";
import { cachedFilesOf, pruneEmptyDirs } from "../models/hub/cached-files-of.js";
import { removeCachedFile } from "../models/hub/hub-cache.js";
import { ModelDownloadError } from "../models/hub/model-download-error.js";

export function rmHelp(): string {
  return [
    "Usage: pagoda rm MODEL",
    "",
    "Removes MODEL from pagoda's cache. MODEL is named as for pull: hf:ORG/REPO/FILE.gguf or",
    "hf:ORG/REPO:QUANT (that file, all parts of a split one), hf:ORG/REPO or ORG/REPO (every cached",
    "file of the repository), or the URL it was pulled from. `pagoda ls` lists what is cached.",
  ].join("\n");
}

export async function rmCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError(`rm takes one MODEL\n\n${rmHelp()}`);
  const cacheDir = defaultCacheDir();
  const files = await cachedFilesOf(positionals[0], cacheDir);
  if (files.length === 0) {
    throw new ModelDownloadError(`${positionals[0]} is not in the cache (${cacheDir}); 'pagoda ls' lists the cached models`, "not-found");
  }
  for (const file of files) {
    await removeCachedFile(file);
    await pruneEmptyDirs(file, cacheDir);
    console.log(`removed ${file}`);
  }
}
