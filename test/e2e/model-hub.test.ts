/**
 * Models by name, against a fake Hugging Face Hub on loopback: `pagoda pull` with
 * progress, resume after a cut connection, corruption, gated repos, the `hf:` forms,
 * offline errors, `ls` / `ls --discover` / `rm`, and `pagoda serve --model hf:...`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { testCacheDir } from "../../src/testing/paths.js";
import { startFakeHub, sha256, type FakeHub } from "./fake-hub.js";
import { cliPath } from "./server-harness.js";

let hub: FakeHub;
let work: string;
let q8: Buffer;
let f32: Buffer;
const token = "hf_test_token";

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PAGODA_CACHE: join(work, "cache"), HOME: join(work, "home"), HF_ENDPOINT: hub.url };
  for (const name of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HOME", "HF_HUB_CACHE", "OLLAMA_MODELS", "XDG_CACHE_HOME"]) delete env[name];
  return { ...env, ...extra };
}

function runCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [cliPath, ...args], { env: baseEnv(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const cdnRequests = (file: string) => hub.requests.filter((r) => r.path.startsWith("/cdn/") && r.path.endsWith(`/${file}`));
const cachePath = (...parts: string[]) => join(work, "cache", "hub", ...parts);

function assertNoStackTrace(output: string): void {
  assert.doesNotMatch(output, /^\s+at /m, output);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "pagoda-hub-"));
  await mkdir(join(work, "home"), { recursive: true });
  q8 = await readFile(await ensureGeneratedModel("tiny-q8_0", testCacheDir));
  f32 = await readFile(await ensureGeneratedModel("tiny-f32", testCacheDir));
  const third = Math.ceil(q8.length / 3);
  hub = await startFakeHub({
    "pagoda-test/tiny-GGUF": {
      files: {
        "README.md": { content: Buffer.from("# tiny\n") },
        "tiny-Q8_0.gguf": { content: q8 },
        "tiny-F32.gguf": { content: f32 },
        "nested/dir/tiny-f32-copy.gguf": { content: f32 },
        "mmproj-tiny-F16.gguf": { content: f32 },
      },
    },
    "pagoda-test/split-GGUF": {
      files: {
        "tiny-Q4_K_M-00001-of-00003.gguf": { content: q8.subarray(0, third) },
        "tiny-Q4_K_M-00002-of-00003.gguf": { content: q8.subarray(third, 2 * third) },
        "tiny-Q4_K_M-00003-of-00003.gguf": { content: q8.subarray(2 * third) },
        "tiny-Q8_0.gguf": { content: q8 },
      },
    },
    "pagoda-test/gated-GGUF": { token, files: { "gated-Q8_0.gguf": { content: q8 } } },
    "pagoda-test/private-GGUF": { token, isPrivate: true, files: { "private-Q8_0.gguf": { content: q8 } } },
    "pagoda-test/corrupt-GGUF": { files: { "bad-Q8_0.gguf": { content: q8, advertisedSha256: sha256(f32) } } },
    "pagoda-test/cut-GGUF": { files: { "cut-Q8_0.gguf": { content: q8, cutAfterBytes: 10_000 } } },
    "pagoda-test/resume-GGUF": { files: { "resume-Q8_0.gguf": { content: q8 } } },
    "pagoda-test/race-GGUF": { files: { "race-Q8_0.gguf": { content: q8 } } },
  });
});

after(async () => {
  await hub?.close();
  await rm(work, { recursive: true, force: true });
});

describe("pagoda pull", () => {
  test("hf:ORG/REPO:QUANT (any case) downloads the file with progress into the cache, then reuses it", async () => {
    const first = await runCli(["pull", "hf:pagoda-test/tiny-GGUF:q8_0"]);
    assert.equal(first.code, 0, first.stderr);
    const path = cachePath("pagoda-test", "tiny-GGUF", "tiny-Q8_0.gguf");
    assert.equal(first.stdout.trim(), path);
    assert.deepEqual(await readFile(path), q8);
    assert.match(first.stderr, /downloading tiny-Q8_0\.gguf \(/);
    assert.match(first.stderr, /tiny-Q8_0\.gguf: [\d.]+ KiB \/ [\d.]+ KiB {2}100%/);
    assert.match(first.stderr, new RegExp(`${hub.url}/pagoda-test/tiny-GGUF/resolve/main/tiny-Q8_0.gguf -> ${path}`));
    const meta = JSON.parse(await readFile(`${path}.meta.json`, "utf8")) as { sha256: string; size: number };
    assert.equal(meta.sha256, sha256(q8));
    assert.equal(meta.size, q8.length);

    const downloads = cdnRequests("tiny-Q8_0.gguf").length;
    const second = await runCli(["pull", "hf:pagoda-test/tiny-GGUF:Q8_0"]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), path);
    assert.match(second.stderr, /already in the cache/);
    assert.equal(cdnRequests("tiny-Q8_0.gguf").length, downloads);
  });

  test("ORG/REPO picks the default quant and says so; mmproj files are never picked", async () => {
    const result = await runCli(["pull", "pagoda-test/tiny-GGUF"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), cachePath("pagoda-test", "tiny-GGUF", "tiny-Q8_0.gguf"));
    assert.match(result.stderr, /Q8_0, the default quant/);
  });

  test("hf:ORG/REPO/nested/FILE.gguf downloads that file", async () => {
    const result = await runCli(["pull", "hf:pagoda-test/tiny-GGUF/nested/dir/tiny-f32-copy.gguf"]);
    assert.equal(result.code, 0, result.stderr);
    const path = cachePath("pagoda-test", "tiny-GGUF", "nested", "dir", "tiny-f32-copy.gguf");
    assert.equal(result.stdout.trim(), path);
    assert.deepEqual(await readFile(path), f32);
    // The file is on the tree listing's second page, reached through its Link header.
    assert.ok(hub.requests.some((r) => r.path === "/api/models/pagoda-test/tiny-GGUF/tree/main?recursive=true&cursor=3"));
  });

  test("a split quant downloads every part and returns the first", async () => {
    const result = await runCli(["pull", "hf:pagoda-test/split-GGUF:Q4_K_M"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), cachePath("pagoda-test", "split-GGUF", "tiny-Q4_K_M-00001-of-00003.gguf"));
    const parts = await Promise.all([1, 2, 3].map((i) => readFile(cachePath("pagoda-test", "split-GGUF", `tiny-Q4_K_M-0000${i}-of-00003.gguf`))));
    assert.deepEqual(Buffer.concat(parts), q8);
    assert.match(result.stderr, /3 parts/);
  });

  test("a connection cut mid-file is resumed with a Range request and the bytes match", async () => {
    const result = await runCli(["pull", "hf:pagoda-test/cut-GGUF:Q8_0"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await readFile(cachePath("pagoda-test", "cut-GGUF", "cut-Q8_0.gguf")), q8);
    const requests = cdnRequests("cut-Q8_0.gguf");
    assert.equal(requests.length, 2);
    assert.equal(requests[0].headers.range, undefined);
    assert.equal(requests[1].headers.range, "bytes=10000-");
    assert.match(result.stderr, /connection lost after/);
    assert.match(result.stderr, /resuming at 9\.77 KiB/);
  });

  test("a .part left by an earlier run is resumed from its size", async () => {
    const path = cachePath("pagoda-test", "resume-GGUF", "resume-Q8_0.gguf");
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(`${path}.part`, q8.subarray(0, 4096));
    const result = await runCli(["pull", "hf:pagoda-test/resume-GGUF:Q8_0"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(cdnRequests("resume-Q8_0.gguf").map((r) => r.headers.range), ["bytes=4096-"]);
    assert.deepEqual(await readFile(path), q8);
    await assert.rejects(stat(`${path}.part`));
  });

  test("two pulls of the same file at once: one downloads, the other waits for it", async () => {
    const [a, b] = await Promise.all([runCli(["pull", "hf:pagoda-test/race-GGUF:Q8_0"]), runCli(["pull", "hf:pagoda-test/race-GGUF:Q8_0"])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.deepEqual(await readFile(a.stdout.trim()), q8);
    // Either the second waited on the lock, or it started after the first had finished.
    assert.equal(cdnRequests("race-Q8_0.gguf").length, 1);
  });

  test("a file whose SHA-256 differs from the hub's is deleted with a clear error", async () => {
    const result = await runCli(["pull", "hf:pagoda-test/corrupt-GGUF:Q8_0"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^pagoda: cannot get model hf:pagoda-test\/corrupt-GGUF:Q8_0: bad-Q8_0\.gguf from http:\S+ is corrupt: its SHA-256 is [0-9a-f]{64}, the hub says [0-9a-f]{64}; the download was deleted/m);
    assertNoStackTrace(result.stderr);
    const path = cachePath("pagoda-test", "corrupt-GGUF", "bad-Q8_0.gguf");
    await assert.rejects(stat(path));
    await assert.rejects(stat(`${path}.part`));
  });

  test("a gated repo needs HF_TOKEN for its files, which is sent as a bearer token", async () => {
    const denied = await runCli(["pull", "hf:pagoda-test/gated-GGUF:Q8_0"]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /access denied by http:\/\/127\.0\.0\.1:\d+\/pagoda-test\/gated-GGUF\/resolve\/main\/gated-Q8_0\.gguf: 401 Unauthorized \(Access to model pagoda-test\/gated-GGUF is restricted/);
    assert.match(denied.stderr, /gated or private: accept its terms on Hugging Face and set HF_TOKEN/);
    assertNoStackTrace(denied.stderr);
    await assert.rejects(stat(cachePath("pagoda-test", "gated-GGUF", "gated-Q8_0.gguf.part")));

    const allowed = await runCli(["pull", "hf:pagoda-test/gated-GGUF:Q8_0"], { HF_TOKEN: token });
    assert.equal(allowed.code, 0, allowed.stderr);
    const resolves = hub.requests.filter((r) => r.path.startsWith("/pagoda-test/gated-GGUF/resolve/"));
    assert.equal(resolves.at(-1)?.headers.authorization, `Bearer ${token}`);
    assert.deepEqual(await readFile(allowed.stdout.trim()), q8);
  });

  test("a private repo refuses even its file list without the token; a wrong token is named as such", async () => {
    const denied = await runCli(["pull", "hf:pagoda-test/private-GGUF:Q8_0"]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /access denied by http:\/\/127\.0\.0\.1:\d+\/api\/models\/pagoda-test\/private-GGUF\/tree\/main\?recursive=true: 401/);
    const wrong = await runCli(["pull", "hf:pagoda-test/private-GGUF:Q8_0"], { HF_TOKEN: "hf_wrong" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HF_TOKEN was sent but has no access/);
    const allowed = await runCli(["pull", "hf:pagoda-test/private-GGUF:Q8_0"], { HF_TOKEN: token });
    assert.equal(allowed.code, 0, allowed.stderr);
    assertNoStackTrace(denied.stderr + wrong.stderr);
  });

  test("an unknown quant or repo is one line naming what exists", async () => {
    const quant = await runCli(["pull", "hf:pagoda-test/tiny-GGUF:Q2_K"]);
    assert.equal(quant.code, 1);
    assert.match(quant.stderr, /no Q2_K GGUF in pagoda-test\/tiny-GGUF .*available quants: F16, F32, Q8_0|available quants: F32, Q8_0/);
    const repo = await runCli(["pull", "hf:pagoda-test/missing-GGUF"]);
    assert.equal(repo.code, 1);
    assert.match(repo.stderr, /cannot get model hf:pagoda-test\/missing-GGUF: not found at http:\S+\/api\/models\/pagoda-test\/missing-GGUF\/tree\/main/);
    assertNoStackTrace(quant.stderr + repo.stderr);
  });

  test("offline: one line with the model, the URL tried and the cache path, exit 1", async () => {
    const closedPort = await freePort();
    const endpoint = `http://127.0.0.1:${closedPort}`;
    const result = await runCli(["pull", "hf:pagoda-test/other-GGUF:Q4_K_M"], { HF_ENDPOINT: endpoint });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /cannot get model hf:pagoda-test\/other-GGUF:Q4_K_M/);
    assert.ok(result.stderr.includes(`${endpoint}/api/models/pagoda-test/other-GGUF/tree/main?recursive=true`), result.stderr);
    assert.match(result.stderr, /ECONNREFUSED/);
    assert.ok(result.stderr.includes(`cache: ${cachePath("pagoda-test", "other-GGUF")}`), result.stderr);
    assertNoStackTrace(result.stderr);
  });

  test("offline, a quant already cached is served from the cache", async () => {
    const result = await runCli(["pull", "hf:pagoda-test/tiny-GGUF:Q8_0"], { HF_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), cachePath("pagoda-test", "tiny-GGUF", "tiny-Q8_0.gguf"));
  });

  test("HF_HUB_OFFLINE: the cache only, never a request", async () => {
    const before = hub.requests.length;
    const cached = await runCli(["pull", "pagoda-test/tiny-GGUF:Q8_0"], { HF_HUB_OFFLINE: "1" });
    assert.equal(cached.code, 0, cached.stderr);
    assert.equal(cached.stdout.trim(), cachePath("pagoda-test", "tiny-GGUF", "tiny-Q8_0.gguf"));
    const missing = await runCli(["pull", "hf:pagoda-test/tiny-GGUF:Q6_K"], { HF_HUB_OFFLINE: "1" });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^pagoda: cannot get model hf:pagoda-test\/tiny-GGUF:Q6_K: HF_HUB_OFFLINE is set and the model is not in the cache; cache: \S+tiny-GGUF$/m);
    assert.equal(hub.requests.length, before);
  });

  test("an http(s) URL is downloaded into the cache", async () => {
    const url = `${hub.url}/cdn/pagoda-test/tiny-GGUF/tiny-F32.gguf`;
    const result = await runCli(["pull", url]);
    assert.equal(result.code, 0, result.stderr);
    const path = result.stdout.trim();
    assert.ok(path.startsWith(join(work, "cache", "url", "127.0.0.1_")) || path.startsWith(join(work, "cache", "url", "127.0.0.1")), path);
    assert.deepEqual(await readFile(path), f32);
  });

  test("a URL that fails (404) leaves no empty folders in the cache", async () => {
    const url = `${hub.url}/cdn/pagoda-test/tiny-GGUF/absent.gguf`;
    const result = await runCli(["pull", url]);
    assert.equal(result.code, 1);
    assertNoStackTrace(result.stderr);
    const folder = /; cache: (\S+)$/m.exec(result.stderr)?.[1];
    assert.ok(folder, result.stderr);
    await assert.rejects(stat(folder), /ENOENT/);
  });

  test("a Hub resolve URL is checked against the X-Linked-Etag of its redirect", async () => {
    const result = await runCli(["pull", `${hub.url}/pagoda-test/corrupt-GGUF/resolve/main/bad-Q8_0.gguf`]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad-Q8_0\.gguf from \S+ is corrupt: its SHA-256 is [0-9a-f]{64}, the hub says [0-9a-f]{64}/);
    assert.match(result.stderr, /; cache: \S+\/url\/127\.0\.0\.1_\d+\/[0-9a-f]{12}$/m);
    assertNoStackTrace(result.stderr);
  });
});

describe("pagoda ls and rm", () => {
  test("ls lists cached models with size, quant, context length and chat template", async () => {
    const result = await runCli(["ls"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.match(lines[0], /^MODEL\s+FILE\s+SIZE\s+QUANT\s+CONTEXT\s+CHAT TEMPLATE$/);
    const row = lines.find((line) => line.includes("tiny-Q8_0.gguf") && line.startsWith("hf:pagoda-test/tiny-GGUF "));
    assert.ok(row, result.stdout);
    assert.match(row, /hf:pagoda-test\/tiny-GGUF\s+tiny-Q8_0\.gguf\s+[\d.]+ KiB\s+Q8_0\s+2048\s+yes/);
    assert.ok(lines.some((line) => /tiny-f32-copy\.gguf\s+[\d.]+ KiB\s+F32\s+2048/.test(line)), result.stdout);
    // A split model is one row, with the size of all its parts.
    assert.equal(lines.filter((line) => line.includes("tiny-Q4_K_M-")).length, 1);
  });

  test("rm removes a model and its metadata; removing it again is a clear error", async () => {
    const removed = await runCli(["rm", "hf:pagoda-test/split-GGUF:Q4_K_M"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim().split("\n").length, 3);
    await assert.rejects(stat(cachePath("pagoda-test", "split-GGUF", "tiny-Q4_K_M-00002-of-00003.gguf.meta.json")));
    const listed = await runCli(["ls"]);
    assert.doesNotMatch(listed.stdout, /tiny-Q4_K_M/);

    const again = await runCli(["rm", "hf:pagoda-test/split-GGUF:Q4_K_M"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^pagoda: hf:pagoda-test\/split-GGUF:Q4_K_M is not in the cache \(.*\); 'pagoda ls' lists the cached models$/m);
  });

  test("ls --discover lists Ollama, LM Studio and Hugging Face cache GGUFs with servable paths", async () => {
    const home = join(work, "home");
    const ollama = join(home, ".ollama", "models");
    const digest = sha256(f32);
    await mkdir(join(ollama, "blobs"), { recursive: true });
    await writeFile(join(ollama, "blobs", `sha256-${digest}`), f32);
    await mkdir(join(ollama, "manifests", "registry.ollama.ai", "library", "tiny"), { recursive: true });
    await writeFile(
      join(ollama, "manifests", "registry.ollama.ai", "library", "tiny", "latest"),
      JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: "application/vnd.ollama.image.model", digest: `sha256:${digest}`, size: f32.length }] }),
    );
    const lmstudio = join(home, ".lmstudio", "models", "someone", "tiny-GGUF");
    await mkdir(lmstudio, { recursive: true });
    await writeFile(join(lmstudio, "tiny-Q8_0.gguf"), q8);
    const hfRepo = join(home, ".cache", "huggingface", "hub", "models--someone--tiny-GGUF");
    await mkdir(join(hfRepo, "blobs"), { recursive: true });
    await mkdir(join(hfRepo, "snapshots", "abc123"), { recursive: true });
    await mkdir(join(hfRepo, "refs"), { recursive: true });
    await writeFile(join(hfRepo, "refs", "main"), "abc123");
    await writeFile(join(hfRepo, "blobs", sha256(q8)), q8);
    await symlink(join("..", "..", "blobs", sha256(q8)), join(hfRepo, "snapshots", "abc123", "tiny-Q8_0.gguf"));

    const result = await runCli(["ls", "--discover"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /FROM\s+NAME\s+SIZE\s+QUANT\s+CONTEXT\s+CHAT TEMPLATE\s+SERVE WITH --model/);
    const ollamaBlob = join(ollama, "blobs", `sha256-${digest}`);
    assert.match(result.stdout, new RegExp(`ollama\\s+tiny:latest\\s+.*F32\\s+2048\\s+yes\\s+${ollamaBlob}`));
    assert.match(result.stdout, new RegExp(`lmstudio\\s+someone/tiny-GGUF/tiny-Q8_0\\.gguf\\s+.*Q8_0.*${join(lmstudio, "tiny-Q8_0.gguf")}`));
    assert.match(result.stdout, new RegExp(`huggingface\\s+hf:someone/tiny-GGUF/tiny-Q8_0\\.gguf\\s+.*${join(hfRepo, "snapshots", "abc123", "tiny-Q8_0.gguf")}`));
  });

  test("--help for pull, ls and rm", async () => {
    for (const [command, pattern] of [["pull", /hf:ORG\/REPO:QUANT/], ["ls", /--discover/], ["rm", /Usage: pagoda rm MODEL/]] as const) {
      const result = await runCli([command, "--help"]);
      assert.equal(result.code, 0);
      assert.match(result.stdout, pattern);
    }
  });
});

describe("pagoda serve --model hf:...", () => {
  test("downloads the quant from HF_ENDPOINT and serves chat completions", async () => {
    const env = baseEnv({ PAGODA_CACHE: join(work, "serve-cache") });
    const child = spawn(process.execPath, [cliPath, "serve", "--model", "hf:pagoda-test/tiny-GGUF:Q8_0", "--port", "0", "--threads", "1"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (data: Buffer) => (output += data.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (data: Buffer) => {
          output += data.toString();
          const match = /pagoda listening on (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]);
        });
        child.once("exit", (code) => reject(new Error(`pagoda exited with ${code}:\n${output}`)));
      });
      assert.match(output, /downloading tiny-Q8_0\.gguf/);
      assert.ok(output.includes(join(work, "serve-cache", "hub", "pagoda-test", "tiny-GGUF", "tiny-Q8_0.gguf")), output);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "EMPTY", maxRetries: 0 });
      const models = await client.models.list();
      assert.equal(models.data[0].id, "pagoda-test/tiny-GGUF", "named after the repo, as vLLM names a model");
      // ignore_eos: unseeded sampling on random weights may draw EOS at any step.
      const completion = await client.chat.completions.create({
        model: "pagoda-test/tiny-GGUF",
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 4,
        ignore_eos: true,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      assert.equal(completion.choices[0].message.role, "assistant");
      assert.equal(completion.usage?.completion_tokens, 4);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("close", resolve));
    }
  });

  test("serve with an unreachable hub exits 1 with one clear line", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(["serve", "--model", "hf:pagoda-test/nothing-GGUF:Q4_K_M", "--port", "0"], { HF_ENDPOINT: endpoint });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^pagoda: cannot get model hf:pagoda-test\/nothing-GGUF:Q4_K_M: cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/models\/pagoda-test\/nothing-GGUF\/tree\/main\?recursive=true: connection refused .*; cache: \S+nothing-GGUF$/m);
    assertNoStackTrace(result.stderr);
  });
});

/** A port nothing listens on: bound, read, then closed again. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
