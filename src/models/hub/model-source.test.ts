import assert from "node:assert/strict";
import { test } from "node:test";
import { describeModelSource, ModelSpecError, parseModelSource } from "./model-source.js";

const noFiles = () => false;

test("each --model form is recognised", () => {
  const cases: [string, ReturnType<typeof parseModelSource>][] = [
    ["./models/a.gguf", { kind: "path", path: "./models/a.gguf" }],
    ["/abs/b.gguf", { kind: "path", path: "/abs/b.gguf" }],
    ["a.GGUF", { kind: "path", path: "a.GGUF" }],
    ["hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf", { kind: "hf-file", repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF", file: "qwen2.5-0.5b-instruct-q4_k_m.gguf" }],
    ["hf:org/repo/sub/dir/x-Q8_0.gguf", { kind: "hf-file", repo: "org/repo", file: "sub/dir/x-Q8_0.gguf" }],
    ["hf:org/repo:Q4_K_M", { kind: "hf-quant", repo: "org/repo", quant: "Q4_K_M" }],
    ["hf:org/repo:q8_0", { kind: "hf-quant", repo: "org/repo", quant: "q8_0" }],
    ["org/repo:Q4_K_M", { kind: "hf-quant", repo: "org/repo", quant: "Q4_K_M" }],
    ["hf:org/repo", { kind: "hf-repo", repo: "org/repo" }],
    ["bartowski/Llama-3.2-1B-Instruct-GGUF", { kind: "hf-repo", repo: "bartowski/Llama-3.2-1B-Instruct-GGUF" }],
    ["https://example.com/m/x.gguf?download=true", { kind: "url", url: "https://example.com/m/x.gguf?download=true" }],
    ["http://127.0.0.1:9/x.gguf", { kind: "url", url: "http://127.0.0.1:9/x.gguf" }],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(parseModelSource(spec, noFiles), expected, spec);
});

test("ORG/REPO is a relative path when such a file exists", () => {
  assert.deepEqual(parseModelSource("models/tiny", (path) => path === "models/tiny"), { kind: "path", path: "models/tiny" });
});

test("malformed hf: values are a usage error naming the forms", () => {
  assert.throws(() => parseModelSource("hf:justone", noFiles), ModelSpecError);
  assert.throws(() => parseModelSource("hf:org/repo/../../etc/x.gguf", noFiles), /hf:ORG\/REPO:QUANT/);
  assert.throws(() => parseModelSource("  ", noFiles), /empty/);
});

test("the canonical name round-trips", () => {
  for (const spec of ["hf:org/repo/x.gguf", "hf:org/repo:Q4_K_M", "hf:org/repo", "https://h/x.gguf", "./a.gguf"]) {
    assert.equal(describeModelSource(parseModelSource(spec, noFiles)), spec);
  }
});
