import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureLlamaCppModels, llamaCppBundlePath, llamaCppVocabs } from "./llama-cpp-models.js";

test("unpacks llama.cpp's vocabularies and templates from node-llama-cpp's bundle once, into the cache", () => {
  assert.ok(existsSync(llamaCppBundlePath()), llamaCppBundlePath());
  const cacheDir = mkdtempSync(join(tmpdir(), "pagoda-llama-models-"));
  try {
    const models = ensureLlamaCppModels(cacheDir);
    assert.ok(models.dir.startsWith(cacheDir));
    for (const name of llamaCppVocabs) {
      for (const suffix of ["", ".inp", ".out"]) assert.ok(existsSync(join(models.dir, `ggml-vocab-${name}.gguf${suffix}`)), `${name}${suffix}`);
    }
    assert.ok(readdirSync(models.templatesDir).filter((name) => name.endsWith(".jinja")).length >= 70);
    const unpackedAt = statSync(models.dir).mtimeMs;
    assert.deepEqual(ensureLlamaCppModels(cacheDir), models);
    assert.equal(statSync(models.dir).mtimeMs, unpackedAt, "the second call reuses the files");
    assert.deepEqual(readdirSync(join(models.dir, "..", "..")).filter((name) => name.startsWith(".unpack-")), [], "no temp folder left");
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
