#!/usr/bin/env node
// KV memory side by side (issue 19): each server is started with a 32768-token
// context for 16 sequences, given the same load (16 concurrent completions of
// a ~PROMPT-token prompt plus MAX-TOKENS tokens), and its resident
// memory is read from /proc after the load (VmRSS) and at its peak (VmHWM).
//
// Usage: node scripts/bench-kv-memory.mjs [--model FILE] [--servers a,b,...] [--prompt-tokens N] [--max-tokens N]
//   servers: pagoda-pool    pagoda with the shared KV pool (needs `npm run build:native`)
//            pagoda-slots   pagoda on node-llama-cpp's prebuilt addon (16 x 32768 reserved)
//            llama-server   llama-server -kvu -c 32768 --parallel 16
// Needs dist/ (npm run build) and llama-server (scripts/build-peer.sh).
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "bin", "pagoda.cjs");
const { values: opts } = parseArgs({
  options: {
    model: { type: "string" },
    servers: { type: "string", default: "pagoda-pool,llama-server,llama-server,pagoda-pool" },
    "prompt-tokens": { type: "string", default: "300" },
    "max-tokens": { type: "string", default: "32" },
    threads: { type: "string", default: "2" },
    port: { type: "string", default: "8560" },
  },
});
const threads = opts.threads;
const binDir = process.env.LLAMA_BIN_DIR ?? join(root, ".cache/llama.cpp/build/bin");
const modelPath = resolve(
  opts.model ?? execFileSync(process.execPath, [cli, "generate-model", "--preset", "bench-qwen2.5-0.5b"], { encoding: "utf8" }).trim().split("\n").pop().replace(/ \([\d.]+ s\)$/, ""),
);

const servers = {
  "pagoda-pool": {
    cmd: process.execPath,
    args: [cli, "serve", "--model", modelPath, "--threads", threads, "--max-num-seqs", "16", "--max-model-len", "32768", "--kv-cache-tokens", "32768", "--served-model-name", "m"],
    env: {},
    shown: "pagoda serve --max-num-seqs 16 --max-model-len 32768 --kv-cache-tokens 32768",
  },
  "pagoda-slots": {
    cmd: process.execPath,
    args: [cli, "serve", "--model", modelPath, "--threads", threads, "--max-num-seqs", "16", "--max-model-len", "32768", "--served-model-name", "m"],
    env: { PAGODA_NATIVE_ADDON: "prebuilt" },
    shown: "PAGODA_NATIVE_ADDON=prebuilt pagoda serve --max-num-seqs 16 --max-model-len 32768",
  },
  "llama-server": {
    cmd: join(binDir, "llama-server"),
    args: ["-m", modelPath, "-t", threads, "--parallel", "16", "-kvu", "-c", "32768"],
    env: {},
    shown: "llama-server -t 2 --parallel 16 -kvu -c 32768",
  },
};

const memoryMb = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s*(\\d+)`, "m").exec(status)[1]);
  return { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
};

async function waitHealthy(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500)); // polling a process we do not control; not a test
  }
  throw new Error("server never became healthy");
}

async function load(url) {
  const words = "the quick brown fox jumps over the lazy dog ".repeat(Math.ceil(Number(opts["prompt-tokens"]) / 9));
  // node:http, not fetch: a loaded machine can take longer than fetch's 300 s header timeout.
  const one = (i) =>
    new Promise((resolveBody, reject) => {
      const body = JSON.stringify({ model: "m", prompt: `${i} ${words}`, max_tokens: Number(opts["max-tokens"]), temperature: 0, ignore_eos: true });
      const request = httpRequest(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => (response.statusCode === 200 ? resolveBody(text) : reject(new Error(`${response.statusCode} ${text}`))));
      });
      request.on("error", reject);
      request.end(body);
    });
  await Promise.all(Array.from({ length: 16 }, (_, i) => one(i)));
}

const rows = [];
for (const [i, name] of opts.servers.split(",").entries()) {
  const def = servers[name];
  const port = Number(opts.port) + i;
  const child = spawn(def.cmd, [...def.args, "--port", String(port)], { env: { ...process.env, ...def.env }, stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(url, child);
    const idle = memoryMb(child.pid);
    await load(url);
    const after = memoryMb(child.pid);
    rows.push({ name, shown: def.shown, idle: idle.rss, after: after.rss, peak: after.peak });
    console.log(`${name}: RSS ${idle.rss} MB after load, ${after.rss} MB after the requests, peak ${after.peak} MB`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}
console.log(`\nmodel ${modelPath}`);
for (const row of rows) console.log(`| ${row.name} | \`${row.shown}\` | ${row.idle} | ${row.after} | ${row.peak} |`);
