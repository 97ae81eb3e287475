/**
 * What a `--model` value names, before anything is downloaded: a local file, a
 * file in a Hugging Face repository, a quantization of one, a whole repository
 * (default quantization), or a plain URL.
 */
import { existsSync } from "node:fs";

export type ModelSource =
  | { kind: "path"; path: string }
  | { kind: "hf-file"; repo: string; file: string }
  | { kind: "hf-quant"; repo: string; quant: string }
  | { kind: "hf-repo"; repo: string }
  | { kind: "url"; url: string };

export class ModelSpecError extends Error {}

const repoPart = "[A-Za-z0-9][A-Za-z0-9._-]*";
const repoPattern = new RegExp(`^(${repoPart}/${repoPart})$`);
const repoQuantPattern = new RegExp(`^(${repoPart}/${repoPart}):([A-Za-z0-9_.-]+)$`);
const repoFilePattern = new RegExp(`^(${repoPart}/${repoPart})/(.+\\.gguf)$`, "i");

/**
 * `fileExists` decides the one ambiguous case: `org/repo` is a relative path when
 * such a file exists, a repository otherwise (as `vllm serve` treats it).
 */
export function parseModelSource(spec: string, fileExists: (path: string) => boolean = existsSync): ModelSource {
  const trimmed = spec.trim();
  if (trimmed === "") throw new ModelSpecError("--model is empty");
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      new URL(trimmed);
    } catch {
      throw new ModelSpecError(`'${spec}' is not a valid URL`);
    }
    return { kind: "url", url: trimmed };
  }
  const hasHfPrefix = /^(hf|huggingface):/i.test(trimmed);
  const rest = hasHfPrefix ? trimmed.slice(trimmed.indexOf(":") + 1).replace(/^\/+/, "") : trimmed;
  if (!hasHfPrefix && (fileExists(trimmed) || /\.gguf$/i.test(trimmed) || trimmed.startsWith(".") || trimmed.startsWith("/") || trimmed.startsWith("~"))) {
    return { kind: "path", path: trimmed };
  }
  const fileMatch = repoFilePattern.exec(rest);
  if (fileMatch && !fileMatch[2].split("/").includes("..")) return { kind: "hf-file", repo: fileMatch[1], file: fileMatch[2] };
  const quantMatch = repoQuantPattern.exec(rest);
  if (quantMatch) return { kind: "hf-quant", repo: quantMatch[1], quant: quantMatch[2] };
  const repoMatch = repoPattern.exec(rest);
  if (repoMatch) return { kind: "hf-repo", repo: repoMatch[1] };
  if (hasHfPrefix) {
    throw new ModelSpecError(`'${spec}' is not a Hugging Face model: use hf:ORG/REPO, hf:ORG/REPO:QUANT or hf:ORG/REPO/FILE.gguf`);
  }
  return { kind: "path", path: trimmed };
}

/** The canonical name of a source, as `pagoda ls` prints it and `pagoda rm` accepts it. */
export function describeModelSource(source: ModelSource): string {
  switch (source.kind) {
    case "path": return source.path;
    case "url": return source.url;
    case "hf-file": return `hf:${source.repo}/${source.file}`;
    case "hf-quant": return `hf:${source.repo}:${source.quant}`;
    case "hf-repo": return `hf:${source.repo}`;
  }
}
