/**
 * Which native addon pagoda's llama.cpp runs on. node-llama-cpp's prebuilt
 * addon hard-codes llama.cpp's `kv_unified = false`, so every sequence owns a
 * fixed share of the KV cache. `npm run build:native` builds pagoda's own copy
 * of the same addon with that one setting exposed (docs/decisions/0004); when
 * it is present and built for the installed node-llama-cpp, it is loaded
 * instead and the runner can give all sequences one shared KV pool. Otherwise
 * the prebuilt addon serves as before.
 *
 * Loading an addon of our own goes through node-llama-cpp's internal
 * `Llama._create` (what its getLlama does after a local build), pinned with
 * the exact node-llama-cpp version like the rest of addon-types.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, Llama, LlamaLogLevel } from "node-llama-cpp";

export interface LoadedLlama {
  llama: Llama;
  /** The addon takes the `kvUnified` context option: one KV pool shared by all sequences. */
  supportsUnifiedKv: boolean;
  /** One line for the log: which addon, and why. */
  description: string;
}

interface BuildRecord {
  nodeLlamaCppVersion: string;
  prebuiltDir: string;
}

const require = createRequire(import.meta.url);

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

/** Where `npm run build:native` writes the addon; PAGODA_NATIVE_ADDON_DIR overrides. */
export function unifiedKvAddonDir(): string {
  return process.env.PAGODA_NATIVE_ADDON_DIR || join(packageRoot(), ".cache", "native", `${process.platform}-${process.arch}`);
}

function installedNodeLlamaCppVersion(): string {
  let dir = dirname(require.resolve("node-llama-cpp"));
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (parsed.name === "node-llama-cpp") return parsed.version ?? "";
  }
  return "";
}

/** The built addon's path, or why it cannot be used. */
export function findUnifiedKvAddon(): { path: string; record: BuildRecord } | { reason: string } {
  if (/^(0|off|false|prebuilt)$/i.test(process.env.PAGODA_NATIVE_ADDON ?? "")) return { reason: "PAGODA_NATIVE_ADDON=prebuilt" };
  const dir = unifiedKvAddonDir();
  const path = join(dir, "llama-addon.node");
  const recordPath = join(dir, "build.json");
  if (!existsSync(path) || !existsSync(recordPath)) return { reason: "not built (`npm run build:native` builds it where a C++ compiler exists)" };
  const record = JSON.parse(readFileSync(recordPath, "utf8")) as BuildRecord;
  const installed = installedNodeLlamaCppVersion();
  if (record.nodeLlamaCppVersion !== installed) {
    return { reason: `built for node-llama-cpp ${record.nodeLlamaCppVersion}, ${installed} is installed (run \`npm run build:native\` again)` };
  }
  return { path, record };
}

export async function loadLlama(options: { maxThreads: number; logLevel: LlamaLogLevel }): Promise<LoadedLlama> {
  const found = findUnifiedKvAddon();
  if ("path" in found) {
    try {
      const bindings = require(found.path) as unknown;
      const buildMetadata = JSON.parse(readFileSync(join(found.record.prebuiltDir, "_nlcBuildMetadata.json"), "utf8")) as unknown;
      const create = (Llama as unknown as { _create?: (options: Record<string, unknown>) => Promise<Llama> })._create;
      if (!create) throw new Error("node-llama-cpp has no Llama._create");
      const llama = await create.call(Llama, {
        bindings,
        bindingPath: found.path,
        buildType: "localBuild",
        buildMetadata,
        logLevel: options.logLevel,
        logger: (Llama as unknown as { defaultConsoleLogger: unknown }).defaultConsoleLogger,
        maxThreads: options.maxThreads,
        vramPadding: 0,
        ramPadding: 0,
        debug: false,
        numa: false,
        tempDir: false,
      });
      return { llama, supportsUnifiedKv: true, description: `pagoda's unified-KV build of the native addon (${found.path})` };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const llama = await loadPrebuilt(options);
      return { llama, supportsUnifiedKv: false, description: `node-llama-cpp's prebuilt addon: pagoda's build at ${found.path} failed to load (${message})` };
    }
  }
  return { llama: await loadPrebuilt(options), supportsUnifiedKv: false, description: `node-llama-cpp's prebuilt addon: pagoda's unified-KV build is ${found.reason}` };
}

let heapTrim: { trimNativeHeap: () => boolean } | null | undefined;

/**
 * Gives glibc's free heap pages back to the system (malloc_trim), through
 * heap-trim.node from `npm run build:native`; without it, does nothing. A
 * model load leaves tens of MB of freed loader memory resident in the worker
 * thread's arena (scripts/native/heap-trim.c says why). Returns whether any
 * memory was released.
 */
export function trimNativeHeap(): boolean {
  if (heapTrim === undefined) {
    const path = join(unifiedKvAddonDir(), "heap-trim.node");
    try {
      heapTrim = existsSync(path) ? (require(path) as { trimNativeHeap: () => boolean }) : null;
    } catch {
      heapTrim = null; // built for another Node ABI or platform: only memory is at stake
    }
  }
  return heapTrim?.trimNativeHeap() ?? false;
}

function loadPrebuilt(options: { maxThreads: number; logLevel: LlamaLogLevel }): Promise<Llama> {
  return getLlama({ gpu: false, build: "never", maxThreads: options.maxThreads, logLevel: options.logLevel });
}
