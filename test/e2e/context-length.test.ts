/**
 * --max-model-len against the model's trained context (2048 for the tiny
 * model): longer is refused at start, naming the override; the override
 * (flag or PAGODA_ALLOW_LONG_MAX_MODEL_LEN) serves it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { ensureGeneratedModel } from "../../src/models/model-cache.js";
import { testCacheDir } from "../../src/testing/paths.js";
import { cliPath, startServer } from "./server-harness.js";

test("a --max-model-len above the trained context is refused at start with exit code 2 and the way to override it", async () => {
  const modelPath = await ensureGeneratedModel("tiny-f32", testCacheDir);
  const result = spawnSync(process.execPath, [cliPath, "serve", "--model", modelPath, "--port", "0", "--max-model-len", "100000"], { encoding: "utf8" });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /--max-model-len 100000 is longer than the 2048 tokens/);
  assert.match(result.stderr, /--allow-long-max-model-len/);
  assert.doesNotMatch(result.stdout, /listening/);
});

for (const [how, options] of [
  ["--allow-long-max-model-len", { args: ["--allow-long-max-model-len"] }],
  ["PAGODA_ALLOW_LONG_MAX_MODEL_LEN=1", { env: { PAGODA_ALLOW_LONG_MAX_MODEL_LEN: "1" } }],
] as const) {
  test(`${how} serves a longer --max-model-len, reported by /v1/models`, async () => {
    const server = await startServer({ ...options, args: ["--max-model-len", "4096", "--max-num-seqs", "1", ...("args" in options ? options.args : [])] });
    try {
      const body = (await (await server.fetch(`${server.baseURL}/models`)).json()) as { data: Array<{ max_model_len: number }> };
      assert.equal(body.data[0].max_model_len, 4096);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
}
