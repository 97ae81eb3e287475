#!/usr/bin/env node
// pagoda's launcher. llama.cpp runs its decodes with OpenMP from libuv's
// worker threads, and every worker thread that calls into it gets its own
// OpenMP team; with libuv's default four workers, idle teams spin on the same
// cores as the busy one (single-stream decode measured ~25% slower). One libuv
// worker keeps one team. It must be set before the thread pool starts, which
// ESM loading already does, hence this CommonJS entry.
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
