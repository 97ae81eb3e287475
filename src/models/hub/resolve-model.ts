/**
 * `--model` value -> local GGUF path, downloading into the cache when needed.
 * The one entry point for `pagoda serve` (once per model) and `pagoda pull`.
 */
import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, resolve as resolvePath } from "node:path";
import { defaultCacheDir } from "../model-cache.js";
import { downloadFile } from "./download-file.js";
import { stderrSink, type ProgressSink } from "./download-progress.js";
import { authHeaders, describeHttpFailure, hubOptionsFromEnv, listHubFiles, resolveUrl, treeUrl, type HubFile, type HubOptions } from "./hub-client.js";
import { hubFilePath, hubRepoDir, isCached, listFilesBelow, urlFilePath, writeMeta } from "./hub-cache.js";
import { pruneEmptyDirsFrom } from "./cached-files-of.js";
import { ModelDownloadError } from "./model-download-error.js";
import { parseModelSource, type ModelSource } from "./model-source.js";
import { availableQuants, isModelGguf, pickGgufFiles, splitPartOf, withParts, type PickedFiles } from "./quant-picker.js";

export interface ResolveOptions {
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Progress and log lines (stderr by default). */
  sink?: ProgressSink;
  now?: () => number;
}

export interface ResolvedModel {
  /** The file to give llama.cpp: the model, or the first part of a split model. */
  path: string;
  /** Every local file of the model (all parts of a split model). */
  files: string[];
  source: ModelSource;
  /** Whether anything was downloaded in this call. */
  wasDownloaded: boolean;
}

export async function resolveModel(spec: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const source = parseModelSource(spec);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const context: Context = {
    spec,
    cacheDir,
    hub: hubOptionsFromEnv(options.env ?? process.env),
    sink: options.sink ?? stderrSink,
    now: options.now ?? Date.now,
    isOffline: isTruthy((options.env ?? process.env).HF_HUB_OFFLINE),
  };
  try {
    switch (source.kind) {
      case "path": return await resolveLocal(source.path, source);
      case "url": return await resolveUrlSource(context, source);
      case "hf-file": return await resolveHub(context, source, source.repo, (files) => pickExactFile(files, source.file));
      case "hf-quant": return await resolveHub(context, source, source.repo, (files) => pickGgufFiles(files, source.quant));
      case "hf-repo": return await resolveHub(context, source, source.repo, (files) => pickGgufFiles(files, null));
    }
  } catch (error) {
    if (!(error instanceof ModelDownloadError)) throw error;
    const where = source.kind === "url" ? dirname(urlFilePath(cacheDir, source.url)) : source.kind === "path" ? null : hubRepoDir(cacheDir, source.repo);
    // A download that failed before writing a byte leaves no empty folders behind (a partial one keeps its .part to resume).
    if (where) await pruneEmptyDirsFrom(where, cacheDir);
    const suffix = where ? `; cache: ${where}` : "";
    throw new ModelDownloadError(`cannot get model ${spec}: ${error.message}${suffix}`, error.kind, { cause: error });
  }
}

interface Context {
  spec: string;
  cacheDir: string;
  hub: HubOptions;
  sink: ProgressSink;
  now: () => number;
  /** HF_HUB_OFFLINE, as huggingface_hub and vLLM honour it: the cache only, no request. */
  isOffline: boolean;
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.toLowerCase());
}

async function resolveLocal(path: string, source: ModelSource): Promise<ResolvedModel> {
  const expanded = path.startsWith("~/") ? resolvePath(homedir(), path.slice(2)) : path;
  const info = await stat(expanded).catch(() => null);
  if (!info?.isFile()) {
    throw new ModelDownloadError(`no such file: ${resolvePath(expanded)} (a Hugging Face model is hf:ORG/REPO[:QUANT] or ORG/REPO)`, "not-found");
  }
  return { path: expanded, files: [expanded], source, wasDownloaded: false };
}

function pickExactFile(files: readonly string[], file: string): PickedFiles | null {
  if (!files.includes(file)) return null;
  return { files: withParts(file, files), quant: null, reason: "as named, with all its parts" };
}

