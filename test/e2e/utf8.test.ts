/**
 * The tiny models emit arbitrary bytes, so their output is full of multi-byte
 * characters split across tokens and of invalid UTF-8. Streaming must not cut
 * a character differently from the whole response: every delta is well-formed
 * UTF-16, and the deltas joined equal the non-streamed text, for greedy and
 * seeded sampling, on chat and completions.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { useServer, type TestServer } from "./server-harness.js";

let server: TestServer;
let client: OpenAI;
let model: string;

// A seeded request run twice must give the same text: with a fixed KV share per
// sequence. In the shared pool a prefix-cache hit puts the same tokens in other
// cells and llama.cpp sums them in another order (README, "Long contexts").
useServer({ args: ["--no-kv-pool", "--max-model-len", "512"] }, (served) => ({ server, client, model } = served));

const multiByte = "日本語 𝄞 é";
const prompts = [multiByte, "Write some emoji: 😀🎉 and accents: àéîõü", "Plain ASCII text, nothing special.", "Ελληνικά και русский текст"];
const samplings: Array<{ temperature: number; seed?: number }> = [{ temperature: 0 }, { temperature: 1, seed: 1 }, { temperature: 1, seed: 2 }, { temperature: 1.5, seed: 3 }];
const maxTokens = 64;

/** Index of the first unpaired surrogate, or -1. */
function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
  }
  return -1;
}

function assertWellFormed(text: string, what: string): void {
  const at = firstLoneSurrogate(text);
  assert.equal(at, -1, `${what} has a lone surrogate at ${at}: ${JSON.stringify(text)}`);
}

/** Characters that can only have come from several byte tokens joined: non-ASCII and not U+FFFD. */
const assembledChars = (text: string) => [...text].filter((c) => c.codePointAt(0)! > 0x7f && c !== "\ufffd");

