#!/usr/bin/env node
/**
 * `npm run build:native`: builds pagoda's own copy of node-llama-cpp's native
 * addon with one setting exposed, llama.cpp's unified KV cache (`kvUnified`
 * context option; the shipped addon hard-codes `kv_unified = false`). See
 * docs/decisions/0004-unified-kv-native-addon.md.
 *
 * Only the addon's own ~20 C++ files are compiled: they are linked against
 * the llama.cpp and ggml shared libraries node-llama-cpp's prebuilt binary
 * already ships, with headers from the exact llama.cpp source it bundles
 * (llama/gitRelease.bundle). Node's headers come with Node; nothing is
 * downloaded. Needs git and a C++17 compiler; about two minutes on 2 cores.
 *
 * Output: .cache/native/<platform>-<arch>/llama-addon.node beside symlinks
 * to the prebuilt libraries, heap-trim.node (scripts/native/heap-trim.c: gives
 * glibc's free heap pages back after a model loads), and build.json naming the
 * node-llama-cpp version it matches. The runner uses it when present and matching (src/runner/native-addon.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const platform = `${process.platform}-${process.arch}`;
const outDir = join(root, ".cache", "native", platform);
const workDir = join(root, ".cache", "native", "work");

/** A package's folder (node-llama-cpp's `exports` hide its package.json from require.resolve). */
function packageDir(name) {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === name) return dir;
  }
  throw new Error(`cannot find ${name}'s folder`);
}

const nlcDir = packageDir("node-llama-cpp");
const nlcVersion = JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")).version;
const prebuiltDir = join(packageDir(`@node-llama-cpp/${platform}`), "bins", platform);
const addonApiInclude = dirname(require.resolve("node-addon-api/napi.h"));
const nodeInclude = join(dirname(dirname(process.execPath)), "include", "node");

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function which(command) {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const cxx = process.env.CXX || "g++";
if (process.platform !== "linux") fail(`only Linux is supported so far (this is ${platform})`);
if (!which(cxx)) fail(`no C++ compiler (${cxx}); install g++ or set CXX`);
if (!which("git")) fail("git is needed to unpack llama.cpp's sources from node-llama-cpp's bundle");
if (!existsSync(join(nodeInclude, "node_api.h"))) fail(`Node's headers are not at ${nodeInclude}`);
if (!existsSync(prebuiltDir)) fail(`node-llama-cpp's prebuilt binaries are not at ${prebuiltDir}`);

const started = Date.now();
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });

// llama.cpp's headers at the exact commit the prebuilt libraries were built from.
const llamaDir = join(workDir, "llama.cpp");
execFileSync("git", ["clone", "--quiet", "--no-checkout", join(nlcDir, "llama", "gitRelease.bundle"), llamaDir], { stdio: "inherit" });
execFileSync("git", ["-C", llamaDir, "-c", "advice.detachedHead=false", "checkout", "--quiet", "HEAD", "--", "include", "ggml/include", "common", "src", "vendor"], { stdio: "inherit" });

// The addon's sources, copied out of node_modules and patched here (never in place).
const addonDir = join(workDir, "addon");
cpSync(join(nlcDir, "llama", "addon"), addonDir, { recursive: true });
patchKvUnified(join(addonDir, "AddonContext.cpp"));
patchSamplerDispose(join(addonDir, "AddonSampler.cpp"));

const sources = listSources(addonDir);
const includes = [nodeInclude, addonApiInclude, llamaDir, join(llamaDir, "include"), join(llamaDir, "ggml", "include"), join(llamaDir, "common"), join(llamaDir, "src"), join(llamaDir, "vendor")];
const flags = ["-std=c++17", "-O2", "-fPIC", "-fexceptions", "-DNAPI_VERSION=7", "-DNAPI_CPP_EXCEPTIONS", ...includes.map((dir) => `-I${dir}`)];
const jobs = Number(process.env.PAGODA_BUILD_JOBS) || Math.max(1, availableParallelism());
console.log(`build-native: compiling ${sources.length} files of node-llama-cpp ${nlcVersion}'s addon with ${jobs} job(s)`);
const objects = await compileAll(sources, flags, jobs);

