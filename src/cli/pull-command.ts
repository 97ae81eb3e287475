/** `pagoda pull MODEL`: download a model into the cache, with progress, and print its path. */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { defaultCacheDir } from "../models/model-cache.js";
import { formatBytes } from "../models/hub/download-progress.js";
import { resolveModel } from "../models/hub/resolve-model.js";
import { statSync } from "node:fs";

export function pullHelp(): string {
  return [
    "Usage: pagoda pull MODEL",
    "",
    "Downloads MODEL into the cache (PAGODA_CACHE, else $XDG_CACHE_HOME/pagoda or ~/.cache/pagoda)",
    "with progress on stderr, resuming an interrupted download and checking size and SHA-256.",
    "",
    "MODEL is one of:",
    "  hf:ORG/REPO:QUANT         the repository's GGUF of that quant (e.g. :Q4_K_M; split files: all parts)",
    "  hf:ORG/REPO/FILE.gguf     one file (nested paths allowed)",
    "  ORG/REPO or hf:ORG/REPO   the default quant: Q4_K_M, else Q8_0, else the first GGUF",
    "  https://HOST/PATH.gguf    any URL",
    "",
    "Environment: HF_ENDPOINT (a mirror; default https://huggingface.co), HF_TOKEN (gated or private repos),",
    "HF_HUB_OFFLINE=1 (the cache only, no network).",
  ].join("\n");
}

export async function pullCommand(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError(`pull takes one MODEL\n\n${pullHelp()}`);
  const resolved = await resolveModel(positionals[0], { cacheDir: defaultCacheDir() });
  const size = resolved.files.reduce((sum, file) => sum + statSync(file).size, 0);
  const state = resolved.wasDownloaded ? "downloaded" : "already in the cache";
  console.error(`${positionals[0]}: ${state} (${formatBytes(size)}${resolved.files.length > 1 ? `, ${resolved.files.length} parts` : ""})`);
  console.log(resolved.path);
}
