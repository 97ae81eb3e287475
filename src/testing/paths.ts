/**
 * Paths tests need: the repository root, llama.cpp's real tokenizers and chat
 * templates (unpacked from node-llama-cpp's source bundle into the cache on
 * first use, see models/llama-cpp-models.ts) and a cache for generated models.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureLlamaCppModels } from "../models/llama-cpp-models.js";

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
const llamaCppModels = ensureLlamaCppModels();
/** llama.cpp's `models/templates`: chat templates of real models. */
export const chatTemplatesDir = llamaCppModels.templatesDir;
/** llama.cpp's vocab-only GGUFs with their tokenizer test vectors (`.inp`, `.out`). */
export const vocabDir = llamaCppModels.dir;
/** Generated test models live here; safe to delete, regenerated on demand. */
export const testCacheDir = join(repoRoot, ".cache", "test-models");
