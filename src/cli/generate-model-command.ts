/** `pagoda generate-model`: writes one of pagoda's generated models (random weights, real architecture). */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { generateLoraAdapter } from "../models/generate-lora.js";
import { generateModel } from "../models/generate-model.js";
import { ensureGeneratedModel } from "../models/model-cache.js";
import { getPreset, isPresetName, presetNames } from "../models/presets.js";

export function generateModelHelp(): string {
  return [
    "Usage: pagoda generate-model [--preset NAME] [--output FILE]",
    "",
    "Writes a GGUF with seeded random weights (the same bytes every time) that llama.cpp loads.",
    "Without --output it goes to the model cache (PAGODA_CACHE, else ~/.cache/pagoda) and its path is printed.",
    "",
    `  --preset NAME    one of: ${presetNames.join(", ")} (default builtin)`,
    "                   bench-qwen2.5-0.5b has Qwen2.5-0.5B's shapes (24 layers, hidden 896, Q8_0, ~500 MB)",
    "  --output FILE    where to write it",
    "  --lora FILE      also write a LoRA adapter for it (random, strong enough to change its output), for trying --lora-modules",
  ].join("\n");
}

export async function generateModelCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { preset: { type: "string", default: "builtin" }, output: { type: "string" }, lora: { type: "string" } } });
  const preset = values.preset!;
  if (!isPresetName(preset)) throw new UsageError(`unknown preset '${preset}' (known: ${presetNames.join(", ")})`);
  const started = Date.now();
  let path: string;
  if (values.output) {
    path = resolve(values.output);
    await generateModel(getPreset(preset), path);
  } else {
    path = await ensureGeneratedModel(preset);
  }
  console.log(`${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (values.lora) {
    await generateLoraAdapter(path, resolve(values.lora));
    console.log(`${resolve(values.lora)} (LoRA adapter for ${path})`);
  }
}
