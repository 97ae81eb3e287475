/** Production code never imports the test helpers: an installed package ships without them. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./paths.js";

test("no production module under src/ imports src/testing", () => {
  const src = join(repoRoot, "src");
  const offenders = readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && !file.startsWith("testing"))
    .filter((file) => /from\s+["'][^"']*\/testing\//.test(readFileSync(join(src, file), "utf8")))
    .map((file) => relative(repoRoot, join(src, file)));
  assert.deepEqual(offenders, []);
});
