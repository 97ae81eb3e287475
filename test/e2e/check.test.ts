/**
 * `pagoda check` against the real pagoda: every probe PASSes (the Responses
 * API probes may be UNSUPPORTED while pagoda has no /v1/responses), the CLI
 * prints the report and exits 0. Then each probe against a proxy in front of
 * pagoda that breaks exactly the thing that probe checks (check-mutations.ts):
 * each must FAIL. The Responses probes run against the proxy's own minimal
 * Responses API: correct, they pass; broken, they fail.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CheckClient } from "../../src/check/http-client.js";
import { allProbes } from "../../src/check/probes/index.js";
import { runProbes } from "../../src/check/run-probes.js";
import type { Probe } from "../../src/check/probe.js";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { chatTemplatesDir, testCacheDir } from "../../src/testing/paths.js";
import { startProxy } from "./check-proxy.js";
import { mutations } from "./check-mutations.js";
import { cliPath, startServer, type TestServer } from "./server-harness.js";

const apiKey = "sk-check";
let server: TestServer;

before(async () => {
  const bertPath = await ensureGeneratedModel("tiny-bert", testCacheDir);
  server = await startServer({
    preset: "tiny-qwen2",
    apiKey,
    // The seed probe asks for the same text twice; in the shared KV pool a prefix-cache hit may sum attention in another order (README, "Trade-off: bit-reproducibility").
    args: ["--no-kv-pool", "--served-model-name", "tiny", "--model", `bert=${bertPath}`, "--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja"), "--api-key", apiKey],
  });
});

after(async () => {
  assert.equal(await server?.stop(), 0);
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, "check", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const serverArgs = () => ["--base-url", server.baseURL, "--api-key", apiKey, "--model", "tiny", "--embedding-model", "bert"];

test("pagoda check against pagoda: every probe passes (Responses: passes or unsupported); exit code 0", async () => {
  const { code, stdout, stderr } = await runCli([...serverArgs(), "--json"]);
  const report = JSON.parse(stdout) as { summary: Record<string, number>; results: Array<{ id: string; group: string; status: string; reason?: string; evidence?: unknown }> };
  const notPassing = report.results.filter((result) => result.status !== "PASS" && !(result.group === "responses" && result.status === "UNSUPPORTED"));
  assert.deepEqual(notPassing, [], stderr);
  assert.equal(report.results.length, allProbes.length);
  assert.equal(code, 0);
});

test("--only, --markdown; a failure exits 1 with its evidence in the text report", async () => {
  const markdown = await runCli([...serverArgs(), "--only", "models", "--markdown"]);
  assert.equal(markdown.code, 0);
  assert.match(markdown.stdout, /\| models \| \[`models.list`\]\(https:\/\/platform\.openai\.com\/[^)]+\) \| .* \| PASS \|/);
  assert.match(markdown.stdout, /1 probes: 1 passed, 0 failed/);

  const proxy = await startProxy(server.url, mutations["models.list"]);
  try {
    const text = await runCli(["--base-url", proxy.baseURL, "--api-key", apiKey, "--model", "tiny", "--only", "models"]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /FAIL\s+models\.list/);
    assert.match(text.stdout, /expected: each entry has integer created and string owned_by/);
    assert.match(text.stdout, /sent: {5}\{"request":"GET \/models"\}/);
  } finally {
    await proxy.close();
  }
});

test("bad flags exit 2 with a message", async () => {
  const result = await runCli(["--only", "nonsense"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown group 'nonsense'/);
});

async function runThrough(probe: Probe, mutation: (typeof mutations)[string] | undefined) {
  const proxy = await startProxy(server.url, mutation);
  try {
    const [result] = await runProbes([probe], { client: new CheckClient(proxy.baseURL, apiKey), model: "tiny", embeddingModel: "bert", apiKey, concurrency: 1, timeoutMs: 120_000 });
    return result;
  } finally {
    await proxy.close();
  }
}

describe("each probe fails against a server that breaks what it checks", () => {
  test("every probe has a mutation", () => {
    assert.deepEqual(allProbes.map((probe) => probe.id).filter((id) => !mutations[id]), []);
  });
  for (const probe of allProbes) {
    test(probe.id, async () => {
      if (probe.group === "responses") {
        const correct = await runThrough(probe, undefined);
        assert.equal(correct.status, "PASS", JSON.stringify(correct));
      }
      const result = await runThrough(probe, mutations[probe.id]);
      assert.equal(result.status, "FAIL", JSON.stringify(result));
    });
  }
});
