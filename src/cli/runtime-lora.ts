/**
 * --enable-runtime-lora-updating: LoRA adapters loaded and unloaded while the
 * server runs (vLLM's /v1/load_lora_adapter, what its production-stack LoRA
 * operator calls), on the first served model as --lora-modules are. An adapter
 * loaded here is a model name like any other: listed in /v1/models with its
 * `parent`, counted in vllm:lora_requests_info, reloaded with its base model.
 *
 * One change at a time (a queue), each under a lease on the base model so a
 * memory budget cannot unload it meanwhile. The file is checked before
 * llama.cpp sees it: a missing file is vLLM's 404, a GGUF that is not a LoRA
 * adapter for this architecture a 400, never a native crash.
 */
import { stat } from "node:fs/promises";
import { InvalidRequestError, LoraAdapterNotFoundError } from "../errors.js";
import { readGgufInfoSync } from "../models/gguf-reader.js";
import type { LoraAdapterManager } from "../protocol/lora-adapters.js";
import type { ModelRegistry } from "../serving/model-registry.js";
import type { LoadedModels, ModelRouter } from "../serving/model-router.js";
import type { LoadedModelGroup, ModelGroup } from "./model-group.js";

export class RuntimeLoraAdapters implements LoraAdapterManager {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly runtimeNames = new Set<string>();

  constructor(
    private readonly base: ModelGroup,
    private readonly registry: ModelRegistry<LoadedModels>,
    private readonly router: ModelRouter,
  ) {}

  load(name: string, path: string): Promise<void> {
    return this.serialized(async () => {
      if (this.registry.has(name)) throw new InvalidRequestError(`The lora adapter '${name}' has already been loaded.`, { param: "lora_name" });
      await checkAdapterFile(name, path, this.base.path);
      await this.withBaseLoaded(async (loaded) => {
        const card = await this.base.addAdapter(name, path, loaded).catch((error: unknown) => {
          // llama.cpp refuses an adapter whose tensors do not fit the model: vLLM's 400.
          throw new InvalidRequestError(`Loading lora ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { param: "lora_path" });
        });
        this.registry.addName(name, this.base.spec.names[0]);
        this.router.addCard(card);
        this.runtimeNames.add(name);
      });
    });
  }

  unload(name: string): Promise<void> {
    return this.serialized(async () => {
      if (this.base.startupAdapterNames.includes(name)) {
        throw new InvalidRequestError(`The lora adapter '${name}' was given at start (--lora-modules) and stays loaded.`, { param: "lora_name" });
      }
      if (!this.runtimeNames.has(name)) throw new LoraAdapterNotFoundError(`The lora adapter '${name}' cannot be found.`, "lora_name");
      // Out of routing first, so no new request reaches the adapter being closed.
      this.registry.removeName(name);
      this.router.removeCard(name);
      this.runtimeNames.delete(name);
      const loaded = this.registry.peek(this.base.spec.names[0]) as LoadedModelGroup | null;
      await this.base.removeAdapter(name, loaded);
    });
  }

  private async withBaseLoaded(change: (loaded: LoadedModelGroup) => Promise<void>): Promise<void> {
    const lease = await this.registry.acquire(this.base.spec.names[0]);
    try {
      await change(lease.value as LoadedModelGroup);
    } finally {
      lease.release();
    }
  }

  private serialized<T>(change: () => Promise<T>): Promise<T> {
    const result = this.queue.then(change);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** A GGUF LoRA adapter (general.type "adapter", adapter.type "lora") of the base model's architecture. */
async function checkAdapterFile(name: string, path: string, basePath: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new LoraAdapterNotFoundError(`Loading lora ${name} failed: No adapter found for ${path}`, "lora_path");
  const stringOf = (metadata: ReturnType<typeof readGgufInfoSync>["metadata"], key: string) => {
    const entry = metadata.get(key);
    return entry?.type === "string" ? String(entry.value) : undefined;
  };
  let metadata;
  try {
    metadata = readGgufInfoSync(path, { skipArrays: true }).metadata;
  } catch (error) {
    throw new InvalidRequestError(`Loading lora ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { param: "lora_path" });
  }
  if (stringOf(metadata, "general.type") !== "adapter" || stringOf(metadata, "adapter.type") !== "lora") {
    throw new InvalidRequestError(`Loading lora ${name} failed: ${path} is not a GGUF LoRA adapter (general.type "adapter", adapter.type "lora").`, { param: "lora_path" });
  }
  const architecture = stringOf(metadata, "general.architecture");
  const baseArchitecture = stringOf(readGgufInfoSync(basePath, { skipArrays: true }).metadata, "general.architecture");
  if (architecture !== baseArchitecture) {
    throw new InvalidRequestError(`Loading lora ${name} failed: the adapter is for ${architecture ?? "an unknown architecture"}, the served model is ${baseArchitecture}.`, { param: "lora_path" });
  }
}
