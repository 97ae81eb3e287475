#!/usr/bin/env node
// `pagoda bench serve` through HAProxy (scripts/replicas.sh) for 1 replica with
// all the threads and 2 replicas splitting them, interleaved A-B-B-A so drift
// on a shared machine hits both alike; prints a Markdown table for
// BENCHMARKS.md.
//
//   node scripts/bench-replicas.mjs [--threads 2] [--port 8410] [--model FILE]
//     [--threads-per-replica N] [--concurrency 1,4,8] [--num-prompts 16] [--input-len 128] [--output-len 64]
//
// Default model: generate-model --preset bench-qwen2.5-0.5b (Qwen2.5-0.5B's
// shapes, Q8_0). Needs `npm run build` and HAProxy (the script installs it as root).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "pagoda.cjs");
const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    // Instead of splitting --threads: every replica gets this many (1 vs 2 replicas of 1 thread each).
    "threads-per-replica": { type: "string" },
    port: { type: "string", default: "8410" },
    model: { type: "string" },
    concurrency: { type: "string", default: "1,4,8" },
    "num-prompts": { type: "string", default: "16" },
    "input-len": { type: "string", default: "128" },
    "output-len": { type: "string", default: "64" },
  },
});
const threads = Number(values.threads);
const threadsOf = (numReplicas) => (values["threads-per-replica"] ? Number(values["threads-per-replica"]) : threads / numReplicas);
const port = Number(values.port);
const model = values.model ?? execFileSync(process.execPath, [cli, "generate-model", "--preset", "bench-qwen2.5-0.5b"], { encoding: "utf8" }).trim().split("\n").pop().split(" (")[0];
const concurrencies = values.concurrency.split(",").map(Number);
const workDir = mkdtempSync(join(tmpdir(), "pagoda-bench-replicas-"));

async function withReplicas(numReplicas, body) {
  const child = spawn(join(root, "scripts", "replicas.sh"), ["--replicas", String(numReplicas), "--port", String(port), "--threads", String(threadsOf(numReplicas)), "--log-dir", join(workDir, `logs-${numReplicas}-${Date.now()}`), "--", "--model", model, "--max-num-seqs", "8"], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (data) => {
      output += data;
      if (output.includes("replicas: ready:")) resolve();
    });
    exited.then((code) => reject(new Error(`replicas.sh exited with ${code}:\n${output}`)));
  });
  try {
    return await body();
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

function bench(concurrency, label) {
  const file = join(workDir, `${label}-c${concurrency}.json`);
  execFileSync(process.execPath, [cli, "bench", "serve", "--base-url", `http://127.0.0.1:${port}/v1`, "--dataset", "random", "--input-len", values["input-len"], "--output-len", values["output-len"], "--ignore-eos", "--num-prompts", String(Math.max(Number(values["num-prompts"]), concurrency * 2)), "--max-concurrency", String(concurrency), "--warmup", "1", "--seed", String(Date.now() % 100000), "--save-result", file, "--label", label], { stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(readFileSync(file, "utf8"));
}

const results = new Map(); // `${replicas}` -> concurrency -> results[]
for (const numReplicas of [1, 2, 2, 1]) {
  process.stderr.write(`bench-replicas: ${numReplicas} replica(s), ${threadsOf(numReplicas)} thread(s) each\n`);
  await withReplicas(numReplicas, async () => {
    for (const concurrency of concurrencies) {
      const result = bench(concurrency, `replicas-${numReplicas}`);
      const byConcurrency = results.get(numReplicas) ?? new Map();
      results.set(numReplicas, byConcurrency);
      byConcurrency.set(concurrency, [...(byConcurrency.get(concurrency) ?? []), result]);
    }
  });
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, digits = 1) => x.toFixed(digits);
const rows = [
  `| concurrency | 1 replica x ${threadsOf(1)} threads: output tok/s (two runs) | TTFT p50 ms | 2 replicas x ${threadsOf(2)} threads: output tok/s (two runs) | TTFT p50 ms | 2 / 1 |`,
  "|---|---|---|---|---|---|",
];
for (const concurrency of concurrencies) {
  const one = results.get(1).get(concurrency);
  const two = results.get(2).get(concurrency);
  const tput = (runs) => runs.map((r) => fmt(r.output_throughput)).join(", ");
  const ttft = (runs) => fmt(mean(runs.map((r) => r.median_ttft_ms)), 0);
  const failed = [...one, ...two].reduce((sum, r) => sum + r.failed, 0);
  rows.push(`| ${concurrency} | ${tput(one)} | ${ttft(one)} | ${tput(two)} | ${ttft(two)} | ${fmt(mean(two.map((r) => r.output_throughput)) / mean(one.map((r) => r.output_throughput)), 2)}x${failed ? ` (${failed} failed)` : ""} |`);
}
console.log(`Model ${model}; ${values["input-len"]}-token prompts, ${values["output-len"]} output tokens (ignore_eos), streaming completions through HAProxy; order 1-2-2-1 replicas.`);
console.log(rows.join("\n"));
