/**
 * Which models a server serves, from the flags and the optional --config file:
 * each with its served names (the first is reported, the rest are aliases),
 * its own context length, sequences, threads and chat template, and its LoRA
 * adapters.
 *
 *   --model PATH                          one model (today's form), named by
 *                                         --served-model-name or the file name
 *   --model NAME=PATH --model NAME2=PATH2 several; NAME is its served name
 *                                         (a value whose part before `=` has a
 *                                         `/` is a path: write ./a=b.gguf)
 *   --lora-modules NAME=PATH ...          adapters on the first model
 *   --config FILE                         JSON: {"models": [{"model": PATH,
 *                                         "served-model-name": NAME | [NAMES],
 *                                         "max-model-len", "max-num-seqs",
 *                                         "max-num-batched-tokens", "threads",
 *                                         "chat-template", "lora-modules":
 *                                         {NAME: PATH}}]}, after any --model
 *
 * JSON, not YAML: pagoda has no YAML parser and takes no new dependency for one.
 */
import { UsageError } from "../errors.js";
import { resolveModel } from "../models/hub/resolve-model.js";
import { parseModelSource } from "../models/hub/model-source.js";
import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ensureGeneratedModel } from "../models/model-cache.js";
import { type ServeConfig } from "./serve-config.js";

export interface LoraModuleSpec {
  name: string;
  path: string;
}

export interface ServedModelSpec {
  /** The model as given (a path); null for the built-in model. */
  source: string | null;
  /** Served names; the first is reported in responses and metrics. */
  names: string[];
  maxModelLen: number | null;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  threads: number;
  chatTemplate: string | null;
  loraModules: LoraModuleSpec[];
}

const positiveInt = z.number().int().positive();
const configFileSchema = z.strictObject({
  models: z
    .array(
      z.strictObject({
        model: z.string().min(1),
        "served-model-name": z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
        "max-model-len": positiveInt.optional(),
        "max-num-seqs": positiveInt.optional(),
        "max-num-batched-tokens": positiveInt.optional(),
        threads: positiveInt.optional(),
        "chat-template": z.string().min(1).optional(),
        "lora-modules": z.union([z.record(z.string().min(1), z.string().min(1)), z.array(z.string().min(1))]).optional(),
      }),
    )
    .min(1),
});

/** The models to serve; `configFileText` is the --config file's content (null without one). */
export function servedModelSpecs(config: Readonly<ServeConfig>, configFileText: string | null): ServedModelSpec[] {
  const defaults = {
    maxModelLen: config.maxModelLen,
    maxNumSeqs: config.maxNumSeqs,
    maxNumBatchedTokens: config.maxNumBatchedTokens,
    threads: config.threads,
    chatTemplate: config.chatTemplate,
    loraModules: [] as LoraModuleSpec[],
  };
  const specs: ServedModelSpec[] = config.models.map((value) => {
    const named = splitNamed(value);
    return { ...defaults, source: named?.value ?? value, names: named ? [named.name] : [] };
  });
  if (configFileText !== null) specs.push(...parseConfigFile(configFileText, config.configFile ?? "--config", defaults));
  if (specs.length === 0) specs.push({ ...defaults, source: null, names: [] });

  const [first] = specs;
  if (config.servedModelNames.length > 0) {
    if (first.names.length > 0) throw new UsageError(`--served-model-name names the first model, which is already named '${first.names[0]}'`);
    first.names = [...config.servedModelNames];
  }
  first.loraModules = [...first.loraModules, ...config.loraModules.map((value) => parseLoraModule(value, "--lora-modules"))];
  for (const spec of specs) if (spec.names.length === 0) spec.names = [defaultName(spec.source)];

  const seen = new Set<string>();
  for (const name of specs.flatMap((spec) => [...spec.names, ...spec.loraModules.map((lora) => lora.name)])) {
    if (seen.has(name)) throw new UsageError(`the model name '${name}' is served twice; give each model its own name (NAME=PATH)`);
    seen.add(name);
  }
  return specs;
}

/**
 * The one place a model as given becomes a local GGUF path (the built-in model
 * is generated into the cache); downloads would slot in here.
 */
export async function resolveModelPath(source: string | null): Promise<string> {
  return source === null ? await ensureGeneratedModel("builtin") : (await resolveModel(source)).path;
}

function parseConfigFile(text: string, fileName: string, defaults: Omit<ServedModelSpec, "source" | "names">): ServedModelSpec[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${fileName} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${fileName}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  // Relative paths in the file are relative to the file, as in most tools' config files, not to the working directory.
  const folder = dirname(resolve(fileName));
  const fromFolder = (path: string) => (isAbsolute(path) || path.startsWith("~") ? path : resolve(folder, path));
  const modelFromFolder = (model: string) =>
    parseModelSource(model, (path) => existsSync(fromFolder(path))).kind === "path" ? fromFolder(model) : model;
  return parsed.data.models.map((entry) => {
    const names = entry["served-model-name"];
    const loras = entry["lora-modules"];
    const chatTemplate = entry["chat-template"];
    return {
      source: modelFromFolder(entry.model),
      names: names === undefined ? [] : typeof names === "string" ? [names] : names,
      maxModelLen: entry["max-model-len"] ?? defaults.maxModelLen,
      maxNumSeqs: entry["max-num-seqs"] ?? defaults.maxNumSeqs,
      maxNumBatchedTokens: entry["max-num-batched-tokens"] ?? defaults.maxNumBatchedTokens,
      threads: entry.threads ?? defaults.threads,
      chatTemplate: chatTemplate === undefined ? defaults.chatTemplate : fromFolder(chatTemplate),
      loraModules:
        loras === undefined
          ? []
          : Array.isArray(loras)
            ? loras.map((value) => parseLoraModule(value, `${fileName}: lora-modules`)).map((lora) => ({ ...lora, path: fromFolder(lora.path) }))
            : Object.entries(loras).map(([name, path]) => ({ name, path: fromFolder(path) })),
    };
  });
}

/** `NAME=PATH` as {name, value}; null when the value is a plain path. */
function splitNamed(value: string): { name: string; value: string } | null {
  const match = /^([^=/\\]+)=(.+)$/s.exec(value);
  return match ? { name: match[1], value: match[2] } : null;
}

function parseLoraModule(value: string, where: string): LoraModuleSpec {
  const named = splitNamed(value);
  if (!named) throw new UsageError(`${where} needs NAME=PATH, got '${value}'`);
  return { name: named.name, path: named.value };
}

/** As vLLM names a model after what was asked for: the file's name, or ORG/REPO for a Hugging Face repo. */
function defaultName(source: string | null): string {
  if (source === null) return "pagoda-builtin";
  const parsed = parseModelSource(source);
  const path = parsed.kind === "path" ? parsed.path : parsed.kind === "url" ? new URL(parsed.url).pathname : parsed.kind === "hf-file" ? parsed.file : null;
  return path === null && "repo" in parsed ? parsed.repo : basename(path ?? source).replace(/\.gguf$/i, "");
}
