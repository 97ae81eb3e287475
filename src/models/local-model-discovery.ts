/**
 * GGUF files other tools already downloaded, servable by path: Ollama's blob
 * store (through its manifests), LM Studio's model folders and the Hugging Face
 * hub cache. Read-only; paths follow each tool's documented defaults and env vars.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { splitPartOf } from "./hub/quant-picker.js";
import { listFilesBelow } from "./hub/hub-cache.js";

export interface DiscoveredModel {
  tool: "ollama" | "lmstudio" | "huggingface";
  /** How the tool names it: `llama3.2:1b`, `hf:org/repo/file.gguf`, `publisher/repo/file.gguf`. */
  name: string;
  /** A path `pagoda serve --model PATH` accepts. */
  path: string;
  size: number;
}

export interface DiscoveryOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  /** System-wide Ollama store of the Linux installer; replaceable in tests. */
  systemOllamaDir?: string;
}

export async function discoverLocalModels(options: DiscoveryOptions): Promise<DiscoveredModel[]> {
  const found = [...(await discoverOllama(options)), ...(await discoverLmStudio(options)), ...(await discoverHuggingFace(options))];
  const seen = new Set<string>();
  return found.filter((model) => !seen.has(model.path) && seen.add(model.path));
}

export async function discoverOllama({ home, env, systemOllamaDir = "/usr/share/ollama/.ollama/models" }: DiscoveryOptions): Promise<DiscoveredModel[]> {
  const roots = unique([env.OLLAMA_MODELS, join(home, ".ollama", "models"), systemOllamaDir]);
  const models: DiscoveredModel[] = [];
  for (const root of roots) {
    const manifestsDir = join(root, "manifests");
    for (const manifestFile of await listFilesBelow(manifestsDir)) {
      const parts = manifestFile.split("/");
      if (parts.length < 4) continue;
      const [host, namespace, ...rest] = parts;
      const tag = rest.pop()!;
      const model = rest.join("/");
      const layers = await readManifestLayers(join(manifestsDir, ...parts));
      const layer = layers.find((l) => l.mediaType === "application/vnd.ollama.image.model");
      if (!layer?.digest) continue;
      const path = join(root, "blobs", layer.digest.replace(":", "-"));
      const size = await ggufSize(path);
      if (size === null) continue;
      const isLibrary = host === "registry.ollama.ai" && namespace === "library";
      const name = `${isLibrary ? "" : `${host === "registry.ollama.ai" ? "" : `${host}/`}${namespace}/`}${model}:${tag}`;
      models.push({ tool: "ollama", name, path, size });
    }
  }
  return models;
}

export async function discoverLmStudio({ home }: DiscoveryOptions): Promise<DiscoveredModel[]> {
  const roots = [join(home, ".lmstudio", "models"), join(home, ".cache", "lm-studio", "models")];
  const models: DiscoveredModel[] = [];
  for (const root of roots) {
    for (const file of await listFilesBelow(root)) {
      if (!isServableGguf(file)) continue;
      const path = join(root, ...file.split("/"));
      const size = await ggufSize(path);
      if (size !== null) models.push({ tool: "lmstudio", name: file, path, size });
    }
  }
  return models;
}

export async function discoverHuggingFace({ home, env }: DiscoveryOptions): Promise<DiscoveredModel[]> {
  const hubDir =
    env.HF_HUB_CACHE ?? (env.HF_HOME ? join(env.HF_HOME, "hub") : join(env.XDG_CACHE_HOME ?? join(home, ".cache"), "huggingface", "hub"));
  const models: DiscoveredModel[] = [];
  const repos = await readdir(hubDir).catch(() => [] as string[]);
  for (const repoDir of repos.filter((name) => name.startsWith("models--")).sort()) {
    const repo = repoDir.slice("models--".length).split("--").join("/");
    const snapshotsDir = join(hubDir, repoDir, "snapshots");
    const main = (await readFile(join(hubDir, repoDir, "refs", "main"), "utf8").catch(() => "")).trim();
    const snapshots = main ? [main] : await readdir(snapshotsDir).catch(() => [] as string[]);
    for (const snapshot of snapshots) {
      // Snapshot entries are symlinks into blobs/: follow them (listFilesBelow skips links).
      for (const file of await listLinkedFiles(join(snapshotsDir, snapshot))) {
        if (!isServableGguf(file)) continue;
        const path = join(snapshotsDir, snapshot, ...file.split("/"));
        const size = await ggufSize(path);
        if (size !== null) models.push({ tool: "huggingface", name: `hf:${repo}/${file}`, path, size });
      }
    }
  }
  return models;
}

async function listLinkedFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isDirectory()) out.push(...(await listLinkedFiles(join(dir, name), `${prefix}${name}/`)));
    else if (info?.isFile()) out.push(`${prefix}${name}`);
  }
  return out;
}

/** Whole models or the first part of a split one; projectors are not servable alone. */
function isServableGguf(file: string): boolean {
  const lower = file.toLowerCase();
  if (!lower.endsWith(".gguf") || lower.includes("mmproj")) return false;
  return (splitPartOf(file)?.index ?? 1) === 1;
}

async function readManifestLayers(path: string): Promise<{ mediaType?: string; digest?: string }[]> {
  try {
    const manifest = JSON.parse(await readFile(path, "utf8")) as { layers?: { mediaType?: string; digest?: string }[] };
    return Array.isArray(manifest.layers) ? manifest.layers : [];
  } catch {
    return [];
  }
}

/** The file's size when it starts with the GGUF magic, else null. */
async function ggufSize(path: string): Promise<number | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  const magic = Buffer.alloc(4);
  try {
    const fd = openSync(path, "r");
    try {
      readSync(fd, magic, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  return magic.toString("latin1") === "GGUF" ? info.size : null;
}

function unique(paths: (string | undefined)[]): string[] {
  return [...new Set(paths.filter((p): p is string => Boolean(p)))];
}
