/**
 * Two replicas behind HAProxy (scripts/replicas.sh), one killed with SIGKILL
 * mid-load: no request is lost. Every non-streamed request ends 200, either
 * at once, retried by HAProxy on the other replica, or after a 503 with
 * Retry-After that the client retries (as the OpenAI SDKs do). A stream whose
 * replica dies after its headers were sent cannot move; such streams are
 * counted and reported (test diagnostics): the client sees the stream end
 * without [DONE]. Skipped with the script's message when HAProxy
 * is not installed and cannot be.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { repoRoot, testCacheDir } from "../../src/testing/paths.js";
import { spawnLogged } from "./spawn-logged.js";

const script = join(repoRoot, "scripts", "replicas.sh");
const numRequests = 32;
const concurrency = 6;
const maxTokens = 96;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Outcome = { kind: "complete"; numRetries: number } | { kind: "cut"; numChunks: number } | { kind: "failed"; detail: string };

/** One request through the proxy; a 503 is retried after its Retry-After, as the SDKs do. */
async function send(url: string, index: number): Promise<Outcome> {
  const stream = index % 2 === 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: `Request ${index}`, max_tokens: maxTokens, ignore_eos: true, temperature: 0, stream }),
      });
    } catch (error) {
      return { kind: "failed", detail: `no response: ${String(error)}` };
    }
    if (response.status === 503) {
      const retryAfter = response.headers.get("retry-after");
      if (retryAfter === null) return { kind: "failed", detail: "503 without Retry-After" };
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000));
      continue;
    }
    if (response.status !== 200) return { kind: "failed", detail: `status ${response.status}: ${await response.text()}` };
    if (!stream) {
      const body = (await response.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
      assert.equal(body.choices[0].finish_reason, "length");
      assert.equal(body.usage.completion_tokens, maxTokens);
      return { kind: "complete", numRetries: attempt };
    }
    let text = "";
    try {
      const decoder = new TextDecoder();
      for await (const bytes of response.body!) text += decoder.decode(bytes as Uint8Array, { stream: true });
    } catch {
      // The replica died mid-stream: the connection ends early.
    }
    const frames = text.split("\n\n").filter((frame) => frame.startsWith("data: "));
    if (frames.at(-1) === "data: [DONE]") return { kind: "complete", numRetries: attempt };
    return { kind: "cut", numChunks: frames.length };
  }
  return { kind: "failed", detail: "still 503 after 5 attempts" };
}

test("a replica killed mid-load loses no request: retried, or 503 with Retry-After, and cut streams are counted", async (t) => {
  const modelPath = await ensureGeneratedModel("tiny-f32", testCacheDir);
  const [proxyPort, port1, port2] = [await freePort(), await freePort(), await freePort()];
  const { child, output, exited, firstMatch } = spawnLogged(script, ["--replicas", "2", "--port", String(proxyPort), "--replica-ports", `${port1},${port2}`, "--", "--model", modelPath, "--max-model-len", "512"]);
  try {
    if (!(await firstMatch(/replicas: ready:/))) {
      const code = await exited;
      if (code === 3) return t.skip(output().trim());
      assert.fail(`replicas.sh exited with ${code}:\n${output()}`);
    }
    const victimPid = Number(/replica 1 pid (\d+)/.exec(output())![1]);
    const survivorPid = Number(/replica 2 pid (\d+)/.exec(output())![1]);
    const url = `http://127.0.0.1:${proxyPort}`;

    const outcomes: Outcome[] = [];
    let next = 0;
    let isKilled = false;
    const worker = async () => {
      while (next < numRequests) {
        const index = next++;
        outcomes.push(await send(url, index));
        // Mid-load: once a quarter of the requests are done, while others are in flight on both replicas.
        if (!isKilled && outcomes.length >= numRequests / 4) {
          isKilled = true;
          process.kill(victimPid, "SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    assert.ok(isKilled);
    const failed = outcomes.filter((o) => o.kind === "failed");
    assert.deepEqual(failed, [], "no request lost");
    const complete = outcomes.filter((o) => o.kind === "complete");
    const cut = outcomes.filter((o): o is Extract<Outcome, { kind: "cut" }> => o.kind === "cut");
    assert.equal(complete.length + cut.length, numRequests);
    assert.ok(cut.length <= concurrency, "only streams in flight on the killed replica can be cut");
    const retried = complete.filter((o) => o.kind === "complete" && o.numRetries > 0).length;
    t.diagnostic(`${numRequests} requests (half streamed), replica 1 killed after ${numRequests / 4}: ${complete.length} complete (${retried} after a 503 + Retry-After), ${cut.length} streams cut mid-way (chunks before the cut: ${cut.map((c) => c.numChunks).join(", ") || "none"})`);
    process.kill(survivorPid, 0); // the survivor still runs
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, output());
  assert.match(output(), /replicas: stopped/);
});
