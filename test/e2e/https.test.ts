/**
 * HTTPS: --ssl-keyfile/--ssl-certfile with a self-signed pair made here. The
 * openai client trusts that certificate through a custom fetch; clients that
 * do not trust it are refused, and bad TLS flags are one-line start-up errors.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { selfSignedPair } from "./https-fetch.js";
import { cliPath, startServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let dir: string;
let keyfile: string;
let certfile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "pagoda-tls-"));
  const { key, cert } = await selfSignedPair();
  keyfile = join(dir, "key.pem");
  certfile = join(dir, "cert.pem");
  writeFileSync(keyfile, key);
  writeFileSync(certfile, cert);
  server = await startServer({ args: ["--ssl-keyfile", keyfile], env: { PAGODA_SSL_CERTFILE: certfile }, ca: cert });
});
after(async () => {
  assert.equal(await server.stop(), 0);
  rmSync(dir, { recursive: true, force: true });
});

test("the banner and the listening line give https URLs", () => {
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(server.output(), /OpenAI base URL: https:\/\//);
});

test("the openai client trusting the certificate gets chat completions, plain and streamed, over TLS", async () => {
  const client = server.client();
  const model = (await client.models.list()).data[0].id;
  const messages = [{ role: "user" as const, content: "Hello over TLS" }];
  const completion = await client.chat.completions.create({ model, messages, max_tokens: 4 });
  assert.equal(completion.object, "chat.completion");
  assert.ok(completion.usage!.completion_tokens >= 1);
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 4, stream: true });
  let numChunks = 0;
  let finishReason: string | null = null;
  for await (const chunk of stream) {
    numChunks++;
    finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
  }
  assert.ok(numChunks >= 2);
  assert.ok(finishReason === "stop" || finishReason === "length", String(finishReason));
});

test("/health answers 200 over TLS", async () => {
  const health = await server.fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "");
});

test("a client that does not trust the certificate is refused, and plain HTTP on the port gets no answer", async () => {
  await assert.rejects(fetch(`${server.url}/health`), (error: Error) => /self.signed|certificate/i.test(String((error.cause as Error | undefined)?.message ?? error.message)));
  await assert.rejects(fetch(`${server.url.replace("https:", "http:")}/health`));
});

/** Runs `pagoda serve` with these flags, expecting it to fail before serving. */
async function failedStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, "serve", "--port", "0", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, stderr };
}

test("bad TLS flags stop the server at start-up with one clear line and no stack trace", async () => {
  const onlyKey = await failedStart(["--ssl-keyfile", keyfile], { PAGODA_SSL_CERTFILE: "" });
  assert.equal(onlyKey.code, 2);
  assert.match(onlyKey.stderr, /HTTPS needs both --ssl-keyfile and --ssl-certfile/);

  const missing = await failedStart(["--ssl-keyfile", join(dir, "missing.pem"), "--ssl-certfile", certfile]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read --ssl-keyfile .*missing\.pem \(ENOENT\)/);

  const other = await selfSignedPair();
  const otherKey = join(dir, "other-key.pem");
  writeFileSync(otherKey, other.key);
  const mismatched = await failedStart(["--ssl-keyfile", otherKey, "--ssl-certfile", certfile]);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /not a usable PEM key and certificate pair/);

  for (const { stderr } of [onlyKey, missing, mismatched]) {
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.doesNotMatch(stderr, /^\s+at /m);
  }
});
