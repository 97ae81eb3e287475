/**
 * Files from llama.cpp's `models/` folder (real tokenizers as vocab-only GGUFs,
 * their test vectors, and real chat templates), taken from the llama.cpp
 * source bundle node-llama-cpp ships (`llama/gitRelease.bundle`, a git
 * bundle). They are unpacked once with `git` into the cache, under the
 * bundle's commit, so a node-llama-cpp upgrade gets fresh files, and nothing
 * is downloaded. The built-in model needs none of them; the presets with a
 * real vocabulary (tiny-qwen2, tiny-bert, the bench models) and the tests do.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defaultCacheDir } from "./cache-dir.js";

/** The vocabularies unpacked: the ones with llama.cpp's tokenizer test vectors that tests and presets use. */
export const llamaCppVocabs = ["bert-bge", "deepseek-llm", "gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"] as const;

export interface LlamaCppModels {
  /** The `models/` folder: `ggml-vocab-NAME.gguf` (+ `.inp`/`.out`) for each of llamaCppVocabs. */
  dir: string;
  /** `models/templates`: the chat templates of real models. */
  templatesDir: string;
}

/** Where the bundle is: resolving the package finds its folder without loading it. */
export function llamaCppBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve("node-llama-cpp"); // <package>/dist/index.js
  return join(dirname(dirname(entry)), "llama", "gitRelease.bundle");
}

/** The unpacked `models/` folder, unpacking it first if this cache lacks it. Synchronous: presets are. */
export function ensureLlamaCppModels(cacheDir: string = defaultCacheDir()): LlamaCppModels {
  const bundle = llamaCppBundlePath();
  const commit = runGit(["bundle", "list-heads", bundle]).split(/\s/)[0].slice(0, 12);
  const dir = join(cacheDir, "llama.cpp", commit, "models");
  if (!existsSync(dir)) unpack(bundle, dir);
  return { dir, templatesDir: join(dir, "templates") };
}

/** Unpacks in a temp folder and renames it into place, so a concurrent process sees all files or none. */
function unpack(bundle: string, dir: string): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const temp = mkdtempSync(join(parent, ".unpack-"));
  try {
    runGit(["init", "--quiet", temp]);
    runGit(["-C", temp, "fetch", "--quiet", bundle, "HEAD"]);
    const files = llamaCppVocabs.flatMap((name) => ["", ".inp", ".out"].map((suffix) => `models/ggml-vocab-${name}.gguf${suffix}`));
    runGit(["-C", temp, "checkout", "--quiet", "FETCH_HEAD", "--", "models/templates", ...files]);
    try {
      renameSync(join(temp, "models"), dir);
    } catch (error) {
      if (!existsSync(dir)) throw error; // else another process finished first, with the same files
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function runGit(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "git is not installed" : String((error as { stderr?: string }).stderr ?? error).trim();
    throw new Error(`cannot unpack llama.cpp's tokenizer and template files from node-llama-cpp's source bundle (git ${args.find((arg) => ["bundle", "init", "fetch", "checkout"].includes(arg))}): ${reason}`);
  }
}
