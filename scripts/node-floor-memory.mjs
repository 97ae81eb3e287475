#!/usr/bin/env node
// The Node.js floor under pagoda's memory (issue 19): a bare process that only
// loads node-llama-cpp, the model and one 32768-cell context for 16 sequences
// through node-llama-cpp's public API, as pagoda does, with none of pagoda's
// code. RSS from /proc after each stage; compare with
// scripts/bench-kv-memory.mjs (pagoda and llama-server after the same load).
//
// Usage: UV_THREADPOOL_SIZE=1 node scripts/node-floor-memory.mjs [MODEL.gguf]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modelPath =
  process.argv[2] ??
  execFileSync(process.execPath, [join(root, "bin", "pagoda.cjs"), "generate-model", "--preset", "bench-qwen2.5-0.5b"], { encoding: "utf8" }).trim().split("\n").pop().replace(/ \([\d.]+ s\)$/, "");
const rssMb = () => Math.round(Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024);
const report = (stage) => console.log(`${stage.padEnd(40)} RSS ${rssMb()} MB`);

report("node + node-llama-cpp imported");
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.error });
report("llama.cpp backend loaded");
const model = await llama.loadModel({ modelPath });
report("model loaded");
// 32768 cells in all for 16 sequences: node-llama-cpp's contextSize is per sequence, and its
// prebuilt addon has no unified pool; the KV bytes are the same as one 32768-cell pool.
const context = await model.createContext({ contextSize: 2048, sequences: 16, batchSize: 512, threads: 2, flashAttention: true });
report("context of 32768 cells, 16 sequences");
await context.dispose();
await model.dispose();
