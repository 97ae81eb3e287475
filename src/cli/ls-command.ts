/** `pagoda ls [--discover]`: cached models, and with --discover other tools' GGUFs on disk. */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { summarizeGguf } from "../models/gguf-summary.js";
import { formatBytes } from "../models/hub/download-progress.js";
import { listCachedModels } from "../models/hub/hub-cache.js";
import { quantOfFile, splitPartOf } from "../models/hub/quant-picker.js";
import { discoverLocalModels } from "../models/local-model-discovery.js";
import { defaultCacheDir, listGeneratedModels } from "../models/model-cache.js";

export function lsHelp(): string {
  return [
    "Usage: pagoda ls [--discover]",
    "",
    "Lists the models in pagoda's cache (PAGODA_CACHE, else ~/.cache/pagoda): name, file, size,",
    "quant, context length and whether the GGUF carries a chat template; also the built-in model",
    "(generated there by a 'pagoda serve' without --model) and any 'pagoda generate-model' preset.",
    "",
    "  --discover   also list GGUF files already downloaded by Ollama (~/.ollama/models, OLLAMA_MODELS,",
    "               /usr/share/ollama/.ollama/models), LM Studio (~/.lmstudio/models, ~/.cache/lm-studio/models)",
    "               and Hugging Face (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub),",
    "               each with a path to serve with --model PATH",
  ].join("\n");
}

export async function lsCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { discover: { type: "boolean", default: false } } });
  const cacheDir = defaultCacheDir();
  const cached = (await listCachedModels(cacheDir)).filter(({ meta }) => (splitPartOf(meta.file)?.index ?? 1) === 1);
  const rows = cached.map(({ path, meta }) => {
    const summary = summarizeGguf(path);
    const split = splitPartOf(meta.file);
    const size = split ? siblingPartsSize(path, split.count) : statSync(path).size;
    const name = meta.repo ? `hf:${meta.repo}` : meta.url;
    return [name, meta.file, formatBytes(size), summary?.quant ?? quantOfFile(meta.file) ?? "?", summary?.contextLength?.toString() ?? "?", summary?.hasChatTemplate ? "yes" : "no"];
  });
  for (const { preset, path } of await listGeneratedModels(cacheDir)) {
    const summary = summarizeGguf(path);
    const name = preset === "builtin" ? "(built-in: serve with no --model)" : `(generated: ${preset})`;
    rows.push([name, basename(path), formatBytes(statSync(path).size), summary?.quant ?? "?", summary?.contextLength?.toString() ?? "?", summary?.hasChatTemplate ? "yes" : "no"]);
  }
  if (rows.length === 0) console.log(`no models in ${cacheDir} (pagoda pull MODEL downloads one)`);
  else printTable(["MODEL", "FILE", "SIZE", "QUANT", "CONTEXT", "CHAT TEMPLATE"], rows);

  if (!values.discover) return;
  const discovered = await discoverLocalModels({ home: homedir(), env: process.env });
  console.log("");
  if (discovered.length === 0) {
    console.log("no GGUF models found in Ollama's, LM Studio's or the Hugging Face caches");
    return;
  }
  printTable(
    ["FROM", "NAME", "SIZE", "QUANT", "CONTEXT", "CHAT TEMPLATE", "SERVE WITH --model"],
    discovered.map((model) => {
      const summary = summarizeGguf(model.path);
      return [model.tool, model.name, formatBytes(model.size), summary?.quant ?? "?", summary?.contextLength?.toString() ?? "?", summary?.hasChatTemplate ? "yes" : "no", model.path];
    }),
  );
}

/** Total size of a split model's parts, which sit side by side with the same stem. */
function siblingPartsSize(firstPart: string, count: number): number {
  let total = 0;
  for (let index = 1; index <= count; index++) {
    const part = firstPart.replace(/-00001-of-(\d{5})\.gguf$/i, `-${String(index).padStart(5, "0")}-of-$1.gguf`);
    total += statSync(part, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join("  ");
  console.log([line(header), ...rows.map(line)].join("\n"));
}
