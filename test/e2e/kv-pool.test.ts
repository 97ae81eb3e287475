/**
 * The shared KV pool end to end (issue 19), through the real server and the
 * openai client. Needs pagoda's unified-KV build of the native addon
 * (`npm run build:native`); without it the pool tests skip, saying so, and
 * the fallback test checks that the server serves as before.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { findUnifiedKvAddon } from "../../src/runner/native-addon.js";
import { startServer } from "./server-harness.js";

const addon = findUnifiedKvAddon();
const skip = "path" in addon ? false : `the unified-KV addon is ${addon.reason}`;
const poolTokens = 8192;

test("16 short conversations and a prompt longer than a sixteenth of the pool are all served at once", { skip }, async () => {
  const server = await startServer({ args: ["--max-model-len", "2048", "--max-num-seqs", "16", "--kv-cache-tokens", String(poolTokens)] });
  try {
    assert.match(server.output(), new RegExp(`KV cache:\\s+one pool of ${poolTokens} tokens`));
    const client = server.client();
    const model = (await client.models.list()).data[0].id;
    const longPrompt = Array.from({ length: 1500 }, (_, i) => 97 + (i % 26));
    assert.ok(longPrompt.length > poolTokens / 16);
    const conversations = Array.from({ length: 16 }, (_, i) =>
      client.chat.completions.create({
        model,
        messages: [{ role: "user", content: `Hello number ${i}, how are you?` }],
        max_tokens: 16,
        temperature: 0,
        ignore_eos: true,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming),
    );
    const long = client.completions.create({ model, prompt: longPrompt, max_tokens: 16, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    const [longResult, ...chats] = await Promise.all([long, ...conversations]);
    assert.equal(longResult.usage!.prompt_tokens, 1500);
    assert.equal(longResult.usage!.completion_tokens, 16);
    for (const chat of chats) assert.equal(chat.usage!.completion_tokens, 16);
    const metrics = await (await server.fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /vllm:kv_cache_usage_perc\{[^}]*\} 0\n/, "no running sequence: nothing held");
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("a prompt prefix one sequence left in the pool is a prefix-cache hit for the next, in another slot", { skip }, async () => {
  const server = await startServer({ args: ["--max-model-len", "2048", "--max-num-seqs", "4", "--kv-cache-tokens", "4096"] });
  try {
    const client = server.client();
    const model = (await client.models.list()).data[0].id;
    const system = Array.from({ length: 40 }, (_, i) => `fact ${i} is plain.`).join(" ");
    const ask = (question: string) =>
      client.chat.completions.create({ model, messages: [{ role: "system", content: system }, { role: "user", content: question }], max_tokens: 4, temperature: 0, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const first = await ask("What is the first fact?");
    // Two at once: at least one of them runs in a slot other than the first request's.
    const [second, third] = await Promise.all([ask("And the second?"), ask("And the third one?")]);
    assert.equal(first.usage!.prompt_tokens_details?.cached_tokens ?? 0, 0);
    for (const later of [second, third]) assert.ok((later.usage!.prompt_tokens_details?.cached_tokens ?? 0) > 500, JSON.stringify(later.usage));
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

// Greedy output identical after a preemption is tested with the fake runner
// (src/engine/kv-pool-engine.test.ts): on llama.cpp a shared pool is not batch
// invariant (see chat-completions.test.ts), so here every request must finish.
test("a pool too small for everything at once preempts and recomputes: every request finishes in full", { skip }, async () => {
  const server = await startServer({ args: ["--max-model-len", "1024", "--max-num-seqs", "4", "--kv-cache-tokens", "1024"] });
  try {
    const client = server.client();
    const model = (await client.models.list()).data[0].id;
    const prompts = Array.from({ length: 4 }, (_, i) => Array.from({ length: 100 }, (_, j) => 97 + ((i * 7 + j) % 26)));
    const ask = (prompt: number[]) => client.completions.create({ model, prompt, max_tokens: 300, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    const together = await Promise.all(prompts.map(ask));
    for (const r of together) {
      assert.equal(r.choices[0].finish_reason, "length");
      assert.equal(r.usage!.completion_tokens, 300);
    }
    const metrics = await (await server.fetch(`${server.url}/metrics`)).text();
    const preemptions = Number(/vllm:num_preemptions_total\{[^}]*\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(preemptions > 0, "4 x 400 tokens in a 1024-token pool must have preempted");
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

/** Starts a server, checks its start-up log, and serves one completion. */
async function servesWithFixedShares(options: Parameters<typeof startServer>[0], expectedLog: RegExp[]): Promise<void> {
  const server = await startServer(options);
  try {
    for (const line of expectedLog) assert.match(server.output(), line);
    const client = server.client();
    const model = (await client.models.list()).data[0].id;
    const r = await client.completions.create({ model, prompt: "hello", max_tokens: 4, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(r.usage!.completion_tokens, 4);
  } finally {
    assert.equal(await server.stop(), 0);
  }
}

test("without the unified-KV addon (PAGODA_NATIVE_ADDON=prebuilt) the server says so and serves with a fixed share per sequence", async () => {
  await servesWithFixedShares({ env: { PAGODA_NATIVE_ADDON: "prebuilt" }, args: ["--max-num-seqs", "2"] }, [
    /native addon: node-llama-cpp's prebuilt addon/,
    /KV cache:\s+2048 tokens reserved per sequence/,
  ]);
});

test("where every sequence fits at full length (the pool would be no smaller), each gets its fixed share and the banner says why", { skip }, async () => {
  await servesWithFixedShares({ args: ["--max-num-seqs", "2"] }, [
    /KV cache:\s+2048 tokens reserved per sequence, 4096 in all \(no shared pool: every sequence fits at full length/,
  ]);
});

test("--no-kv-pool gives each sequence a fixed share even where the pool could be had, and says so", async () => {
  await servesWithFixedShares({ args: ["--no-kv-pool", "--max-num-seqs", "2", "--kv-cache-tokens", "2048"] }, [
    /KV cache:\s+2048 tokens reserved per sequence, 4096 in all \(no shared pool: --no-kv-pool\)/,
  ]);
});
