import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { discoverLocalModels } from "./local-model-discovery.js";

let home: string;
const gguf = Buffer.concat([Buffer.from("GGUF"), Buffer.alloc(60)]);

before(async () => {
  home = await mkdtemp(join(tmpdir(), "pagoda-discover-"));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

async function put(path: string, content: Buffer | string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

test("finds Ollama, LM Studio and Hugging Face cache GGUFs, skipping non-GGUF blobs, projectors and later split parts", async () => {
  const ollama = join(home, ".ollama", "models");
  const manifest = (digest: string) => JSON.stringify({ layers: [{ mediaType: "application/vnd.ollama.image.license", digest: "sha256:lic" }, { mediaType: "application/vnd.ollama.image.model", digest }] });
  await put(join(ollama, "blobs", "sha256-aaa"), gguf);
  await put(join(ollama, "blobs", "sha256-bbb"), "not a gguf");
  await put(join(ollama, "manifests", "registry.ollama.ai", "library", "llama3.2", "1b"), manifest("sha256:aaa"));
  await put(join(ollama, "manifests", "registry.ollama.ai", "someone", "thing", "latest"), manifest("sha256:aaa"));
  await put(join(ollama, "manifests", "hf.co", "org", "repo-GGUF", "Q4_K_M"), manifest("sha256:bbb"));
  const systemOllama = join(home, "system-ollama");
  await put(join(systemOllama, "blobs", "sha256-ccc"), gguf);
  await put(join(systemOllama, "manifests", "registry.ollama.ai", "library", "qwen", "latest"), manifest("sha256:ccc"));

  await put(join(home, ".cache", "lm-studio", "models", "pub", "repo", "m-Q4_K_M.gguf"), gguf);
  await put(join(home, ".cache", "lm-studio", "models", "pub", "repo", "mmproj-f16.gguf"), gguf);
  await put(join(home, ".lmstudio", "models", "pub", "big", "b-00001-of-00002.gguf"), gguf);
  await put(join(home, ".lmstudio", "models", "pub", "big", "b-00002-of-00002.gguf"), gguf);

  const hfHome = join(home, "hf");
  const repo = join(hfHome, "hub", "models--org--m-GGUF");
  await put(join(repo, "blobs", "deadbeef"), gguf);
  await mkdir(join(repo, "snapshots", "rev1", "sub"), { recursive: true });
  await symlink(join("..", "..", "..", "blobs", "deadbeef"), join(repo, "snapshots", "rev1", "sub", "m-Q8_0.gguf"));

  const found = await discoverLocalModels({ home, env: { HF_HOME: hfHome }, systemOllamaDir: systemOllama });
  assert.deepEqual(
    found.map(({ tool, name, path }) => ({ tool, name, path: path.slice(home.length) })),
    [
      { tool: "ollama", name: "llama3.2:1b", path: "/.ollama/models/blobs/sha256-aaa" },
      { tool: "ollama", name: "qwen:latest", path: "/system-ollama/blobs/sha256-ccc" },
      { tool: "lmstudio", name: "pub/big/b-00001-of-00002.gguf", path: "/.lmstudio/models/pub/big/b-00001-of-00002.gguf" },
      { tool: "lmstudio", name: "pub/repo/m-Q4_K_M.gguf", path: "/.cache/lm-studio/models/pub/repo/m-Q4_K_M.gguf" },
      { tool: "huggingface", name: "hf:org/m-GGUF/sub/m-Q8_0.gguf", path: "/hf/hub/models--org--m-GGUF/snapshots/rev1/sub/m-Q8_0.gguf" },
    ],
  );
  assert.equal(found[0].size, gguf.length);
});

test("an empty home finds nothing", async () => {
  const empty = await mkdtemp(join(tmpdir(), "pagoda-discover-empty-"));
  try {
    assert.deepEqual(await discoverLocalModels({ home: empty, env: {}, systemOllamaDir: join(empty, "none") }), []);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
