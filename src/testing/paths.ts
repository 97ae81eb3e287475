/** Paths tests need: the repository root, the shared fixtures and a cache for generated models. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const sharedFixturesDir = resolve(repoRoot, "..", "shared", "fixtures");
export const chatTemplatesDir = join(sharedFixturesDir, "chat-templates");
export const vocabDir = join(sharedFixturesDir, "vocab");
/** Generated test models live here; safe to delete, regenerated on demand. */
export const testCacheDir = join(repoRoot, ".cache", "test-models");
