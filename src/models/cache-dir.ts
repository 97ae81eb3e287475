/** pagoda's cache folder: downloaded and generated models, unpacked llama.cpp files. */
import { homedir } from "node:os";
import { join } from "node:path";

export function defaultCacheDir(): string {
  if (process.env.PAGODA_CACHE) return process.env.PAGODA_CACHE;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, "pagoda");
  return join(homedir(), ".cache", "pagoda");
}
