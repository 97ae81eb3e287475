/**
 * The web page at `/` (playground) and `/dashboard`, and the engine snapshot
 * routes the dashboard reads. The page is built by `npm run build` into
 * dist/ui (scripts/build-ui.mjs) and served from memory: gzip and brotli
 * variants made at build time, ETags, `no-cache` for the page and
 * `immutable` for its content-hashed assets. It talks to the server only
 * through the public HTTP API.
 *
 * Relative URLs in the page resolve against a `<base href>` set per request,
 * so it works at `/` and under `--root-path`.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { sendSnapshot, streamSnapshots } from "./engine-snapshots.js";

export const defaultAssetsDir = fileURLToPath(new URL("../../ui/", import.meta.url));

export interface WebPageConfig {
  /** False with --disable-frontend: the snapshot routes stay, the page goes. */
  isPageEnabled: boolean;
  rootPath: string;
  takeSnapshot: () => unknown;
  snapshotIntervalMs: number;
  assetsDir?: string;
}

interface Asset {
  contentType: string;
  etag: string;
  /** By content encoding; "identity" always present. */
  bodies: Map<string, Buffer>;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};
const pageRoutes = new Set(["/", "/dashboard"]);
const immutable = "public, max-age=31536000, immutable";
const basePlaceholder = "<!--pagoda-base-->";

export class WebPage {
  private readonly assets = new Map<string, Asset>();
  private readonly pageTemplate: string | null;
  private readonly pages = new Map<string, Asset>();

  constructor(private readonly config: WebPageConfig) {
    const dir = config.assetsDir ?? defaultAssetsDir;
    const indexPath = join(dir, "index.html");
    this.pageTemplate = config.isPageEnabled && existsSync(indexPath) ? readFileSync(indexPath, "utf8") : null;
    if (this.pageTemplate !== null) this.loadAssets(join(dir, "assets"));
  }

  /** Whether `/` serves the page (for the banner). */
  get isServingPage(): boolean {
    return this.config.isPageEnabled;
  }

  /**
   * Answers the request when it is one of this module's routes; returns false
   * otherwise. `verifyKey` throws for a missing or wrong API key.
   */
  serve(request: IncomingMessage, response: ServerResponse, path: string, verifyKey: (request: IncomingMessage) => void): boolean {
    const isRead = request.method === "GET" || request.method === "HEAD";
    if (!isRead) return false;
    if (request.method === "GET" && (path === "/v1/engine/snapshots" || path === "/v1/engine/snapshot")) {
      verifyKey(request);
      if (path.endsWith("s")) streamSnapshots(request, response, this.config.takeSnapshot, this.config.snapshotIntervalMs);
      else sendSnapshot(response, this.config.takeSnapshot());
      return true;
    }
    if (!this.config.isPageEnabled) return false;
    if (pageRoutes.has(path)) {
      if (this.pageTemplate === null) {
        const text = "pagoda's web page is not built: run `npm run build`.\n";
        response.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) }).end(text);
        return true;
      }
      sendAsset(request, response, this.pageFor(baseHrefOf(request.url, this.config.rootPath)), "no-cache");
      return true;
    }
    const asset = path.startsWith("/assets/") ? this.assets.get(path.slice("/assets/".length)) : undefined;
    if (!asset) return false;
    sendAsset(request, response, asset, immutable);
    return true;
  }

  private pageFor(baseHref: string): Asset {
    let page = this.pages.get(baseHref);
    if (!page) {
      const html = Buffer.from(this.pageTemplate!.replace(basePlaceholder, `<base href="${escapeAttribute(baseHref)}">`));
      page = { contentType: contentTypes[".html"], etag: etagOf(html), bodies: new Map([["identity", html], ["gzip", gzipSync(html)]]) };
      this.pages.set(baseHref, page);
    }
    return page;
  }

  private loadAssets(dir: string): void {
    if (!existsSync(dir)) return;
    const names = readdirSync(dir);
    for (const name of names) {
      const extension = /\.[a-z]+$/.exec(name)?.[0] ?? "";
      if (extension === ".gz" || extension === ".br" || extension === ".map") continue;
      const body = readFileSync(join(dir, name));
      const bodies = new Map([["identity", body]]);
      if (names.includes(`${name}.br`)) bodies.set("br", readFileSync(join(dir, `${name}.br`)));
      if (names.includes(`${name}.gz`)) bodies.set("gzip", readFileSync(join(dir, `${name}.gz`)));
      this.assets.set(name, { contentType: contentTypes[extension] ?? "application/octet-stream", etag: etagOf(body), bodies });
    }
  }
}

/** `<root-path>/` when the request came through the prefix, else `/`. */
export function baseHrefOf(url: string | undefined, rootPath: string): string {
  let pathname = "/";
  try {
    pathname = new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    // An unparsable target was routed as a path already; the plain base is safe.
  }
  return rootPath !== "" && (pathname === rootPath || pathname.startsWith(`${rootPath}/`)) ? `${rootPath}/` : "/";
}

/** The best encoding the client accepts among those we have: br, then gzip, else none. */
export function chooseEncoding(acceptEncoding: string | undefined, available: Iterable<string>): string {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)).find(Boolean);
    accepted.set(name, q ? Number(q[1]) : 1);
  }
  const have = new Set(available);
  for (const encoding of ["br", "gzip"]) {
    const q = accepted.get(encoding) ?? accepted.get("*") ?? 0;
    if (have.has(encoding) && q > 0) return encoding;
  }
  return "identity";
}

function sendAsset(request: IncomingMessage, response: ServerResponse, asset: Asset, cacheControl: string): void {
  const headers: Record<string, string | number> = { "Cache-Control": cacheControl, ETag: asset.etag, Vary: "Accept-Encoding" };
  if (request.headers["if-none-match"] === asset.etag) {
    response.writeHead(304, headers).end();
    return;
  }
  const encoding = chooseEncoding(request.headers["accept-encoding"], asset.bodies.keys());
  const body = asset.bodies.get(encoding)!;
  if (encoding !== "identity") headers["Content-Encoding"] = encoding;
  response.writeHead(200, {
    ...headers,
    "Content-Type": asset.contentType,
    "Content-Length": body.length,
    "X-Content-Type-Options": "nosniff",
    ...(asset.contentType.startsWith("text/html") ? { "Content-Security-Policy": pageSecurityPolicy } : {}),
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

/**
 * Defence in depth behind the sanitiser: no inline or foreign script, no
 * plugin, no framing; images only from the page itself or data: URLs.
 */
const pageSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
