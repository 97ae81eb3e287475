#!/usr/bin/env node
// pagoda vs llama.cpp's llama-server on the same GGUF, same machine, same load
// generator (`pagoda bench serve`). Builds the peer once (scripts/build-peer.sh),
// generates the benchmark model if missing, runs llama-bench (pp512, tg128) and
// llama-batched-bench (the kernels' compute bound), then starts both servers,
// keeps both up, and runs each workload A-B-B-A (pagoda, llama-server,
// llama-server, pagoda) so that a machine whose speed drifts affects both
// alike; every run has its own seed, so no server sees prompts it has cached.
// Both servers get the same KV cells per slot (llama-server splits -c across
// --parallel). Appends a section to BENCHMARKS.md and writes the raw JSON to
// docs/bench/<stamp>/.
//
// Usage: npm run bench -- [--quick] [--reps N] [--model FILE] [--servers pagoda,llama-server]
//   --quick    C = 1, 4, 16 (or --concurrencies), one wave of C prompts each, 4 shared-prefix prompts
//   --reps N   run every workload's A-B-B-A block N times; tables show the mean
//   --model FILE       another GGUF (default: generate-model --preset bench-qwen2.5-0.5b)
//   --servers LIST     which servers, in order (default pagoda,llama-server); pagoda-no-kv-pool is
//                      pagoda with --no-kv-pool (per-sequence KV), to measure the shared pool against it
//                      (pagoda takes the pool only when it is smaller than 16 x 2048 cells, so with
//                      --pagoda-args "--kv-cache-tokens 32767")
//   --threads N        server and llama-bench threads (default 2)
//   --prefix-len N     words in the shared system prompt (default 1000)
//   --concurrencies L  comma list of C for the random workload (default 1,2,4,8,16)
//   --pagoda-args "A"  extra flags for pagoda serve (e.g. "--max-step-ms 300")
//   --skip-kernel-bench  no llama-bench / llama-batched-bench (no anchors, no compute bound)
//   --skip-shared      no shared-prefix workload
// Needs a quiet machine: on 2 cores, any other busy process skews both servers.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, appendFileSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin/pagoda.cjs");
const usage = readFileSync(fileURLToPath(import.meta.url), "utf8")
  .split("\n")
  .filter((line) => /^\/\/ ( |Usage)/.test(line))
  .map((line) => line.slice(3))
  .join("\n");
