#!/usr/bin/env node
// pagoda vs llama.cpp's llama-server on the same GGUF, same machine, same load
// generator (`pagoda bench serve`). Builds the peer once (scripts/build-peer.sh),
// generates the benchmark model if missing, runs llama-bench for the tg128
// anchor, then for each server in turn: start it, wait for /health, run the
// workloads, stop it. Appends a section to BENCHMARKS.md and writes the raw JSON
// to docs/bench/<stamp>/.
//
// Usage: npm run bench -- [--quick] [--reps N] [--model FILE] [--servers pagoda,llama-server]
//   --quick    C = 1, 4, 16 with fewer prompts, shorter shared-prefix run (~5 min)
//   --reps N   run every server's workloads N times (servers alternate); tables show the mean
//   --model FILE       another GGUF (default: generate-model --preset bench-qwen2.5-0.5b)
//   --servers LIST     which servers, in order (default pagoda,llama-server)
//   --threads N        server and llama-bench threads (default 2)
//   --prefix-len N     words in the shared system prompt (default 1000)
// Needs a quiet machine: on 2 cores, any other busy process skews both servers.
import { execFileSync, spawn } from "node:child_process";
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
const threads = opts.threads;
const log = (...args) => console.error("[bench-peer]", ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- workloads -------------------------------------------------------------
// Chat, as clients use it. 100 words + Qwen's chat template (default system prompt)
// = ~129 prompt tokens, as in /work/shared/research/anchors.md.
const concurrencies = opts.quick ? [1, 4, 16] : [1, 2, 4, 8, 16];
const numPrompts = (c) => (opts.quick ? Math.max(4, c) : Math.max(8, 3 * c));
// Every workload has its own seed: no run's prompts repeat an earlier run's, so
// neither server is measured on prompts it still has cached.
const common = ["--endpoint", "chat", "--output-len", "64", "--ignore-eos", "--temperature", "0", "--warmup", "1"];
const workloads = [
  ...concurrencies.map((c) => ({
    name: `random C=${c}`,
    slug: `random-c${c}`,
    args: ["--dataset", "random", "--input-len", "100", "--num-prompts", String(numPrompts(c)), "--max-concurrency", String(c), "--seed", String(c)],
  })),
  {
    name: `shared-prefix ${opts["prefix-len"]} C=4`,
    slug: `shared${opts["prefix-len"]}-c4`,
    args: ["--dataset", "shared-prefix", "--prefix-len", opts["prefix-len"], "--input-len", "20", "--num-prompts", opts.quick ? "8" : "16", "--max-concurrency", "4", "--seed", "1000"],
  },
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

function benchServe(baseUrl, label, workload, outFile) {
  const args = [cli, "bench", "serve", "--base-url", baseUrl, "--label", label, ...common, ...workload.args, "--save-result", outFile];
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
await waitQuiet();
const llamaBenchArgs = ["-m", modelPath, "-t", threads, "-p", "512", "-n", "128", "-r", "3", "-o", "json"];
const llamaBenchRaw = run(join(binDir, "llama-bench"), llamaBenchArgs, { stdio: ["ignore", "pipe", "ignore"] });
const llamaBench = JSON.parse(llamaBenchRaw);
writeFileSync(join(outDir, "llama-bench.json"), JSON.stringify(llamaBench, null, 2) + "\n");
const tps = (nPrompt, nGen) => {
  const e = llamaBench.find((x) => x.n_prompt === nPrompt && x.n_gen === nGen);
  return e ? `${e.avg_ts.toFixed(1)} ± ${e.stddev_ts.toFixed(1)}` : "n/a";
};
const anchor = { pp512: tps(512, 0), tg128: tps(0, 128) };
log(`llama-bench: pp512 ${anchor.pp512} t/s, tg128 ${anchor.tg128} t/s`);

const serverDefs = {
  pagoda: (port) => ({
    cmd: process.execPath,
    args: [cli, "serve", "--model", modelPath, "--threads", threads, "--max-num-seqs", "16", "--max-model-len", "2048", "--port", String(port)],
    shown: `node bin/pagoda.cjs serve --model M --threads ${threads} --max-num-seqs 16 --max-model-len 2048`,
  }),
  "llama-server": (port) => ({
    cmd: join(binDir, "llama-server"),
    args: ["-m", modelPath, "-t", threads, "--parallel", "16", "--cont-batching", "-c", "32768", "--port", String(port)],
    shown: `llama-server -m M -t ${threads} --parallel 16 --cont-batching -c 32768`,
  }),
};
const serverNames = opts.servers.split(",").map((s) => s.trim()).filter(Boolean);
for (const name of serverNames) if (!serverDefs[name]) throw new Error(`unknown server '${name}' (known: ${Object.keys(serverDefs).join(", ")})`);

const results = {}; // results[server][slug] = [json per rep]
const peakRss = {};
const quietness = [];
for (let rep = 1; rep <= reps; rep++) {
  const order = rep % 2 === 1 ? serverNames : [...serverNames].reverse();
  for (const name of order) {
    const port = await freePort();
    const def = serverDefs[name](port);
    log(`rep ${rep}: starting ${name} on port ${port}`);
    const logFile = createWriteStream(join(logDir, `${name}-rep${rep}.log`));
    const child = spawn(def.cmd, def.args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(logFile);
    child.stderr.pipe(logFile);
    try {
      await waitHealthy(port, child);
      for (const workload of workloads) {
        quietness.push(await waitQuiet());
        const outFile = join(outDir, `${name}-${workload.slug}-rep${rep}.json`);
        log(`rep ${rep}: ${name}: ${workload.name}`);
        const json = await benchServe(`http://127.0.0.1:${port}/v1`, name, workload, outFile);
        ((results[name] ??= {})[workload.slug] ??= []).push(json);
      }
      peakRss[name] = Math.max(peakRss[name] ?? 0, peakRssMb(child.pid) ?? 0);
    } finally {
      await stopServer(child);
    }
  }
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
const cpuNote = `${machine.nproc} × ${machine.cpuModel} (${machine.simd.join(", ") || "no AVX2"}), ${machine.memGb} GB RAM, Linux ${machine.kernel}, Node ${machine.node}`;
const command = `npm run bench:peer${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const maxBusy = Math.max(...quietness);
const section = [
  "",
  `## ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${b ? `${a} vs ${b}` : a}${opts.quick ? " (quick)" : ""}`,
  "",
  `- Machine: ${cpuNote}`,
  `- pagoda commit: ${machine.commit}; llama.cpp: ${peerCommit} (the source node-llama-cpp ships), built by scripts/build-peer.sh with -DGGML_NATIVE=ON`,
  `- Command: \`${command}\`${reps > 1 ? ` (${reps} reps, servers alternating; cells are means)` : ""}`,
  `- Model: ${relative(root, modelPath).startsWith("..") ? modelPath : relative(root, modelPath)} (${modelMb} MB)`,
  ...serverNames.map((s) => `- ${s}: \`${serverDefs[s](0).shown}\`, peak RSS ${peakRss[s] ?? "?"} MB`),
  `- Load: \`pagoda bench serve ${common.join(" ")}\`; random = 100 random words (+ chat template), shared-prefix = a ${opts["prefix-len"]}-word system prompt + a distinct 20-word user message; each run after 1 s of < 10% CPU busy (worst seen: ${(maxBusy * 100).toFixed(0)}%)`,
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
  JSON.stringify({ date: startedAt.toISOString(), command, machine, peerCommit, model: modelPath, anchor, peakRssMb: peakRss, quietness, servers: serverNames, workloads, results: Object.fromEntries(serverNames.map((s) => [s, Object.fromEntries(workloads.map((w) => [w.slug, Object.fromEntries(columns.map(([k]) => [k, metric(s, w.slug, k)]))]))])) }, null, 2) + "\n",
);
console.log(section);
log(`appended to BENCHMARKS.md; raw JSON in ${relative(root, outDir)}/`);
