/**
 * What a new user meets first: `npm start` with no flags serves every route
 * of the README on the built-in model (embeddings included) and drains on a
 * SIGTERM sent to npm itself (what a process manager signals); /health is 503
 * while the model loads; a model that cannot load, or a checkout that was
 * never built, ends with one line and a non-zero exit, never a stack trace.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { CHATML_TEMPLATE } from "../../src/models/byte-level-tokenizer.js";
import { testCacheDir } from "../../src/testing/paths.js";
import { cliPath, startServer } from "./server-harness.js";

const scratch = mkdtempSync(join(tmpdir(), "pagoda-first-run-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The lines a failed command printed, and that none of them is a stack frame. */
function assertOneLineFailure(result: ReturnType<typeof spawnSync>, pattern: RegExp): void {
  const stderr = String(result.stderr);
  assert.notEqual(result.status, 0, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  const pagodaLines = stderr.split("\n").filter((line) => line.startsWith("pagoda"));
  assert.match(pagodaLines.at(-1) ?? "", pattern, stderr);
}

test("npm start with no flags: chat, completions and embeddings on the built-in model; SIGTERM to npm drains and exits 0", async () => {
  // --ignore-scripts skips the prestart build (the suite has built already); start itself still runs.
  const server = await startServer({
    command: { file: process.platform === "win32" ? "npm.cmd" : "npm", args: ["start", "--silent", "--ignore-scripts"] },
    env: { PAGODA_PORT: "0", PAGODA_THREADS: "1", PAGODA_CACHE: testCacheDir },
  });
  try {
    const client = server.client();
    const [model] = (await client.models.list()).data;
    const chat = await client.chat.completions.create({ model: model.id, messages: [{ role: "user", content: "Hi" }], max_tokens: 4, seed: 1 });
    assert.equal(chat.choices[0].message.role, "assistant");
    const completion = await client.completions.create({ model: model.id, prompt: "Once", max_tokens: 4, seed: 1 });
    assert.equal(typeof completion.choices[0].text, "string");
    const embeddings = await client.embeddings.create({ model: model.id, input: ["hello", "world"] });
    assert.equal(embeddings.data.length, 2);
    assert.equal(embeddings.data[0].embedding.length, 64, "the built-in model's hidden size");
  } finally {
    assert.equal(await server.stop("SIGTERM"), 0, server.output());
  }
  assert.match(server.output(), /pagoda: SIGTERM: shutting down/);
  assert.match(server.output(), /pagoda: stopped/);
  await assert.rejects(fetch(`${server.url}/health`), "the server ended with npm, it was not left running");
});

test("/health answers 503 while the model loads, then 200", { skip: process.platform === "win32" ? "needs mkfifo" : undefined }, async () => {
  // The chat template is read during the load; from a FIFO, the load waits until the test writes it.
  const fifo = join(scratch, "template.jinja");
  execFileSync("mkfifo", [fifo]);
  const server = await startServer({
    args: ["--chat-template", fifo],
    onLoading: async (url) => {
      const loading = await fetch(`${url}/health`);
      assert.equal(loading.status, 503);
      assert.equal(loading.headers.get("retry-after"), "1");
      const body = (await loading.json()) as { error: { type: string; message: string } };
      assert.equal(body.error.type, "server_error");
      assert.match(body.error.message, /loading/);
      await writeFile(fifo, CHATML_TEMPLATE);
    },
  });
  try {
    const ready = await fetch(`${server.url}/health`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("a model that fails to load ends the process with a one-line message and exit code 1", async () => {
  const model = readFileSync(await ensureGeneratedModel("tiny-f32", testCacheDir));
  const truncated = join(scratch, "truncated.gguf");
  writeFileSync(truncated, model.subarray(0, model.length / 2)); // the header reads, the tensors are cut off
  const result = spawnSync(process.execPath, [cliPath, "serve", "--model", truncated, "--port", "0", "--threads", "1"], { encoding: "utf8" });
  assertOneLineFailure(result, /^pagoda: .*(load|model)/i);
  assert.equal(result.status, 1);
});

test("a checkout that was never built: the launcher says how to build, in one line", () => {
  const checkout = join(scratch, "unbuilt");
  mkdirSync(join(checkout, "bin"), { recursive: true });
  copyFileSync(cliPath, join(checkout, "bin", "pagoda.cjs"));
  const result = spawnSync(process.execPath, [join(checkout, "bin", "pagoda.cjs"), "--help"], { encoding: "utf8" });
  assertOneLineFailure(result, /^pagoda: not built yet .*npm run build/);
  assert.equal(String(result.stderr).trim().split("\n").length, 1);
});