let parsed;
try {
  parsed = parseArgs({
    options: {
      help: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      reps: { type: "string", default: "1" },
      model: { type: "string" },
      servers: { type: "string", default: "pagoda,llama-server" },
      threads: { type: "string", default: "2" },
      "prefix-len": { type: "string", default: "1000" },
      concurrencies: { type: "string" },
      "pagoda-args": { type: "string", default: "" },
      "skip-kernel-bench": { type: "boolean", default: false },
      "skip-shared": { type: "boolean", default: false },
    },
  });
} catch (error) {
  console.error(`bench-peer: ${error.message}\n${usage}`);
  process.exit(2);
}
const opts = parsed.values;
if (opts.help) {
  console.log(usage);
  process.exit(0);
}
const reps = Math.max(1, Number(opts.reps) || 1);
const pagodaArgs = opts["pagoda-args"].split(/\s+/).filter(Boolean);
const threads = opts.threads;
const log = (...args) => console.error("[bench-peer]", ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- workloads -------------------------------------------------------------
// Chat, as clients use it. 100 words + Qwen's chat template (default system prompt)
// = ~129 prompt tokens, as in /work/shared/research/anchors.md.
const concurrencies = opts.concurrencies ? opts.concurrencies.split(",").map(Number) : opts.quick ? [1, 4, 16] : [1, 2, 4, 8, 16];
const numSlots = 16;
/** KV cells per slot, the same for both servers. */
const slotContext = 2048;
const numPrompts = (c) => (opts.quick ? Math.max(2, c) : Math.max(8, 3 * c));
// Every workload has its own seed: no run's prompts repeat an earlier run's, so
// neither server is measured on prompts it still has cached.
const common = ["--endpoint", "chat", "--output-len", "64", "--ignore-eos", "--temperature", "0", "--warmup", "1"];
const workloads = [
  ...concurrencies.map((c) => ({
    name: `random C=${c}`,
    slug: `random-c${c}`,
    args: ["--dataset", "random", "--input-len", "100", "--num-prompts", String(numPrompts(c)), "--max-concurrency", String(c)],
    seed: 100 * c,
  })),
  ...(opts["skip-shared"] ? [] : [{
    name: `shared-prefix ${opts["prefix-len"]} C=4`,
    slug: `shared${opts["prefix-len"]}-c4`,
    args: ["--dataset", "shared-prefix", "--prefix-len", opts["prefix-len"], "--input-len", "20", "--num-prompts", opts.quick ? "4" : "16", "--max-concurrency", "4"],
    seed: 10_000,
  }]),
];

// ---- helpers ---------------------------------------------------------------
function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, ...options });
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Fraction of CPU time busy over `ms` (all cores), from /proc/stat. */
async function cpuBusy(ms = 1000) {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

/** Waits (up to 30 s) for 1 s of CPU below 10% busy; returns the last reading. */
async function waitQuiet() {
  let busy = 1;
  for (let i = 0; i < 30 && busy >= 0.1; i++) busy = await cpuBusy(1000);
  if (busy >= 0.1) log(`warning: the machine is not quiet (${(busy * 100).toFixed(0)}% CPU busy); results will be skewed`);
  return busy;
}

function machineInfo() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].split(" ") ?? [];
  const simd = ["avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile"].filter((f) => flags.includes(f));
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0);
  let commit = "unknown";
  try {
    commit = run("git", ["rev-parse", "--short", "HEAD"]).trim();
    if (run("git", ["status", "--porcelain", "--untracked-files=no"]).trim() !== "") commit += " (with uncommitted changes)";
  } catch {}
  return { nproc: run("nproc", []).trim(), cpuModel, simd, memGb: (memKb / 1048576).toFixed(1), kernel: run("uname", ["-r"]).trim(), node: process.version, commit };
}