async function resolveHub(
  context: Context,
  source: ModelSource & { repo: string },
  repo: string,
  pick: (files: readonly string[]) => PickedFiles | null,
): Promise<ResolvedModel> {
  const { cacheDir, sink } = context;
  // A named file already in the cache needs no network at all.
  if (source.kind === "hf-file") {
    const local = await pickFromCache(cacheDir, repo, pick);
    if (local) return { ...local, source };
  }
  if (context.isOffline) {
    const local = await pickFromCache(cacheDir, repo, pick);
    if (local) return { ...local, source };
    throw new ModelDownloadError("HF_HUB_OFFLINE is set and the model is not in the cache", "network");
  }
  let hubFiles: HubFile[];
  try {
    hubFiles = await listHubFiles(context.hub, repo);
  } catch (error) {
    // Offline: a quant resolved earlier is still servable from the cache.
    if (error instanceof ModelDownloadError && error.kind === "network") {
      const local = await pickFromCache(cacheDir, repo, pick);
      if (local) {
        sink.write(`${context.spec}: the hub is unreachable; using the cached ${local.files.map((f) => f.slice(hubRepoDir(cacheDir, repo).length + 1)).join(", ")}\n`);
        return { ...local, source };
      }
    }
    throw error;
  }
  const names = hubFiles.map((file) => file.path);
  const picked = pick(names);
  if (!picked) throw new ModelDownloadError(noMatchMessage(context, source, names), "not-found");
  if (source.kind !== "hf-file" || picked.files.length > 1) {
    sink.write(`${context.spec}: ${picked.files.join(", ")} (${picked.reason})\n`);
  }
  const byName = new Map(hubFiles.map((file) => [file.path, file]));
  const paths: string[] = [];
  let wasDownloaded = false;
  for (const file of picked.files) {
    const hubFile = byName.get(file)!;
    const destination = hubFilePath(cacheDir, repo, file);
    paths.push(destination);
    if (await isCached(destination)) continue;
    const url = resolveUrl(context.hub, repo, file);
    sink.write(`${context.spec}: ${url} -> ${destination}\n`);
    const downloaded = await downloadFile({
      url,
      destination,
      headers: authHeaders(context.hub),
      expectedSize: hubFile.size > 0 ? hubFile.size : null,
      expectedSha256: hubFile.sha256,
      label: file,
      sink,
      now: context.now,
      describeFailure: (response, failedUrl) => describeHttpFailure(response, failedUrl, context.hub),
    });
    await writeMeta(destination, {
      source: `hf:${repo}/${file}`,
      url,
      repo,
      file,
      size: downloaded.size,
      sha256: downloaded.sha256,
      downloadedAt: new Date(context.now()).toISOString(),
    });
    wasDownloaded = true;
  }
  return { path: paths[0], files: paths, source, wasDownloaded };
}

async function pickFromCache(cacheDir: string, repo: string, pick: (files: readonly string[]) => PickedFiles | null): Promise<ResolvedModel | null> {
  const cachedNames: string[] = [];
  for (const file of await listFilesBelow(hubRepoDir(cacheDir, repo))) {
    if (await isCached(hubFilePath(cacheDir, repo, file))) cachedNames.push(file);
  }
  const picked = pick(cachedNames);
  if (!picked) return null;
  const split = splitPartOf(picked.files[0]);
  if (split && picked.files.length !== split.count) return null;
  const files = picked.files.map((file) => hubFilePath(cacheDir, repo, file));
  return { path: files[0], files, source: { kind: "hf-repo", repo }, wasDownloaded: false };
}

function noMatchMessage(context: Context, source: ModelSource & { repo: string }, names: string[]): string {
  const url = treeUrl(context.hub, source.repo);
  const ggufs = names.filter(isModelGguf);
  if (ggufs.length === 0) return `the repository has no GGUF file (listed by ${url}); pagoda serves GGUF models only, look for a -GGUF repository`;
  const quants = availableQuants(names);
  const offer = quants.length > 0 ? `; available quants: ${quants.join(", ")}` : `; files: ${ggufs.slice(0, 10).join(", ")}`;
  if (source.kind === "hf-file") return `no file ${source.file} in ${source.repo} (listed by ${url})${offer}`;
  if (source.kind === "hf-quant") return `no ${source.quant} GGUF in ${source.repo} (listed by ${url})${offer}`;
  return `no GGUF in ${source.repo} (listed by ${url})${offer}`;
}

async function resolveUrlSource(context: Context, source: ModelSource & { kind: "url" }): Promise<ResolvedModel> {
  const destination = urlFilePath(context.cacheDir, source.url);
  if (await isCached(destination)) return { path: destination, files: [destination], source, wasDownloaded: false };
  if (context.isOffline) throw new ModelDownloadError(`HF_HUB_OFFLINE is set and ${source.url} is not in the cache`, "network");
  context.sink.write(`${context.spec}: -> ${destination}\n`);
  const isHub = source.url.startsWith(`${context.hub.endpoint}/`);
  const downloaded = await downloadFile({
    url: source.url,
    destination,
    headers: isHub ? authHeaders(context.hub) : {},
    expectedSize: null,
    expectedSha256: null,
    label: destination.split("/").pop()!,
    sink: context.sink,
    now: context.now,
    describeFailure: (response, failedUrl) => describeHttpFailure(response, failedUrl, context.hub),
  });
  await writeMeta(destination, {
    source: source.url,
    url: source.url,
    repo: null,
    file: destination.split("/").pop()!,
    size: downloaded.size,
    sha256: downloaded.sha256,
    downloadedAt: new Date(context.now()).toISOString(),
  });
  return { path: destination, files: [destination], source, wasDownloaded: true };
}
