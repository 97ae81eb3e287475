/**
 * GET over node:http(s), following redirects. Used for file bodies instead of
 * fetch because a node response in flowing mode hands over every byte that
 * arrived before a cut; a WHATWG stream that errors drops the chunks still queued,
 * and those bytes would be downloaded twice.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** The Hub's `X-Linked-Etag` (SHA-256 of an LFS file), sent on the redirect to its CDN. */
  linkedEtag: string | null;
  text(): Promise<string>;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export function httpGet(
  url: string,
  headers: Record<string, string>,
  options: { maxRedirects?: number; idleTimeoutMs?: number; linkedEtag?: string | null } = {},
): Promise<HttpResponse> {
  const { maxRedirects = 10, idleTimeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, { headers }, (body) => {
      const status = body.statusCode ?? 0;
      const location = body.headers.location;
      const linked = body.headers["x-linked-etag"];
      const linkedEtag = options.linkedEtag ?? (typeof linked === "string" ? linked : null);
      if (redirectStatuses.has(status) && location) {
        body.resume();
        if (maxRedirects === 0) return reject(new Error(`too many redirects at ${url}`));
        const next = new URL(location, target);
        // As browsers and huggingface_hub do: credentials never follow a redirect to another host.
        const nextHeaders = next.origin === target.origin ? headers : Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"));
        httpGet(next.toString(), nextHeaders, { maxRedirects: maxRedirects - 1, idleTimeoutMs, linkedEtag }).then(resolve, reject);
        return;
      }
      body.setTimeout(idleTimeoutMs, () => body.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
      resolve({ status, statusText: body.statusMessage ?? "", headers: body.headers, body, linkedEtag, text: () => readText(body) });
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no answer for ${idleTimeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end();
  });
}

async function readText(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
