import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { cachedFilesOf } from "./cached-files-of.js";
import { hubFilePath, hubRepoDir, isCached, listCachedModels, urlFilePath, writeMeta } from "./hub-cache.js";

let cache: string;
before(async () => {
  cache = await mkdtemp(join(tmpdir(), "pagoda-hub-cache-"));
});
after(async () => {
  await rm(cache, { recursive: true, force: true });
});

async function addCached(repo: string, file: string, content = "GGUF....", withMeta = true): Promise<string> {
  const path = hubFilePath(cache, repo, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  if (withMeta) await writeMeta(path, { source: `hf:${repo}/${file}`, url: "u", repo, file, size: content.length, sha256: "0".repeat(64), downloadedAt: "2026-01-01T00:00:00.000Z" });
  return path;
}

test("layout: hub/<org>/<repo>/<file> with nested paths; url/<host>/<hash>/<name>", () => {
  assert.equal(hubRepoDir("/c", "org/repo"), "/c/hub/org/repo");
  assert.equal(hubFilePath("/c", "org/repo", "sub/x.gguf"), "/c/hub/org/repo/sub/x.gguf");
  const a = urlFilePath("/c", "https://example.com:8443/a/model.gguf");
  assert.match(a, /^\/c\/url\/example\.com_8443\/[0-9a-f]{12}\/model\.gguf$/);
  assert.notEqual(urlFilePath("/c", "https://example.com/b/model.gguf"), urlFilePath("/c", "https://example.com/a/model.gguf"));
});

test("a file counts as cached only with its metadata and the recorded size", async () => {
  const complete = await addCached("o/r", "a-Q8_0.gguf");
  const noMeta = await addCached("o/r", "b-Q8_0.gguf", "GGUF", false);
  const truncated = await addCached("o/r", "c-Q8_0.gguf");
  await writeFile(truncated, "GG");
  await writeFile(`${hubFilePath(cache, "o/r", "d-Q8_0.gguf")}.part`, "GG");
  assert.equal(await isCached(complete), true);
  assert.equal(await isCached(noMeta), false);
  assert.equal(await isCached(truncated), false);
  const listed = (await listCachedModels(cache)).map((m) => m.meta.file);
  assert.deepEqual(listed, ["a-Q8_0.gguf"]);
});

test("rm names: a file with its parts, a quant, a whole repo, nothing for an unknown one", async () => {
  await addCached("p/split", "m-Q4_K_M-00001-of-00002.gguf");
  await addCached("p/split", "m-Q4_K_M-00002-of-00002.gguf");
  await addCached("p/split", "m-Q8_0.gguf");
  const parts = [hubFilePath(cache, "p/split", "m-Q4_K_M-00001-of-00002.gguf"), hubFilePath(cache, "p/split", "m-Q4_K_M-00002-of-00002.gguf")];
  assert.deepEqual(await cachedFilesOf("hf:p/split:q4_k_m", cache), parts);
  assert.deepEqual(await cachedFilesOf("hf:p/split/m-Q4_K_M-00001-of-00002.gguf", cache), parts);
  assert.deepEqual(await cachedFilesOf("p/split", cache), [...parts, hubFilePath(cache, "p/split", "m-Q8_0.gguf")]);
  assert.deepEqual(await cachedFilesOf("hf:p/split:Q2_K", cache), []);
  assert.deepEqual(await cachedFilesOf("hf:p/none", cache), []);
});