/** Streams over raw fetch, checking the bytes are strict UTF-8 and no frame escapes a lone surrogate. */
async function streamRaw(path: string, body: Record<string, unknown>): Promise<{ deltas: string[]; finish: string | null }> {
  const response = await fetch(`${server.baseURL}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  assert.equal(response.status, 200);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const frames = text.split("\n\n").filter((f) => f.startsWith("data: ")).map((f) => f.slice(6));
  assert.equal(frames[frames.length - 1], "[DONE]");
  const deltas: string[] = [];
  let finish: string | null = null;
  for (const frame of frames.slice(0, -1)) {
    assert.doesNotMatch(frame, /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i, `a frame escapes a lone high surrogate: ${frame}`);
    const chunk = JSON.parse(frame) as { choices: Array<{ delta?: { content?: string }; text?: string; finish_reason: string | null }> };
    for (const choice of chunk.choices) {
      const piece = choice.delta?.content ?? choice.text ?? "";
      deltas.push(piece);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  return { deltas, finish };
}

function checkDeltas(deltas: string[], what: string): void {
  for (const [i, delta] of deltas.entries()) {
    assertWellFormed(delta, `${what} delta ${i}`);
    if (delta.length === 0) continue;
    const last = delta.charCodeAt(delta.length - 1);
    assert.ok(!(last >= 0xd800 && last <= 0xdbff), `${what} delta ${i} ends in a high surrogate`);
    const first = delta.charCodeAt(0);
    assert.ok(!(first >= 0xdc00 && first <= 0xdfff), `${what} delta ${i} starts with a low surrogate`);
  }
}

test("chat: streamed deltas are well-formed and join to the non-streamed content", async (t) => {
  let numAssembled = 0;
  for (const content of prompts) {
    for (const sampling of samplings) {
      const body = { model, messages: [{ role: "user", content }], max_tokens: maxTokens, ...sampling };
      const what = `chat ${JSON.stringify(content)} ${JSON.stringify(sampling)}`;
      const whole = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
      const wholeText = whole.choices[0].message.content ?? "";
      assertWellFormed(wholeText, what);
      const { deltas, finish } = await streamRaw("/chat/completions", body);
      checkDeltas(deltas, what);
      assert.equal(deltas.join(""), wholeText, what);
      assert.equal(finish, whole.choices[0].finish_reason, what);
      numAssembled += assembledChars(wholeText).length;
    }
  }
  t.diagnostic(`${numAssembled} multi-byte characters assembled from byte tokens`);
  assert.ok(numAssembled > 0, "no output had a multi-byte character: the test exercised nothing");
});

test("chat through the openai client: no delta ends in a lone high surrogate", async () => {
  for (const content of prompts) {
    for (const sampling of samplings) {
      const what = `chat ${JSON.stringify(content)} ${JSON.stringify(sampling)}`;
      const stream = await client.chat.completions.create({ model, messages: [{ role: "user", content }], max_tokens: maxTokens, stream: true, ...sampling });
      const deltas: string[] = [];
      for await (const chunk of stream) for (const choice of chunk.choices) deltas.push(choice.delta.content ?? "");
      checkDeltas(deltas, what);
    }
  }
});

test("completions: streamed text is well-formed and joins to the non-streamed text", async () => {
  let numAssembled = 0;
  for (const prompt of prompts) {
    for (const sampling of samplings) {
      const body = { model, prompt, max_tokens: maxTokens, ...sampling };
      const what = `completion ${JSON.stringify(prompt)} ${JSON.stringify(sampling)}`;
      const whole = await client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
      const wholeText = whole.choices[0].text;
      assertWellFormed(wholeText, what);
      const { deltas, finish } = await streamRaw("/completions", body);
      checkDeltas(deltas, what);
      assert.equal(deltas.join(""), wholeText, what);
      assert.equal(finish, whole.choices[0].finish_reason, what);
      numAssembled += assembledChars(wholeText).length;
    }
  }
  assert.ok(numAssembled > 0, "no output had a multi-byte character: the test exercised nothing");
});

test("n=3 seeded streams: each choice's deltas join to its non-streamed text", async () => {
  for (const seed of [11, 12, 13, 14]) {
    const body = { model, prompt: multiByte, max_tokens: maxTokens, temperature: 1, seed, n: 3 };
    const whole = await client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(whole.choices.length, 3);
    const streamed = new Map<number, string[]>();
    for await (const chunk of await client.completions.create({ ...body, stream: true } as OpenAI.CompletionCreateParamsStreaming)) {
      for (const choice of chunk.choices) streamed.set(choice.index, [...(streamed.get(choice.index) ?? []), choice.text]);
    }
    for (const choice of whole.choices) {
      const deltas = streamed.get(choice.index) ?? [];
      checkDeltas(deltas, `seed ${seed} choice ${choice.index}`);
      assert.equal(deltas.join(""), choice.text, `seed ${seed} choice ${choice.index}`);
    }
  }
});

test("a multi-byte prompt costs one token per UTF-8 byte in the byte-level vocab", async () => {
  const numBytes = Buffer.byteLength(multiByte, "utf8");
  assert.equal(numBytes, 17);
  const completion = await client.completions.create({ model, prompt: multiByte, max_tokens: 1 });
  assert.equal(completion.usage!.prompt_tokens, numBytes);
  const asIds = await client.completions.create({ model, prompt: [...Buffer.from(multiByte, "utf8")], max_tokens: 1 });
  assert.equal(asIds.usage!.prompt_tokens, numBytes);

  const chatTokens = async (content: string) =>
    (await client.chat.completions.create({ model, messages: [{ role: "user", content }], max_tokens: 1 })).usage!.prompt_tokens;
  const empty = await chatTokens("");
  const withText = await chatTokens(multiByte);
  assert.equal(withText - empty, numBytes, `chat prompt_tokens ${withText} vs ${empty} with empty content`);
});

test("greedy output for a multi-byte prompt equals the same prompt given as its byte token ids", async () => {
  const asText = await client.completions.create({ model, prompt: multiByte, max_tokens: 32, temperature: 0 });
  const asIds = await client.completions.create({ model, prompt: [...Buffer.from(multiByte, "utf8")], max_tokens: 32, temperature: 0 });
  assert.equal(asIds.choices[0].text, asText.choices[0].text);
});
