/**
 * Downloads one file to its final path: into `<file>.part`, resumed with a Range
 * request after a cut (in this run or a later one), checked against the expected
 * size and SHA-256, then renamed into place so the final path only ever holds a
 * complete, verified file. See docs/decisions/0002-model-downloads.md.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { DownloadProgress, formatBytes, type ProgressSink } from "./download-progress.js";
import { withFileLock } from "./file-lock.js";
import type { FailedResponse } from "./hub-client.js";
import { httpGet, type HttpResponse } from "./http-get.js";
import { describeNetworkError, ModelDownloadError } from "./model-download-error.js";

export interface DownloadRequest {
  url: string;
  destination: string;
  headers?: Record<string, string>;
  expectedSize: number | null;
  expectedSha256: string | null;
  /** How the file is named in progress lines. */
  label: string;
  sink: ProgressSink;
  now?: () => number;
  /** Attempts after network failures, each resuming where the last stopped. */
  maxAttempts?: number;
  /** Builds the HTTP failure sentence (the hub adds gated-repo advice). */
  describeFailure?: (response: FailedResponse, url: string) => Promise<string>;
}

export interface DownloadedFile {
  path: string;
  size: number;
  sha256: string;
}

class RetriableError extends Error {}

export async function downloadFile(request: DownloadRequest): Promise<DownloadedFile> {
  await mkdir(dirname(request.destination), { recursive: true });
  const onWait = () => request.sink.write(`waiting for another pagoda downloading ${request.label}\n`);
  return withFileLock(`${request.destination}.lock`, onWait, async () => {
    const done = await stat(request.destination).catch(() => null);
    if (done && (request.expectedSize === null || done.size === request.expectedSize)) {
      return { path: request.destination, size: done.size, sha256: request.expectedSha256 ?? (await hashFile(request.destination)) };
    }
    return downloadLocked(request);
  });
}

async function downloadLocked(request: DownloadRequest): Promise<DownloadedFile> {
  const part = `${request.destination}.part`;
  const maxAttempts = request.maxAttempts ?? 4;
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const { size, sha256 } = await attemptDownload(request, part);
      await rename(part, request.destination);
      return { path: request.destination, size, sha256 };
    } catch (error) {
      if (!(error instanceof RetriableError)) throw error;
      lastError = error;
      if (attempt < maxAttempts) {
        request.sink.write(`  ${request.label}: ${error.message}; retrying (${attempt + 1}/${maxAttempts})\n`);
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }
  const kept = (await stat(part).catch(() => null))?.size ?? 0;
  throw new ModelDownloadError(
    `download of ${request.url} failed after ${maxAttempts} attempts: ${(lastError as Error).message}` +
      (kept > 0 ? `; ${formatBytes(kept)} kept in ${part}, the next run resumes from there` : ""),
    "network",
  );
}

