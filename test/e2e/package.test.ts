/**
 * The package as users install it: `npm pack`, then `npm install -g` of the
 * tarball into a temporary prefix (dependencies from the registry or npm's
 * cache), and the installed `pagoda` command does its jobs: serve, pull, ls,
 * rm, bench serve. Slow (the install), so one file does it all.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { repoRoot, testCacheDir } from "../../src/testing/paths.js";
import { startFakeHub, type FakeHub } from "./fake-hub.js";
import { startServer } from "./server-harness.js";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const scratch = mkdtempSync(join(tmpdir(), "pagoda-package-"));
const prefix = join(scratch, "prefix");
const pagoda = process.platform === "win32" ? join(prefix, "pagoda.cmd") : join(prefix, "bin", "pagoda");
/** The installed command's environment: its own cache, nothing from this checkout. */
const env = { ...process.env, PAGODA_CACHE: join(scratch, "cache") };
let hub: FakeHub;
let tinyModel: string;

before(async () => {
  // --ignore-scripts: the suite has built dist/ already (pack would run `prepare` again).
  await run(npm, ["pack", "--silent", "--ignore-scripts", "--pack-destination", scratch], { cwd: repoRoot });
  const [tarball] = readdirSync(scratch).filter((name) => name.endsWith(".tgz"));
  await run(npm, ["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", join(scratch, tarball)], { cwd: scratch });
  tinyModel = await ensureGeneratedModel("tiny-q8_0", testCacheDir);
  hub = await startFakeHub({ "pagoda-test/tiny-GGUF": { files: { "tiny-Q8_0.gguf": { content: readFileSync(tinyModel) } } } });
});
after(async () => {
  await hub?.close();
  rmSync(scratch, { recursive: true, force: true });
});

test("the tarball ships the build and no tests", async () => {
  const { stdout } = await run("tar", ["tzf", join(scratch, readdirSync(scratch).find((name) => name.endsWith(".tgz"))!)]);
  assert.match(stdout, /package\/dist\/src\/cli\.js/);
  assert.match(stdout, /package\/bin\/pagoda\.cjs/);
  assert.doesNotMatch(stdout, /\.test\.js|dist\/src\/testing|dist\/test/);
});

test("pagoda --help", async () => {
  const { stdout } = await run(pagoda, ["--help"], { env });
  assert.match(stdout, /Usage: pagoda <command>/);
});

test("pagoda pull, ls and rm a model from a hub", async () => {
  const hubEnv = { ...env, HF_ENDPOINT: hub.url };
  const pulled = await run(pagoda, ["pull", "hf:pagoda-test/tiny-GGUF:Q8_0"], { env: hubEnv });
  assert.match(pulled.stdout.trim(), /tiny-Q8_0\.gguf$/);
  const listed = await run(pagoda, ["ls"], { env: hubEnv });
  assert.match(listed.stdout, /hf:pagoda-test\/tiny-GGUF\s+tiny-Q8_0\.gguf/);
  const removed = await run(pagoda, ["rm", "hf:pagoda-test/tiny-GGUF"], { env: hubEnv });
  assert.match(removed.stdout, /removed .*tiny-Q8_0\.gguf/);
  const after = await run(pagoda, ["ls"], { env: hubEnv });
  assert.doesNotMatch(after.stdout, /tiny-GGUF/);
});

test("pagoda serve answers the openai client, pagoda bench serve measures it, SIGTERM exits 0", async () => {
  const server = await startServer({ command: { file: pagoda, args: ["serve", "--model", tinyModel, "--port", "0", "--threads", "1"] }, env });
  try {
    const client = server.client();
    const [model] = (await client.models.list()).data;
    const chat = await client.chat.completions.create({ model: model.id, messages: [{ role: "user", content: "Hi" }], max_tokens: 4, seed: 1 });
    assert.equal(chat.choices[0].message.role, "assistant");
    const bench = await run(pagoda, ["bench", "serve", "--base-url", server.baseURL, "--num-prompts", "2", "--input-len", "8", "--output-len", "4", "--ignore-eos"], { env });
    assert.match(bench.stdout, /Successful requests:\s+2/);
    // --input-len counts the server's tokens (its /tokenize), as vLLM's bench does: 2 prompts of 8.
    assert.match(bench.stderr, /input-len in tokens \(vllm \/tokenize\)/);
    assert.match(bench.stdout, /Total input tokens:\s+16\n/);
  } finally {
    assert.equal(await server.stop(), 0, server.output());
  }
});
