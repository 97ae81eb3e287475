#!/usr/bin/env node
// pagoda's launcher. node-llama-cpp runs llama.cpp's decodes and samplers on
// libuv's worker threads, and each decode spreads over --threads threads of
// ggml's own (the prebuilt CPU backends use ggml's thread pool, not OpenMP).
// With libuv's default four workers, other native calls run beside a decode
// on the cores its threads busy-wait on (single-stream decode measured ~25%
// slower); one worker keeps native work in order. It must be set before the
// thread pool starts, which ESM loading already does, hence this CommonJS entry.
process.env.UV_THREADPOOL_SIZE ??= "1";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const cli = join(root, "dist", "src", "cli.js");
if (!existsSync(cli)) {
  // A checkout installed with --ignore-scripts (no `prepare` build), or a dist/ removed since.
  console.error(`pagoda: not built yet (${cli} is missing): run 'npm run build' in ${root}`);
  process.exit(1);
}
import(require("node:url").pathToFileURL(cli).href);
