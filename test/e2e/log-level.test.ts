/**
 * `--log-level debug` on the real server: a chat completion through the
 * official client leaves one "forward pass" line per pass on stderr, with
 * the pass's shape and times; a level pagoda does not know stops the start.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import OpenAI from "openai";
import { cliPath, useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

useServer({ args: ["--log-level", "debug"] }, (served) => ({ server, client, model } = served));

interface PassLine {
  level: number;
  msg: string;
  pass: { numPrefillTokens: number; numDecodeRows: number; ms: number; predictedMs: number | null; betweenPassesMs: number | null };
}

test("--log-level debug: each forward pass of a request is one JSON line on stderr", async () => {
  const before = server.output().split("\n").filter((line) => line.includes('"msg":"forward pass"')).length;
  const completion = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "Count to three." }],
    max_tokens: 3,
    temperature: 0,
    // @ts-expect-error vLLM's extension: exactly max_tokens tokens, so exactly three passes
    ignore_eos: true,
  });
  assert.equal(completion.usage?.completion_tokens, 3);
  await server.waitForOutput(new RegExp(`(?:"msg":"forward pass"[\\s\\S]*){${before + 3}}`));
  const passes = server
    .output()
    .split("\n")
    .filter((line) => line.includes('"msg":"forward pass"'))
    .slice(before)
    .map((line) => JSON.parse(line) as PassLine);
  assert.equal(passes.length, 3, "the prompt's pass (the first token) and two decodes");
  assert.equal(passes[0].pass.numPrefillTokens, completion.usage?.prompt_tokens);
  assert.deepEqual(passes.slice(1).map(({ pass }) => [pass.numPrefillTokens, pass.numDecodeRows]), [[0, 1], [0, 1]]);
  for (const { level, pass } of passes) {
    assert.equal(level, 20, "pino's debug");
    assert.ok(pass.ms > 0);
  }
  assert.equal(typeof passes[2].pass.predictedMs, "number");
  assert.ok(passes[2].pass.betweenPassesMs !== null && passes[2].pass.betweenPassesMs >= 0);
});

test("an unknown --log-level stops the start with one line naming the levels", () => {
  const run = spawnSync(process.execPath, [cliPath, "serve", "--log-level", "loud", "--port", "0"], { encoding: "utf8", timeout: 60_000 });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /--log-level must be one of fatal, error, warn, info, debug, not 'loud'/);
});
