/**
 * The two Hugging Face Hub endpoints pagoda needs, as huggingface_hub calls them:
 * the file list (`GET /api/models/{repo}/tree/main?recursive=true`, paginated by
 * `Link: <...>; rel="next"`) and a file's download URL (`/{repo}/resolve/main/{file}`).
 * HF_ENDPOINT points both at a mirror; HF_TOKEN is sent as a bearer token.
 */
import { describeNetworkError, ModelDownloadError } from "./model-download-error.js";

export const defaultHubEndpoint = "https://huggingface.co";

export interface HubFile {
  path: string;
  size: number;
  /** SHA-256 of the content, known for LFS files (every GGUF on the Hub). */
  sha256: string | null;
}

export interface HubOptions {
  endpoint: string;
  token: string | null;
}

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv): HubOptions {
  const endpoint = (env.HF_ENDPOINT || defaultHubEndpoint).replace(/\/+$/, "");
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || null;
  return { endpoint, token };
}

export function authHeaders(options: HubOptions): Record<string, string> {
  return options.token ? { authorization: `Bearer ${options.token}` } : {};
}

export function treeUrl(options: HubOptions, repo: string): string {
  return `${options.endpoint}/api/models/${repo}/tree/main?recursive=true`;
}

export function resolveUrl(options: HubOptions, repo: string, file: string): string {
  return `${options.endpoint}/${repo}/resolve/main/${file.split("/").map(encodeURIComponent).join("/")}`;
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  lfs?: { oid?: string; size?: number };
}

/** Every file of the repository, with the sizes and hashes downloads are checked against. */
export async function listHubFiles(options: HubOptions, repo: string): Promise<HubFile[]> {
  const files: HubFile[] = [];
  let url: string | null = treeUrl(options, repo);
  while (url) {
    let response: Response;
    try {
      response = await fetch(url, { headers: { ...authHeaders(options), accept: "application/json" } });
    } catch (error) {
      throw new ModelDownloadError(`cannot reach ${url}: ${describeNetworkError(error)}`, "network", { cause: error });
    }
    if (!response.ok) throw new ModelDownloadError(await describeHttpFailure(response, url, options), response.status === 404 ? "not-found" : "http");
    const entries = (await response.json()) as TreeEntry[];
    for (const entry of entries) {
      if (entry.type !== "file" || typeof entry.path !== "string") continue;
      const sha = entry.lfs?.oid;
      files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size ?? 0, sha256: typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha) ? sha : null });
    }
    url = nextPageUrl(response.headers.get("link"), url);
  }
  return files;
}

function nextPageUrl(link: string | null, base: string): string | null {
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match ? new URL(match[1], base).toString() : null;
}

/** What describeHttpFailure needs of a response (fetch's and httpGet's both fit). */
export interface FailedResponse {
  status: number;
  statusText: string;
  text(): Promise<string>;
}

/** One sentence for a non-2xx answer; 401/403 get the gated-repo advice. */
export async function describeHttpFailure(response: FailedResponse, url: string, options: HubOptions): Promise<string> {
  const hubMessage = await response
    .text()
    .then((text) => {
      try {
        const body = JSON.parse(text) as { error?: unknown };
        return typeof body.error === "string" ? body.error : "";
      } catch {
        return "";
      }
    })
    .catch(() => "");
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  const detail = hubMessage ? ` (${hubMessage})` : "";
  if (response.status === 401 || response.status === 403) {
    const advice = options.token
      ? "HF_TOKEN was sent but has no access: accept the model's terms on its Hugging Face page with that account"
      : "the repository is gated or private: accept its terms on Hugging Face and set HF_TOKEN";
    return `access denied by ${url}: ${status}${detail}; ${advice}`;
  }
  if (response.status === 404) return `not found at ${url}: ${status}${detail}`;
  return `${url} answered ${status}${detail}`;
}