mkdirSync(outDir, { recursive: true });
for (const entry of readdirSync(outDir)) rmSync(join(outDir, entry), { force: true });
const libraries = readdirSync(prebuiltDir).filter((name) => name.endsWith(".so"));
for (const library of libraries) symlinkSync(join(prebuiltDir, library), join(outDir, library));
const linked = ["libllama-common.so", ...libraries.filter((name) => /^lib(llama|ggml)\.v.*\.so$/.test(name)), "libggml-base.so"].map((name) => `-l:${name}`);
execFileSync(cxx, ["-shared", "-o", join(outDir, "llama-addon.node"), ...objects, `-L${outDir}`, ...linked, "-Wl,-rpath,$ORIGIN"], { stdio: "inherit" });
// pagoda's own one-function module: glibc's free heap pages back to the system after a model loads.
execFileSync(cxx, ["-x", "c", "-shared", "-fPIC", "-O2", `-I${nodeInclude}`, join(root, "scripts", "native", "heap-trim.c"), "-o", join(outDir, "heap-trim.node")], { stdio: "inherit" });
writeFileSync(join(outDir, "build.json"), JSON.stringify({ nodeLlamaCppVersion: nlcVersion, prebuiltDir, builtAt: new Date().toISOString(), options: ["kvUnified", "samplerDisposeFreesCandidates"] }, null, 2) + "\n");
rmSync(workDir, { recursive: true, force: true });
console.log(`build-native: wrote ${join(outDir, "llama-addon.node")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);

/** Replaces the hard-coded `kv_unified = false` with a `kvUnified` context option (default false, as before). */
function patchKvUnified(file) {
  const optionsStart = 'if (options.Has("contextSize")) {';
  const readOption = `if (options.Has("kvUnified")) {\n            context_params.kv_unified = options.Get("kvUnified").As<Napi::Boolean>().Value();\n        }\n\n        ${optionsStart}`;
  patchSource(file, "the kvUnified patch", optionsStart, readOption, ["context_params.kv_unified = false;"]);
}

/**
 * A sampler's dispose() frees its chain but keeps its candidates buffer (the
 * vocabulary's size: 1.8 MB on a 152k-token vocabulary) until V8 collects the
 * small JS object, which can be long after: pagoda makes a sampler per request,
 * so finished requests' buffers piled up (~29 MB after 16 requests). Free it
 * in dispose(); a disposed sampler refuses every call anyway.
 */
function patchSamplerDispose(file) {
  const disposeStart = "    disposed = true;\n\n    model->Unref();\n    freeChain();\n";
  patchSource(file, "the sampler dispose patch", disposeStart, `${disposeStart}    std::vector<llama_token_data>().swap(tokenCandidates);\n`);
}

/** Replaces `anchor` (which, like each of `mustOccurOnce`, must occur exactly once) or stops the build. */
function patchSource(file, what, anchor, replacement, mustOccurOnce = []) {
  const source = readFileSync(file, "utf8");
  if ([anchor, ...mustOccurOnce].some((text) => source.split(text).length !== 2)) {
    fail(`node-llama-cpp ${nlcVersion}'s ${file.split("/").pop()} changed; ${what} needs updating`);
  }
  writeFileSync(file, source.replace(anchor, replacement));
}

function listSources(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => path.endsWith(".cpp") && statSync(path).isFile());
}

async function compileAll(files, compileFlags, parallel) {
  const queue = [...files];
  const objects = [];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const object = file.replace(/\.cpp$/, ".o");
      await run(cxx, [...compileFlags, "-c", file, "-o", object]);
      objects.push(object);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return objects;
}

function run(command, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`${command} exited with ${code} on ${args.at(-3)}`))));
  });
}
