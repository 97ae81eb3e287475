#!/usr/bin/env node
// Bundles the web page (src/ui/main.tsx) with esbuild into dist/ui: index.html
// plus content-hashed assets, each with .gz and .br variants the server sends
// as they are. Prints the gzipped size (the README reports it).
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "ui");
const assetsDir = join(outDir, "assets");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });

const result = await build({
  entryPoints: { app: join(root, "src", "ui", "main.tsx") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir: assetsDir,
  metafile: true,
  legalComments: "external",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => join(root, path));
const script = outputs.find((path) => path.endsWith(".js"));
const style = outputs.find((path) => path.endsWith(".css"));
let gzippedTotal = 0;
for (const path of outputs) {
  const body = readFileSync(path);
  const gzipped = gzipSync(body, { level: 9 });
  gzippedTotal += gzipped.length;
  writeFileSync(`${path}.gz`, gzipped);
  writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
}

const html = readFileSync(join(root, "src", "ui", "index.html"), "utf8")
  .replace("%STYLE%", `assets/${basename(style)}`)
  .replace("%SCRIPT%", `assets/${basename(script)}`);
writeFileSync(join(outDir, "index.html"), html);
const htmlGzipped = gzipSync(html, { level: 9 }).length;
console.log(`web page: ${((gzippedTotal + htmlGzipped) / 1024).toFixed(1)} KB gzipped (dist/ui)`);
