import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { parseCheckArgs } from "./command.js";
import { groupNames } from "./probe.js";
import { allProbes } from "./probes/index.js";

test("defaults: local vLLM-style URL, every group, 120 s timeout, 2 at a time, text; OPENAI_API_KEY as the key", () => {
  const config = parseCheckArgs([], { OPENAI_API_KEY: "sk-env" });
  assert.deepEqual(config, { baseUrl: "http://127.0.0.1:8000/v1", apiKey: "sk-env", model: null, embeddingModel: null, groups: [...groupNames], timeoutMs: 120_000, concurrency: 2, format: "text" });
});

test("flags: --only lists (comma or repeated), --json, '/v1' added to a bare URL", () => {
  const config = parseCheckArgs(["--base-url", "http://h:8080", "--only", "tools,errors", "--only", "auth", "--json", "--timeout", "5", "--concurrency", "1", "--model", "m"], {});
  assert.equal(config.baseUrl, "http://h:8080/v1");
  assert.deepEqual(config.groups, ["tools", "errors", "auth"]);
  assert.equal(config.format, "json");
  assert.equal(config.timeoutMs, 5000);
  assert.equal(config.model, "m");
});

test("bad flags are usage errors", () => {
  assert.throws(() => parseCheckArgs(["--only", "nope"], {}), UsageError);
  assert.throws(() => parseCheckArgs(["--json", "--markdown"], {}), UsageError);
  assert.throws(() => parseCheckArgs(["--concurrency", "0"], {}), UsageError);
  assert.throws(() => parseCheckArgs(["--bogus"], {}), UsageError);
});

test("every probe has a unique id, a known group, a description and an https doc link", () => {
  assert.equal(new Set(allProbes.map((probe) => probe.id)).size, allProbes.length);
  for (const probe of allProbes) {
    assert.ok((groupNames as readonly string[]).includes(probe.group), probe.id);
    assert.ok(probe.description.length > 10, probe.id);
    assert.match(probe.doc, /^https:\/\//, probe.id);
  }
});