function peakRssMb(pid) {
  try {
    const kb = Number(/^VmHWM:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return null;
  }
}

async function waitHealthy(port, child, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was healthy`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`server on port ${port} not healthy after ${timeoutMs / 1000} s`);
}

async function stopServer(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

function benchServe(baseUrl, label, workload, seed, outFile) {
  const args = [cli, "bench", "serve", "--base-url", baseUrl, "--label", label, ...common, ...workload.args, "--seed", String(seed), "--save-result", outFile];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      process.stderr.write(stdout);
      if (code !== 0) reject(new Error(`pagoda bench serve (${label}, ${workload.name}) exited with ${code}`));
      else resolveRun(JSON.parse(readFileSync(outFile, "utf8")));
    });
  });
}

// ---- main ------------------------------------------------------------------
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:]/g, "").replace(/\..*/, "");
const outDir = join(root, "docs/bench", stamp);
const logDir = join(root, ".cache/bench-logs", stamp);
mkdirSync(outDir, { recursive: true });
mkdirSync(logDir, { recursive: true });

log("building the llama.cpp peer (skipped when already built)");
const binDir = run("bash", [join(root, "scripts/build-peer.sh")], { stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop();
if (!existsSync(cli)) {
  log("dist/ is missing: building pagoda");
  run("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
}

let modelPath = opts.model;
if (!modelPath) {
  log("generating (or finding) the benchmark model");
  const out = run(process.execPath, [cli, "generate-model", "--preset", "bench-qwen2.5-0.5b"]).trim().split("\n").pop();
  modelPath = out.replace(/ \([\d.]+ s\)$/, "");
}
modelPath = resolve(modelPath);
const modelMb = Math.round(statSync(modelPath).size / 1048576);
const machine = machineInfo();
const peerCommit = (() => {
  try {
    return run("git", ["-C", join(root, ".cache/llama.cpp/src"), "rev-parse", "--short", "HEAD"]).trim();
  } catch {
    return "unknown";
  }
})();
log(`model ${modelPath} (${modelMb} MB); ${machine.nproc} × ${machine.cpuModel}; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);

// llama-bench: the raw-engine anchor (pp512, tg128).
log("llama-bench (pp512, tg128, 3 reps)");
if (!opts["skip-kernel-bench"]) await waitQuiet();
const llamaBenchArgs = ["-m", modelPath, "-t", threads, "-p", "512", "-n", "128", "-r", "3", "-o", "json"];
const llamaBench = opts["skip-kernel-bench"] ? [] : JSON.parse(run(join(binDir, "llama-bench"), llamaBenchArgs, { stdio: ["ignore", "pipe", "ignore"] }));
writeFileSync(join(outDir, "llama-bench.json"), JSON.stringify(llamaBench, null, 2) + "\n");
const tps = (nPrompt, nGen) => {
  const e = llamaBench.find((x) => x.n_prompt === nPrompt && x.n_gen === nGen);
  return e ? `${e.avg_ts.toFixed(1)} ± ${e.stddev_ts.toFixed(1)}` : "n/a";
};
const anchor = { pp512: tps(512, 0), tg128: tps(0, 128) };
const tg128 = llamaBench.find((x) => x.n_prompt === 0 && x.n_gen === 128)?.avg_ts ?? null;
log(`llama-bench: pp512 ${anchor.pp512} t/s, tg128 ${anchor.tg128} t/s`);

// llama-batched-bench: what the kernels do with 128-token prompts and 64 output
// tokens at each batch size: the compute bound a server's random workload meets.
log("llama-batched-bench (npp 128, ntg 64)");
const batchedArgs = ["-m", modelPath, "-t", threads, "-c", String(numSlots * slotContext), "-npp", "128", "-ntg", "64", "-npl", concurrencies.join(","), "--output-format", "jsonl"];
const batchedRun = opts["skip-kernel-bench"] ? { stdout: "", stderr: "" } : spawnSync(join(binDir, "llama-batched-bench"), batchedArgs, { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
const batched = `${batchedRun.stdout}\n${batchedRun.stderr}`
  .split("\n")
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line));
writeFileSync(join(outDir, "llama-batched-bench.json"), JSON.stringify(batched, null, 2) + "\n");
const pp512 = llamaBench.find((x) => x.n_prompt === 512 && x.n_gen === 0)?.avg_ts ?? null;
/**
 * The compute bound of the random workload at concurrency c: each request's
 * prompt at llama-bench's pp speed (prompts are not batched with each other in
 * the bound: a 128-token chunk is already a full matrix product), plus its 64
 * tokens at 1/c of batched-bench's aggregate decode speed at batch c.
 */
const computeBound = (c, promptTokens, outputTokens = 64) => {
  const tg = batched.find((x) => x.pl === c)?.speed_tg;
  if (!tg || !pp512) return null;
  const secondsPerRequest = promptTokens / pp512 + outputTokens / tg;
  return outputTokens / secondsPerRequest; // output tok/s
};
log(`llama-batched-bench TG t/s: ${batched.map((x) => `B=${x.pl} ${x.speed_tg.toFixed(1)}`).join(", ")}`);

/**
 * Single-stream decode where the C=1 workload decodes: llama-bench's tg of
 * 64 tokens after a depth of ~129 prompt tokens (tg128 above starts from an
 * empty cache), and pagoda's engine on the same model with no HTTP and no
 * client (scripts/bench-engine.mjs), so that what the kernels, the engine and
 * the HTTP path with its client each cost can be told apart.
 */
const singleStreamDepth = 129;
const singleStream = [];
async function kernelDecode() {
  await waitQuiet();
  const args = ["-m", modelPath, "-t", threads, "-p", "0", "-n", "64", "-d", String(singleStreamDepth), "-r", "3", "-o", "json"];
  const [entry] = JSON.parse(run(join(binDir, "llama-bench"), args, { stdio: ["ignore", "pipe", "ignore"] }));
  log(`llama-bench tg64 @ d${singleStreamDepth}: ${entry.avg_ts.toFixed(1)} t/s`);
  return { kind: "llama-bench", tokPerS: entry.avg_ts };
}
async function engineDecode() {
  await waitQuiet();
  const out = run(process.execPath, [join(root, "scripts/bench-engine.mjs"), modelPath, "--threads", threads, "--concurrency", "1", "--output", "64", "--json"], { env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, stdio: ["ignore", "pipe", "ignore"] });
  const entry = JSON.parse(out.trim().split("\n").filter((line) => line.startsWith("{")).at(-1));
  log(`pagoda engine (no HTTP) C=1 decode: ${entry.decodeTokPerS.toFixed(1)} t/s`);
  return { kind: "pagoda-engine", tokPerS: entry.decodeTokPerS };
}

const serverDefs = {
  pagoda: (port) => ({
    cmd: process.execPath,
    args: [cli, "serve", "--model", modelPath, "--threads", threads, "--max-num-seqs", String(numSlots), "--max-model-len", String(slotContext), ...pagodaArgs, "--port", String(port)],
    shown: `node bin/pagoda.cjs serve --model M --threads ${threads} --max-num-seqs ${numSlots} --max-model-len ${slotContext}${pagodaArgs.length ? " " + pagodaArgs.join(" ") : ""}`,
  }),
  // The same cells without the shared pool.
  "pagoda-no-kv-pool": (port) => {
    const def = serverDefs.pagoda(port);
    return { ...def, args: [...def.args, "--no-kv-pool"], shown: `${def.shown} --no-kv-pool` };
  },
  // -c is split across --parallel: slotContext cells per slot, as pagoda's.
  "llama-server": (port) => ({
    cmd: join(binDir, "llama-server"),
    args: ["-m", modelPath, "-t", threads, "--parallel", String(numSlots), "--cont-batching", "-c", String(numSlots * slotContext), "--port", String(port)],
    shown: `llama-server -m M -t ${threads} --parallel ${numSlots} --cont-batching -c ${numSlots * slotContext}`,
  }),
};
const serverNames = opts.servers.split(",").map((s) => s.trim()).filter(Boolean);
for (const name of serverNames) if (!serverDefs[name]) throw new Error(`unknown server '${name}' (known: ${Object.keys(serverDefs).join(", ")})`);

const results = {}; // results[server][slug] = [json per run]
const peakRss = {};
const quietness = [];
/** The 1-minute load average before each run: the machine is shared. */
const loadAverages = [];
// Both servers stay up; each workload runs A-B-B-A (per rep), each run with its own seed.
const running = {};
try {
  for (const name of serverNames) {
    const port = await freePort();
    const def = serverDefs[name](port);
    log(`starting ${name} on port ${port}`);
    const logFile = createWriteStream(join(logDir, `${name}.log`));
    const child = spawn(def.cmd, def.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(logFile);
    child.stderr.pipe(logFile);
    running[name] = { child, port };
    await waitHealthy(port, child);
  }
  const block = serverNames.length === 2 ? [serverNames[0], serverNames[1], serverNames[1], serverNames[0]] : serverNames;
  for (const workload of workloads) {
    // The single stream against the kernels: llama-bench and pagoda's engine without HTTP (A-B) before the C=1 runs, B-A after.
    const isSingleStream = workload.slug === "random-c1" && !opts["skip-kernel-bench"];
    if (isSingleStream) singleStream.push(await kernelDecode(), await engineDecode());
    for (let rep = 1; rep <= reps; rep++) {
      for (const [i, name] of block.entries()) {
        quietness.push(await cpuBusy(1000));
        loadAverages.push(loadavg()[0]);
        const seed = workload.seed + (rep - 1) * block.length + i;
        const outFile = join(outDir, `${name}-${workload.slug}-seed${seed}.json`);
        log(`${workload.name}: ${name} (seed ${seed})`);
        const json = await benchServe(`http://127.0.0.1:${running[name].port}/v1`, name, workload, seed, outFile);
        // The longest wait of any stream for its next token: a stall a p99 over all gaps can hide (a few streams, once each).
        json.max_itl_ms = Math.max(0, ...(json.itls_ms ?? []).flat());
        ((results[name] ??= {})[workload.slug] ??= []).push(json);
      }
    }
    if (isSingleStream) singleStream.push(await engineDecode(), await kernelDecode());
  }
  for (const name of serverNames) peakRss[name] = peakRssMb(running[name].child.pid);
} finally {
  for (const { child } of Object.values(running)) await stopServer(child);
}

// ---- report ----------------------------------------------------------------
const avg = (xs) => (xs.length === 0 || xs.some((x) => x === null || x === undefined) ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const metric = (server, slug, key) => avg((results[server]?.[slug] ?? []).map((r) => r[key]));
const columns = [
  ["output_throughput", "out tok/s", 1],
  ["request_throughput", "req/s", 2],
  ["median_ttft_ms", "TTFT p50", 0],
  ["p99_ttft_ms", "TTFT p99", 0],
  ["median_tpot_ms", "TPOT p50", 1],
  ["median_itl_ms", "ITL p50", 1],
  ["p99_itl_ms", "ITL p99", 0],
  ["max_itl_ms", "ITL max", 0],
  ["median_e2el_ms", "E2E p50", 0],
  ["p99_e2el_ms", "E2E p99", 0],
];
const [a, b] = serverNames.length === 2 ? serverNames : [serverNames[0], null];
const fmt = (v, digits) => (v === null ? "n/a" : v.toFixed(digits));
const cell = (slug, key, digits) => {
  const va = metric(a, slug, key);
  if (!b) return fmt(va, digits);
  const vb = metric(b, slug, key);
  const ratio = va !== null && vb !== null && vb !== 0 ? ` (${(va / vb).toFixed(2)})` : "";
  return `${fmt(va, digits)} / ${fmt(vb, digits)}${ratio}`;
};
const rows = workloads.map((w) => {
  const first = results[a]?.[w.slug]?.[0];
  const failed = serverNames.map((s) => (results[s]?.[w.slug] ?? []).reduce((n, r) => n + r.failed, 0)).join(" / ");
  const inTok = first ? Math.round(first.total_input_tokens / Math.max(1, first.completed)) : "?";
  return `| ${w.name} | ${first?.num_prompts ?? "?"} | ${inTok} | ${columns.map(([k, , d]) => cell(w.slug, k, d)).join(" | ")} | ${failed} |`;
});
// The chart of the random runs (output tok/s, TTFT p50/p99 vs C), drawn by bench compare's renderer.
let chartNote = null;
try {
  const { renderCompareChart } = await import("../dist/src/bench/chart.js");
  const series = serverNames.map((s) => ({
    name: s,
    points: concurrencies.map((c) => ({
      concurrency: c,
      outputThroughput: metric(s, `random-c${c}`, "output_throughput"),
      ttftP50Ms: metric(s, `random-c${c}`, "median_ttft_ms"),
      ttftP99Ms: metric(s, `random-c${c}`, "p99_ttft_ms"),
    })),
  }));
  writeFileSync(join(outDir, "compare.svg"), renderCompareChart(series, { title: `${serverNames.join(" vs ")}: random workload, output tok/s and TTFT vs concurrency` }));
  chartNote = `- Chart: \`${relative(root, outDir)}/compare.svg\` (random runs: output tok/s, TTFT p50/p99 against concurrency)`;
} catch (error) {
  log(`warning: no chart: ${error instanceof Error ? error.message : error}`);
}
// The issue's targets, as ratios pagoda / llama-server (and against the kernels' bounds).
const ratio = (slug, key) => {
  const va = metric("pagoda", slug, key);
  const vb = metric("llama-server", slug, key);
  return va !== null && vb !== null && vb !== 0 ? va / vb : null;
};
const r2 = (v) => (v === null ? "n/a" : `${v.toFixed(2)}x`);
const promptTokensOf = (slug) => {
  const first = results.pagoda?.[slug]?.[0] ?? results["llama-server"]?.[slug]?.[0];
  return first ? first.total_input_tokens / Math.max(1, first.completed) : null;
};
const boundLines = concurrencies.map((c) => {
  const slug = `random-c${c}`;
  const bound = promptTokensOf(slug) === null ? null : computeBound(c, promptTokensOf(slug));
  const share = (name) => (bound === null || metric(name, slug, "output_throughput") === null ? "n/a" : (metric(name, slug, "output_throughput") / bound).toFixed(2));
  return `C=${c}: bound ${bound === null ? "n/a" : bound.toFixed(1)} out tok/s; share pagoda ${share("pagoda")}, llama-server ${share("llama-server")}`;
});
const tpot1 = metric("pagoda", "random-c1", "median_tpot_ms");
const peerTpot1 = metric("llama-server", "random-c1", "median_tpot_ms");
const sharedSlug = opts["skip-shared"] ? null : workloads.at(-1).slug;
const targetLines = b && serverNames.includes("pagoda") && serverNames.includes("llama-server")
  ? [
      `- ITL p99 pagoda/llama-server: ${concurrencies.filter((c) => c >= 8).map((c) => `C=${c} ${r2(ratio(`random-c${c}`, "p99_itl_ms"))}`).join(", ")} (target <= 1.0x)`,
      `- TTFT at C=16 pagoda/llama-server: p50 ${r2(ratio("random-c16", "median_ttft_ms"))} (target < 1.0x), p99 ${r2(ratio("random-c16", "p99_ttft_ms"))} (target <= 1.0x)`,
      `- Output tok/s pagoda/llama-server: ${concurrencies.map((c) => `C=${c} ${r2(ratio(`random-c${c}`, "output_throughput"))}`).join(", ")} (target >= 0.97x)`,
      ...(sharedSlug ? [`- Shared-prefix C=4 TTFT p99 pagoda/llama-server: ${r2(ratio(sharedSlug, "p99_ttft_ms"))} (target <= 0.1x)`] : []),
      ...(singleStream.length ? [singleStreamLine()] : []),
      ...(tg128 && tpot1 ? [`- Single-stream decode (1000 / TPOT p50 at C=1) against llama-bench tg128 (${tg128.toFixed(1)} t/s): pagoda ${(1000 / tpot1).toFixed(1)} t/s = ${(1000 / tpot1 / tg128).toFixed(2)}x (target >= 0.95x); llama-server ${peerTpot1 && tg128 ? ((1000 / peerTpot1) / tg128).toFixed(2) : "n/a"}x`] : []),
      ...(batched.length > 0 ? [`- Compute bound of the random workload (each request's prompt at llama-bench pp512 ${pp512?.toFixed(1) ?? "n/a"} t/s, plus 64 tokens at 1/C of llama-batched-bench's TG at batch C: ${batched.map((x) => `B=${x.pl} ${x.speed_tg.toFixed(1)}`).join(", ")} t/s), and each server's share (target >= 0.9 at C=16): ${boundLines.join("; ")}`] : []),
    ]
  : [];
function singleStreamLine() {
  const meanOf = (kind) => avg(singleStream.filter((x) => x.kind === kind).map((x) => x.tokPerS));
  const kernel = meanOf("llama-bench");
  const engineRate = meanOf("pagoda-engine");
  const vsKernel = (tokPerS) => (tokPerS && kernel ? `${tokPerS.toFixed(1)} t/s = ${(tokPerS / kernel).toFixed(2)}x` : "n/a");
  return `- Single-stream decode where the C=1 runs decode (llama-bench tg64 after ${singleStreamDepth} tokens, run before and after them: ${kernel?.toFixed(1) ?? "n/a"} t/s): pagoda's engine without HTTP ${vsKernel(engineRate)}; through HTTP, with the load generator on the same cores (1000 / TPOT p50 at C=1): pagoda ${vsKernel(tpot1 ? 1000 / tpot1 : null)}, llama-server ${vsKernel(peerTpot1 ? 1000 / peerTpot1 : null)} (target >= 0.95x)`;
}
const cpuNote = `${machine.nproc} × ${machine.cpuModel} (${machine.simd.join(", ") || "no AVX2"}), ${machine.memGb} GB RAM, Linux ${machine.kernel}, Node ${machine.node}`;
const command = `npm run bench:peer${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const maxBusy = Math.max(...quietness);
const section = [
  "",
  `## ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${b ? `${a} vs ${b}` : a}${opts.quick ? " (quick)" : ""}`,
  "",
  `- Machine: ${cpuNote}`,
  `- pagoda commit: ${machine.commit}; llama.cpp: ${peerCommit} (the source node-llama-cpp ships), built by scripts/build-peer.sh with -DGGML_NATIVE=ON`,
  `- Command: \`${command}\`; both servers up together, each workload run ${b ? `A-B-B-A (${a}, ${b}, ${b}, ${a})` : "once"}${reps > 1 ? ` ${reps} times` : ""} with a fresh seed per run; cells are means over runs`,
  `- Model: ${relative(root, modelPath).startsWith("..") ? modelPath : relative(root, modelPath)} (${modelMb} MB)`,
  ...serverNames.map((s) => `- ${s}: \`${serverDefs[s](0).shown}\`, peak RSS ${peakRss[s] ?? "?"} MB`),
  `- Load: \`pagoda bench serve ${common.join(" ")}\`; random = 100 random words (+ chat template), shared-prefix = a ${opts["prefix-len"]}-word system prompt + a distinct 20-word user message; CPU busy in the second before each run: worst ${(maxBusy * 100).toFixed(0)}%; 1-minute load average before each run: ${loadAverages.map((l) => l.toFixed(1)).join(", ")} (the machine is shared with other work: noisy)`,
  `- llama-bench \`-t ${threads} -p 512 -n 128 -r 3\`: pp512 ${anchor.pp512} t/s, tg128 ${anchor.tg128} t/s`,
  `- Raw JSON: \`${relative(root, outDir)}/\``,
  ...(chartNote ? [chartNote] : []),
  "",
  b ? `Cells: ${a} / ${b} (ratio ${a}/${b}). Throughput: a ratio above 1 favours ${a}; latency (ms): below 1 favours ${a}.` : "",
  "",
  `| workload | N | prompt tok | ${columns.map(([, h]) => h).join(" | ")} | failed |`,
  `|---|---|---|${columns.map(() => "---").join("|")}|---|`,
  ...rows,
  "",
  ...(targetLines.length ? ["Against issue 14's targets:", "", ...targetLines, ""] : []),
].join("\n");

const benchmarksMd = join(root, "BENCHMARKS.md");
if (!existsSync(benchmarksMd)) {
  writeFileSync(
    benchmarksMd,
    "# Benchmarks\n\npagoda against llama.cpp's own `llama-server` on the same model and machine, measured with `pagoda bench serve` (vLLM's `bench serve` metrics). Produced by `npm run bench:peer`; newest last.\n",
  );
}
appendFileSync(benchmarksMd, section);
writeFileSync(
  join(outDir, "summary.json"),
  JSON.stringify({ date: startedAt.toISOString(), command, machine, peerCommit, model: modelPath, anchor, singleStream, peakRssMb: peakRss, quietness, loadAverages, servers: serverNames, workloads, results: Object.fromEntries(serverNames.map((s) => [s, Object.fromEntries(workloads.map((w) => [w.slug, Object.fromEntries(columns.map(([k]) => [k, metric(s, w.slug, k)]))]))])) }, null, 2) + "\n",
);
console.log(section);
log(`appended to BENCHMARKS.md; raw JSON in ${relative(root, outDir)}/`);
