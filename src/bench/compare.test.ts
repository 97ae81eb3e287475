import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { compareHeader, parseCompareArgs, parseConcurrencies, parseTarget, promptsFor, runConfig, seedFor } from "./compare.js";

const base = ["--target", "a=http://127.0.0.1:1", "--target", "b=http://h:2/v1/", "--concurrency", "4,1,2"];

test("targets, concurrencies and the workload flags parse", () => {
  const config = parseCompareArgs([...base, "--endpoint", "chat", "--output-len", "8", "--ignore-eos", "--seed", "10", "--output-dir", "out"], {}, new Date("2026-01-02T03:04:05.678Z"));
  assert.deepEqual(config.targets, [{ name: "a", baseUrl: "http://127.0.0.1:1/v1" }, { name: "b", baseUrl: "http://h:2/v1" }]);
  assert.deepEqual(config.concurrencies, [1, 2, 4]);
  assert.equal(config.numPrompts, null);
  assert.equal(config.promptsPerConcurrency, null);
  assert.equal(config.outputDir, "out");
  assert.equal(config.workload.endpoint, "chat");
  assert.equal(config.workload.outputLen, 8);
  assert.equal(config.workload.isIgnoreEos, true);
  assert.equal(config.workload.seed, 10);
  assert.equal(parseCompareArgs(base, {}, new Date("2026-01-02T03:04:05.678Z")).outputDir, "bench-compare-2026-01-02T030405");
});

test("prompts per run: fixed, K x C, or max(8, 3 x C)", () => {
  assert.deepEqual([1, 2, 4, 8].map((c) => promptsFor({ numPrompts: null, promptsPerConcurrency: null }, c)), [8, 8, 12, 24]);
  assert.deepEqual([1, 4].map((c) => promptsFor({ numPrompts: null, promptsPerConcurrency: 5 }, c)), [5, 20]);
  assert.deepEqual([1, 4].map((c) => promptsFor({ numPrompts: 4, promptsPerConcurrency: null }, c)), [4, 4]);
  assert.equal(parseCompareArgs([...base, "--num-prompts", "4"], {}).numPrompts, 4);
  assert.equal(parseCompareArgs([...base, "--prompts-per-concurrency", "2"], {}).promptsPerConcurrency, 2);
});

test("each concurrency gets its own seed, in the prompts too; targets share it", () => {
  const config = parseCompareArgs([...base, "--seed", "100", "--output-dir", "d", "--dataset", "shared-prefix", "--prefix-len", "50"], {});
  const runs = config.concurrencies.flatMap((c) => config.targets.map((t) => runConfig(config, t, c)));
  assert.deepEqual(runs.map((r) => r.seed), [101, 101, 102, 102, 104, 104]);
  for (const run of runs) {
    assert.equal(run.dataset.seed, run.seed);
    assert.equal(run.maxConcurrency, run.seed - 100);
    assert.equal(run.numPrompts, Math.max(8, 3 * run.maxConcurrency!));
    assert.equal(run.dataset.kind, "shared-prefix");
  }
  assert.deepEqual(runs.slice(0, 2).map((r) => [r.baseUrl, r.label, r.saveResult]), [["http://127.0.0.1:1/v1", "a", "d/a-c1.json"], ["http://h:2/v1", "b", "d/b-c1.json"]]);
  assert.equal(seedFor(0, 16), 16);
});

test("bad compare flags are usage errors", () => {
  for (const args of [
    [],
    ["--concurrency", "1"],
    ["--target", "a=http://x:1"],
    ["--target", "http://x:1", "--concurrency", "1"],
    ["--target", "a b=http://x:1", "--concurrency", "1"],
    ["--target", "a=nope", "--concurrency", "1"],
    ["--target", "a=http://x:1", "--target", "a=http://y:1", "--concurrency", "1"],
    ["--target", "a=http://x:1", "--concurrency", "1,0"],
    ["--target", "a=http://x:1", "--concurrency", "1,,2"],
    ["--target", "a=http://x:1", "--concurrency", "2,2"],
    [...base, "--num-prompts", "4", "--prompts-per-concurrency", "2"],
    [...base, "--prompts-per-concurrency", "0"],
    [...base, "--base-url", "http://x:1"],
    [...base, "--max-concurrency", "4"],
    [...base, "--save-result", "x.json"],
    [...base, "--label", "x"],
    [...base, "--endpoint", "embeddings"],
    [...base, "--bogus"],
    [...base, "extra"],
  ]) {
    assert.throws(() => parseCompareArgs(args, {}), UsageError, JSON.stringify(args));
  }
  assert.throws(() => parseTarget("=http://x"), UsageError);
  assert.throws(() => parseConcurrencies("1.5"), UsageError);
});

test("the header names targets, models and the workload", () => {
  const args = [...base, "--num-prompts", "4"];
  const config = parseCompareArgs(args, {});
  const header = compareHeader({ date: new Date("2026-01-02T03:04:05Z"), args, config, models: { a: "m1", b: "m2" } });
  assert.match(header, /^## bench compare: a vs b\n/);
  assert.match(header, /- Target `a`: http:\/\/127\.0\.0\.1:1\/v1, model m1\n/);
  assert.match(header, /- Target `b`: http:\/\/h:2\/v1, model m2\n/);
  assert.match(header, /- Command: `pagoda bench compare --target a=http:\/\/127\.0\.0\.1:1 .* --num-prompts 4`/);
  assert.match(header, /- Workload: endpoint completions, dataset random \(input-len 128, range-ratio 0\), output-len 128, temperature 0, request-rate inf, warmup 0\n/);
  assert.match(header, /4 prompts, seed 0 \+ C/);
  assert.match(header, /- Ratio columns: a\/b\n/);
  assert.match(header, /!\[[^\]]*\]\(compare\.svg\)$/);
});
