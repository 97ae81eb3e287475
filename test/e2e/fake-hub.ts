/**
 * A Hugging Face Hub stand-in on 127.0.0.1 with the layout pagoda uses:
 * `GET /api/models/{repo}/tree/main?recursive=true`, `GET /{repo}/resolve/main/{file}`
 * answered with a 302 to `/cdn/...` (carrying `X-Linked-Etag` / `X-Linked-Size` as
 * the Hub does), and the CDN serving bytes with `ETag`, `Accept-Ranges` and Range.
 * Repos can be gated (bearer token), files can advertise a wrong SHA-256 (corruption)
 * or have the connection cut after N bytes, once. Every request is recorded.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeFile {
  content: Buffer;
  /** The SHA-256 the hub advertises; defaults to the content's own. */
  advertisedSha256?: string;
  /** Destroy the socket after this many body bytes, on the first full download only. */
  cutAfterBytes?: number;
}

export interface FakeRepo {
  files: Record<string, FakeFile>;
  /**
   * Requests must carry `Authorization: Bearer <token>`: for file downloads only
   * (a gated repo, whose file list is public on the Hub) or, with `isPrivate`, for
   * everything.
   */
  token?: string;
  isPrivate?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FakeHub {
  url: string;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

const treePageSize = 3;

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export async function startFakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const requests: RecordedRequest[] = [];
  const cutDone = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://hub");
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? "GET", path: `${path}${url.search}`, headers: req.headers });
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const findRepo = (name: string, isDownload: boolean): FakeRepo | null => {
      const repo = repos[name];
      if (!repo) {
        sendJson(404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
        return null;
      }
      if (repo.token && (isDownload || repo.isPrivate) && req.headers.authorization !== `Bearer ${repo.token}`) {
        sendJson(401, { error: `Access to model ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.` }, { "x-error-code": "GatedRepo" });
        return null;
      }
      return repo;
    };

    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(path);
    if (tree) {
      const repo = findRepo(tree[1], false);
      if (!repo) return;
      const entries = Object.entries(repo.files).map(([file, { content, advertisedSha256 }]) => ({
        type: "file",
        oid: createHash("sha1").update(content).digest("hex"),
        size: content.length,
        path: file,
        ...(file.endsWith(".gguf") ? { lfs: { oid: advertisedSha256 ?? sha256(content), size: content.length, pointerSize: 135 } } : {}),
      }));
      // Paginated like the Hub (which pages at 1,000): 3 entries a page, `Link: <...cursor=N>; rel="next"`.
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const page = entries.slice(cursor, cursor + treePageSize);
      const next = cursor + treePageSize < entries.length ? `${url.pathname}?recursive=true&cursor=${cursor + treePageSize}` : null;
      return sendJson(200, page, next ? { link: `<http://${req.headers.host}${next}>; rel="next"` } : {});
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    if (resolve) {
      const repo = findRepo(resolve[1], true);
      if (!repo) return;
      const file = repo.files[resolve[2]];
      if (!file) return sendJson(404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound" });
      const sha = file.advertisedSha256 ?? sha256(file.content);
      res.writeHead(302, {
        location: `/cdn/${resolve[1]}/${resolve[2]}`,
        "x-linked-etag": `"${sha}"`,
        "x-linked-size": String(file.content.length),
        "x-repo-commit": "0123456789abcdef0123456789abcdef01234567",
      });
      return res.end();
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(path);
    // The CDN URL stands for the Hub's signed redirect target: no token needed there.
    if (cdn && repos[cdn[1]]?.files[cdn[2]]) {
      const key = `${cdn[1]}/${cdn[2]}`;
      const file = repos[cdn[1]].files[cdn[2]];
      const total = file.content.length;
      const headers = { etag: `"${file.advertisedSha256 ?? sha256(file.content)}"`, "accept-ranges": "bytes", "content-type": "application/octet-stream" };
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      if (range) {
        const start = Number(range[1]);
        if (start >= total) {
          res.writeHead(416, { "content-range": `bytes */${total}` });
          return res.end();
        }
        res.writeHead(206, { ...headers, "content-length": String(total - start), "content-range": `bytes ${start}-${total - 1}/${total}` });
        return res.end(file.content.subarray(start));
      }
      res.writeHead(200, { ...headers, "content-length": String(total) });
      if (file.cutAfterBytes !== undefined && !cutDone.has(key)) {
        cutDone.add(key);
        res.write(file.content.subarray(0, file.cutAfterBytes), () => res.socket?.destroy());
        return;
      }
      return res.end(file.content);
    }
    sendJson(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
