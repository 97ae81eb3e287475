#!/usr/bin/env node
// Runs unit tests (dist/src/**/*.test.js) in parallel, then black-box tests
// (dist/test/e2e/*.test.js) one file at a time: each e2e file owns a server.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureLlamaCppModels } from "../dist/src/models/llama-cpp-models.js";

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out.sort();
}

// Unpack llama.cpp's tokenizers and templates (test fixtures) once, before parallel test files all want them.
ensureLlamaCppModels();

const only = process.argv[2]; // "unit" | "e2e" | undefined (both)
const suites = [];
if (only !== "e2e") suites.push({ files: findTests("dist/src"), concurrency: 2 });
if (only !== "unit") suites.push({ files: findTests("dist/test/e2e"), concurrency: 1 });

let failed = false;
for (const { files, concurrency } of suites) {
  if (files.length === 0) continue;
  const result = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, ...files], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
