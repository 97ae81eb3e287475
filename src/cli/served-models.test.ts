import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { parseServeArgs } from "./serve-config.js";
import { servedModelSpecs } from "./served-models.js";

const specsOf = (args: string[], configText: string | null = null, env: NodeJS.ProcessEnv = {}) =>
  servedModelSpecs(parseServeArgs(args, env), configText);

test("no --model serves the built-in model; one --model keeps today's flags", () => {
  const [builtin] = specsOf([]);
  assert.equal(builtin.source, null);
  assert.deepEqual(builtin.names, ["pagoda-builtin"]);
  const [one, ...rest] = specsOf(["--model", "/m/qwen.gguf", "--served-model-name", "a", "b", "--max-model-len", "256", "--threads", "3"]);
  assert.deepEqual(rest, []);
  assert.equal(one.source, "/m/qwen.gguf");
  assert.deepEqual(one.names, ["a", "b"]);
  assert.equal(one.maxModelLen, 256);
  assert.equal(one.threads, 3);
  assert.deepEqual(specsOf(["--model", "/m/qwen.gguf"])[0].names, ["qwen"]);
  assert.equal(specsOf([], null, { PAGODA_MODEL: "/m/with space.gguf" })[0].source, "/m/with space.gguf");
});

test("--model repeats, as PATH or NAME=PATH; a path with a slash before '=' stays a path", () => {
  const specs = specsOf(["--model", "/m/a.gguf", "--model", "b=/m/b.gguf", "--model=./x=y.gguf", "--served-model-name", "first"]);
  assert.deepEqual(
    specs.map((spec) => [spec.source, spec.names]),
    [
      ["/m/a.gguf", ["first"]],
      ["/m/b.gguf", ["b"]],
      ["./x=y.gguf", ["x=y"]],
    ],
  );
  assert.throws(() => specsOf(["--model", "a=/m/a.gguf", "--served-model-name", "x"]), /already named 'a'/);
  assert.throws(() => specsOf(["--model", "a=/m/a.gguf", "--model", "a=/m/b.gguf"]), /'a' is served twice/);
});

test("--lora-modules attaches NAME=PATH adapters to the first model", () => {
  const [base] = specsOf(["--model", "/m/a.gguf", "--lora-modules", "sql=/l/sql.gguf", "chat=/l/chat.gguf"]);
  assert.deepEqual(base.loraModules, [
    { name: "sql", path: "/l/sql.gguf" },
    { name: "chat", path: "/l/chat.gguf" },
  ]);
  assert.throws(() => specsOf(["--lora-modules", "/l/sql.gguf"]), UsageError);
  assert.throws(() => specsOf(["--model", "/m/a.gguf", "--lora-modules", "a=/l/sql.gguf"]), /served twice/);
});

test("--config: models with aliases and their own settings, defaults from the flags, errors naming the field", () => {
  const text = JSON.stringify({
    models: [
      { model: "/m/a.gguf", "served-model-name": ["a", "a-alias"], "max-model-len": 512, threads: 2, "lora-modules": { sql: "/l/sql.gguf" } },
      { model: "/m/b.gguf" },
    ],
  });
  const specs = specsOf(["--config", "models.json", "--max-num-seqs", "4"], text);
  assert.deepEqual(specs.map((spec) => spec.names), [["a", "a-alias"], ["b"]]);
  assert.equal(specs[0].maxModelLen, 512);
  assert.equal(specs[0].threads, 2);
  assert.equal(specs[1].maxModelLen, null);
  assert.deepEqual(specs.map((spec) => spec.maxNumSeqs), [4, 4]);
  assert.deepEqual(specs[0].loraModules, [{ name: "sql", path: "/l/sql.gguf" }]);
  assert.throws(() => specsOf(["--config", "m.json"], "{"), /m.json is not valid JSON/);
  assert.throws(() => specsOf(["--config", "m.json"], JSON.stringify({ models: [{ model: "/a", "max-model-len": -1 }] })), /models\.0\.max-model-len/);
  assert.throws(() => specsOf(["--config", "m.json"], JSON.stringify({ models: [{ model: "/a", contxt: 1 }] })), UsageError);
});

test("--config: relative paths resolve against the file's folder; absolute paths, ~ and hub names stay as written", () => {
  const text = JSON.stringify({
    models: [
      { model: "a.gguf", "chat-template": "templates/a.jinja", "lora-modules": ["sql=../loras/sql.gguf"] },
      { model: "/m/b.gguf", "chat-template": "~/c.jinja" },
      { model: "hf:org/repo:Q4_K_M", "served-model-name": "c" },
    ],
  });
  const specs = specsOf(["--config", "/etc/pagoda/models.json"], text);
  assert.equal(specs[0].source, "/etc/pagoda/a.gguf");
  assert.equal(specs[0].chatTemplate, "/etc/pagoda/templates/a.jinja");
  assert.deepEqual(specs[0].loraModules, [{ name: "sql", path: "/etc/loras/sql.gguf" }]);
  assert.equal(specs[1].source, "/m/b.gguf");
  assert.equal(specs[1].chatTemplate, "~/c.jinja");
  assert.equal(specs[2].source, "hf:org/repo:Q4_K_M");
});
