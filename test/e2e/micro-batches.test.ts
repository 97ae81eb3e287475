/**
 * A step of more than 512 tokens runs as several llama.cpp decodes (the
 * runner's micro-batches; a prompt cut between two of them, only its last
 * piece sampling). Against the same prompts prefilled in 128-token steps, the
 * prompt logprobs at every position and the first sampled token agree: no
 * piece ran out of order, at a wrong position or in another sequence.
 * llama.cpp's sums depend on the batch's shape (128 against 512 tokens moves
 * a logprob by up to ~0.01 here), so "agree" is within a tolerance that
 * logprobs one position out of line are shown to exceed.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { Mulberry32 } from "../../src/models/mulberry32.js";
import { startServer, type TestServer } from "./server-harness.js";

let wide: TestServer;
let narrow: TestServer;
// One fixed KV share per sequence: a sequence's sums do not depend on what runs beside it.
const fixedShares = ["--no-kv-pool"];
const common = ["--max-model-len", "2048", "--max-num-seqs", "6"];

before(async () => {
  [wide, narrow] = await Promise.all([startServer({ args: [...common, ...fixedShares] }), startServer({ args: [...common, ...fixedShares, "--max-num-batched-tokens", "128"] })]);
});

after(async () => {
  assert.equal(await wide?.stop(), 0);
  assert.equal(await narrow?.stop(), 0);
});

function promptOf(seed: number, length: number): number[] {
  const random = new Mulberry32(seed);
  return Array.from({ length }, () => 3 + Math.floor(random.next() * 200));
}

interface Scored {
  promptLogprobs: number[];
  firstToken: string;
  firstLogprob: number;
}

async function score(server: TestServer, prompt: number[]): Promise<Scored> {
  const client = server.client();
  const model = (await client.models.list()).data[0].id;
  const body = { model, prompt, max_tokens: 2, temperature: 0, logprobs: 1, prompt_logprobs: 0, ignore_eos: true };
  const { choices } = await client.completions.create(body as OpenAI.CompletionCreateParamsNonStreaming);
  const entries = (choices[0] as unknown as { prompt_logprobs: Array<Record<string, { logprob: number }> | null> }).prompt_logprobs;
  assert.equal(entries.length, prompt.length);
  return {
    promptLogprobs: entries.slice(1).map((entry, i) => entry![String(prompt[i + 1])].logprob),
    firstToken: choices[0].logprobs!.tokens![0],
    firstLogprob: choices[0].logprobs!.token_logprobs![0],
  };
}

const tolerance = 0.05;

function worstDifference(actual: Scored, expected: Scored, from = 0): number {
  assert.equal(actual.promptLogprobs.length, expected.promptLogprobs.length);
  return Math.max(...actual.promptLogprobs.slice(from).map((logprob, i) => Math.abs(logprob - expected.promptLogprobs[from + i])));
}

function assertClose(actual: Scored, expected: Scored, what: string): void {
  const worst = worstDifference(actual, expected);
  assert.ok(worst < tolerance, `${what}: prompt logprobs differ by up to ${worst}`);
  assert.ok(Math.abs(actual.firstLogprob - expected.firstLogprob) < tolerance, what);
}

test("the tolerance is tight enough: prompt logprobs one position out of line differ by more", async () => {
  const { promptLogprobs, firstToken, firstLogprob } = await score(narrow, promptOf(1, 700));
  const shifted = { promptLogprobs: [promptLogprobs.at(-1)!, ...promptLogprobs.slice(0, -1)], firstToken, firstLogprob };
  assert.ok(worstDifference(shifted, { promptLogprobs, firstToken, firstLogprob }) > 2 * tolerance);
});

test("a 1,300-token prompt in one step (three decodes of at most 512) scores as in eleven 128-token steps", async () => {
  const prompt = promptOf(1, 1300);
  assertClose(await score(wide, prompt), await score(narrow, prompt), "one long prompt");
});

test("five 300-token prompts sent together (one step, prompts cut between decodes) each score as alone", async () => {
  const prompts = [2, 3, 4, 5, 6].map((seed) => promptOf(seed, 300));
  const together = await Promise.all(prompts.map((prompt) => score(wide, prompt)));
  for (const [i, prompt] of prompts.entries()) assertClose(together[i], await score(narrow, prompt), `prompt ${i}`);
});