async function attemptDownload(request: DownloadRequest, part: string): Promise<{ size: number; sha256: string }> {
  let offset = (await stat(part).catch(() => null))?.size ?? 0;
  if (request.expectedSize !== null && offset > request.expectedSize) {
    await rm(part, { force: true });
    offset = 0;
  }
  const headers: Record<string, string> = { ...request.headers, "accept-encoding": "identity", "user-agent": "pagoda" };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let response: HttpResponse;
  try {
    response = await httpGet(request.url, headers);
  } catch (error) {
    throw new RetriableError(describeNetworkError(error));
  }
  if (response.status === 416 && offset > 0) {
    // The part may already be complete (a run killed just before its rename).
    response.body.resume();
    if (offset === request.expectedSize) return verify(request, part, offset, await hashFile(part), offset);
    await rm(part, { force: true });
    throw new RetriableError(`the server refused to resume at ${offset} bytes (416)`);
  }
  if (response.status < 200 || response.status >= 300) {
    const message = request.describeFailure ? await request.describeFailure(response, request.url) : `${request.url} answered ${response.status}`;
    if (response.status >= 500) throw new RetriableError(message);
    throw new ModelDownloadError(message, response.status === 404 ? "not-found" : "http");
  }
  if (response.status === 206) {
    const start = Number(/bytes (\d+)-/.exec(header(response, "content-range") ?? "")?.[1]);
    if (start !== offset) {
      response.body.destroy();
      await rm(part, { force: true });
      throw new RetriableError(`the server resumed at byte ${start}, not ${offset}; starting over`);
    }
  } else if (offset > 0) {
    request.sink.write(`  ${request.label}: the server does not support resuming; starting over\n`);
    offset = 0;
  }
  const total = request.expectedSize ?? totalFromHeaders(response, offset);
  const expectedSha256 = request.expectedSha256 ?? sha256FromHeaders(response);

  const hash = createHash("sha256");
  if (offset > 0) await hashInto(hash, part);
  const progress = new DownloadProgress({ label: request.label, total, sink: request.sink, now: request.now ?? Date.now });
  progress.start(offset);
  let bytes = offset;
  try {
    await writeBody(response, part, offset > 0, (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
      progress.update(bytes);
    });
  } catch (error) {
    progress.fail();
    if (error instanceof DiskError) throw new ModelDownloadError(`cannot write ${part}: ${error.message}`, "http");
    throw new RetriableError(`connection lost after ${formatBytes(bytes)} (${describeNetworkError(error)})`);
  }
  progress.finish();
  if (total !== null && bytes < total) throw new RetriableError(`connection closed after ${formatBytes(bytes)} of ${formatBytes(total)}`);
  return verify({ ...request, expectedSha256 }, part, bytes, hash.digest("hex"), total);
}

class DiskError extends Error {}

/** Streams the body into `part` in flowing mode, so every byte received before a cut is kept. */
function writeBody(response: HttpResponse, part: string, append: boolean, onChunk: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(part, { flags: append ? "a" : "w" });
    let failure: Error | null = null;
    out.on("error", (error) => {
      failure = new DiskError(error.message);
      response.body.destroy();
    });
    response.body.on("data", (chunk: Buffer) => {
      onChunk(chunk);
      if (!out.write(chunk)) {
        response.body.pause();
        out.once("drain", () => response.body.resume());
      }
    });
    response.body.on("error", (error) => (failure ??= error));
    response.body.on("close", () => {
      if (!response.body.complete) failure ??= new Error("connection closed early");
      out.end(() => (failure ? reject(failure) : resolve()));
    });
  });
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function verify(request: DownloadRequest, part: string, size: number, sha256: string, total: number | null): Promise<{ size: number; sha256: string }> {
  if (total !== null && size !== total) {
    await rm(part, { force: true });
    throw new ModelDownloadError(`${request.url} sent ${size} bytes where ${total} were expected; the partial file was deleted`, "integrity");
  }
  if (request.expectedSha256 !== null && sha256 !== request.expectedSha256) {
    await rm(part, { force: true });
    throw new ModelDownloadError(
      `${request.label} from ${request.url} is corrupt: its SHA-256 is ${sha256}, the hub says ${request.expectedSha256}; the download was deleted`,
      "integrity",
    );
  }
  return { size, sha256 };
}

function totalFromHeaders(response: HttpResponse, offset: number): number | null {
  const rangeTotal = /\/(\d+)$/.exec(header(response, "content-range") ?? "")?.[1];
  if (rangeTotal) return Number(rangeTotal);
  const linked = header(response, "x-linked-size");
  if (linked && response.status === 200) return Number(linked);
  const length = header(response, "content-length");
  return length !== undefined ? offset + Number(length) : null;
}

/**
 * The Hub's `X-Linked-Etag` is the SHA-256 of an LFS file (huggingface_hub reads it
 * the same way). A plain `ETag` is not trusted: any server may put 64 hex digits there.
 */
function sha256FromHeaders(response: HttpResponse): string | null {
  const value = response.linkedEtag?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  return value && /^[0-9a-f]{64}$/.test(value) ? value : null;
}

async function hashInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await hashInto(hash, path);
  return hash.digest("hex");
}
