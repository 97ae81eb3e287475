/**
 * The container image's entrypoint and health check, run outside a container
 * (no container runtime here): the same script the Dockerfile's ENTRYPOINT
 * names, with the image's defaults. It serves on 0.0.0.0 when no host is
 * given, passes flags to `pagoda serve` and other commands through, answers
 * the HEALTHCHECK, and on SIGTERM (what `docker stop` and Kubernetes send)
 * lets an in-flight stream finish, then exits 0. The Dockerfile is checked
 * to use exactly these files.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { repoRoot, testCacheDir } from "../../src/testing/paths.js";
import { readSse } from "./server-harness.js";
import { spawnLogged } from "./spawn-logged.js";

const entrypoint = join(repoRoot, "scripts", "container", "entrypoint.sh");
const healthcheck = join(repoRoot, "scripts", "container", "healthcheck.mjs");
const run = promisify(execFile);

async function healthcheckExitCode(port: string): Promise<number> {
  try {
    await run(process.execPath, [healthcheck], { env: { ...process.env, PAGODA_PORT: port } });
    return 0;
  } catch (error) {
    return (error as { code: number }).code;
  }
}

test("the Dockerfile runs this entrypoint and health check, non-root, on port 8000, with the cache on its volume", () => {
  const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const instructions = dockerfile.split("\n").filter((line) => /^[A-Z]+ /.test(line));
  assert.deepEqual(instructions.filter((line) => line.startsWith("FROM ")).map((line) => line.split(" ")[1]), ["node:20-slim", "node:20-slim"], "multi-stage on Node 20 slim");
  assert.ok(instructions.includes('ENTRYPOINT ["/app/scripts/container/entrypoint.sh"]'));
  assert.match(dockerfile, /CMD \["node", "\/app\/scripts\/container\/healthcheck\.mjs"\]/);
  assert.ok(instructions.includes("EXPOSE 8000"));
  assert.ok(instructions.includes("USER node"));
  assert.ok(instructions.includes("VOLUME /models"));
  assert.match(dockerfile, /PAGODA_CACHE=\/models/);
  // Everything the build stage copies from the context exists (and is not excluded by .dockerignore).
  const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n").filter((line) => line && !line.startsWith("#"));
  for (const line of instructions.filter((l) => l.startsWith("COPY ") && !l.includes("--from"))) {
    for (const source of line.split(" ").slice(1, -1)) {
      assert.ok(existsSync(join(repoRoot, source)), `${source} exists`);
      assert.ok(!ignored.includes(source.split("/")[0]), `${source} is not in .dockerignore`);
    }
  }
});

test("the entrypoint serves on 0.0.0.0, answers the health check, and drains on SIGTERM", async () => {
  const modelPath = await ensureGeneratedModel("tiny-f32", testCacheDir);
  // PAGODA_PORT=0 only so tests never collide; the image's default is 8000.
  const { child, output, exited, firstMatch } = spawnLogged(entrypoint, ["--model", modelPath, "--threads", "1", "--served-model-name", "boxed"], {
    ...process.env,
    PAGODA_PORT: "0",
    PAGODA_HOST: "",
    PAGODA_CACHE: testCacheDir,
  });
  try {
    const listening = await firstMatch(/pagoda listening on http:\/\/(\S+):(\d+)/);
    if (!listening) assert.fail(`the entrypoint exited with ${await exited}:\n${output()}`);
    assert.equal(listening[1], "0.0.0.0", "listens on every interface inside a container");
    const port = listening[2];
    assert.equal(await healthcheckExitCode(port), 0);

    const response = await fetch(`http://127.0.0.1:${port}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "boxed", prompt: "Hello", max_tokens: 48, ignore_eos: true, temperature: 0, stream: true }),
    });
    assert.equal(response.status, 200);
    // The server runs as the entrypoint's own process (exec), so the signal reaches it.
    child.kill("SIGTERM");
    const frames = await readSse(response);
    assert.equal(frames.at(-1), "[DONE]");
    const finish = frames.filter((f) => f !== "[DONE]").map((f) => JSON.parse(f) as { choices: { finish_reason: string | null }[] });
    assert.equal(finish.at(-1)!.choices[0].finish_reason, "length", "the in-flight stream finished during the drain");
    assert.equal(await exited, 0, output());
    assert.equal(await healthcheckExitCode(port), 1, "no server, unhealthy");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

test("other pagoda commands pass through the entrypoint", async () => {
  const { stdout } = await run(entrypoint, ["generate-model", "--help"], { env: { ...process.env, PAGODA_CACHE: testCacheDir } });
  assert.match(stdout, /^Usage: pagoda generate-model/);
  const { stdout: listing } = await run(entrypoint, ["ls"], { env: { ...process.env, PAGODA_CACHE: testCacheDir } });
  assert.match(listing, /^MODEL +FILE/);
});
