#!/usr/bin/env node
// pagoda's launcher. llama.cpp runs its decodes with OpenMP from libuv's
// worker threads, and every worker thread that calls into it gets its own
// OpenMP team; with libuv's default four workers, idle teams spin on the same
// cores as the busy one (single-stream decode measured ~25% slower). One libuv
// worker keeps one team. It must be set before the thread pool starts, which
// ESM loading already does, hence this CommonJS entry.
process.env.UV_THREADPOOL_SIZE ??= "1";
import("../dist/src/cli.js");
