import assert from "node:assert/strict";
import { test } from "node:test";
import { EngineFault, GrammarDeadEnd, QueueFull } from "../domain-errors.js";
import { Engine } from "./engine.js";
import type { RequestTimings } from "./types.js";
import { RequestHandle } from "../request-handle.js";
import { FakeRunner, fakeEos } from "./fake-runner.js";
import { OutputStream } from "./output-stream.js";
import { collect, greedy, ids, setup } from "./engine-test-kit.js";

test("generates until max_tokens and reports usage", async () => {
  const { engine } = setup();
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("xyz"), params: greedy }));
  assert.deepEqual(result.texts, ["abcde"]);
  assert.deepEqual(result.finishReasons, ["length"]);
  assert.equal(result.last.numPromptTokens, 3);
  assert.equal(result.last.numCompletionTokens, 5);
  await engine.stop();
});

test("EOS ends with stop and no text; ignore_eos runs on to max_tokens", async () => {
  const next = (tokens: readonly number[]) => (tokens.length >= 5 ? fakeEos : 107);
  const { engine } = setup({ next });
  const stopped = await collect(engine.generate({ requestId: "a", promptTokens: ids("abc"), params: greedy }));
  assert.deepEqual(stopped.texts, ["kk"]);
  assert.deepEqual(stopped.finishReasons, ["stop"]);
  assert.deepEqual(stopped.stopReasons, [null]);
  const ignored = await collect(engine.generate({ requestId: "b", promptTokens: ids("abc"), params: { ...greedy, ignoreEos: true } }));
  assert.deepEqual(ignored.finishReasons, ["length"]);
  assert.equal(ignored.last.numCompletionTokens, 5);
  await engine.stop();
});

test("a stop string ends the choice and never reaches the output", async () => {
  const { engine } = setup();
  const params = { ...greedy, maxTokens: 20, stop: ["def"] };
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params }));
  assert.deepEqual(result.texts, ["abc"]);
  assert.deepEqual(result.stopReasons, ["def"]);
  const included = await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: { ...params, includeStopStringInOutput: true } }));
  assert.deepEqual(included.texts, ["abcdef"]);
  await engine.stop();
});

test("stop_token_ids end the choice with the token as stop_reason", async () => {
  const { engine } = setup();
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, stopTokenIds: [99] } }));
  assert.deepEqual(result.texts, ["ab"]);
  assert.deepEqual(result.stopReasons, [99]);
  await engine.stop();
});

const numFedTokens = (runner: FakeRunner) => runner.batches.flat().reduce((sum, item) => sum + item.tokens.length, 0);

test("n > 1 computes the prompt once and copies its KV to the other choices", async () => {
  const { engine, runner } = setup();
  const prompt = ids("p".repeat(60));
  await collect(engine.generate({ requestId: "a", promptTokens: prompt, params: { ...greedy, n: 3 } }));
  assert.equal(runner.copies.length, 2);
  assert.equal(numFedTokens(runner), 60 + 1 + 1 + 3 * 4, "prompt once, the last prompt token per copy, 4 decode steps per choice");
  await engine.stop();
});

test("a burst of users with one system prompt computes it once", async () => {
  const { engine, runner } = setup({ numSlots: 4 }, { maxNumBatchedTokens: 32 });
  const system = "s".repeat(100);
  const results = await Promise.all(
    ["w", "x", "y", "z"].map((user) => collect(engine.generate({ requestId: user, promptTokens: ids(system + user), params: greedy }))),
  );
  // The others wait while the first prefills in 32-token chunks, until what is
  // left to share is under minTokensWorthWaitingFor; then they copy 96 tokens.
  assert.deepEqual(results.map((r) => r.last.numCachedPromptTokens), [0, 96, 96, 96]);
  assert.equal(numFedTokens(runner), 101 + 3 * 5 + 4 * 4);
  await engine.stop();
});

test("preempting nothing: outputs are identical with and without prefix reuse", async () => {
  const prompts = ["shared prefix one", "shared prefix two", "shared prefix one"].map(ids);
  const run = async (enablePrefixCaching: boolean) => {
    const { engine } = setup({ numSlots: 2 }, { enablePrefixCaching });
    const texts = [];
    for (const [i, promptTokens] of prompts.entries()) texts.push((await collect(engine.generate({ requestId: `r${i}`, promptTokens, params: greedy }))).texts[0]);
    await engine.stop();
    return texts;
  };
  assert.deepEqual(await run(true), await run(false));
});

test("n choices each get their own slot and output", async () => {
  const { engine, runner } = setup();
  const result = await collect(engine.generate({ requestId: "a", promptTokens: ids("xyz"), params: { ...greedy, n: 3 } }));
  assert.deepEqual(result.texts, ["abcde", "abcde", "abcde"]);
  assert.equal(result.last.numCompletionTokens, 15);
  assert.equal(runner.liveSamplers, 0, "samplers are disposed");
  await engine.stop();
});

test("every step stays within the token budget, and long prompts are chunked while others decode", async () => {
  const { engine, runner } = setup({}, { maxNumBatchedTokens: 8 });
  const short = collect(engine.generate({ requestId: "short", promptTokens: ids("ab"), params: { ...greedy, maxTokens: 12 } }));
  const long = collect(engine.generate({ requestId: "long", promptTokens: ids("q".repeat(30)), params: greedy }));
  const [shortResult, longResult] = await Promise.all([short, long]);
  assert.equal(shortResult.texts[0], "cdefghijklmn");
  assert.equal(longResult.texts[0], "rstuv");
  for (const batch of runner.batches) {
    assert.ok(batch.reduce((sum, item) => sum + item.tokens.length, 0) <= 8);
  }
  const prefillSteps = runner.batches.filter((batch) => batch.some((item) => item.tokens.length > 1));
  assert.ok(prefillSteps.length >= 4, "the 30-token prompt took several steps");
  const shortSlot = runner.batches[0][0].slotId;
  for (const batch of prefillSteps.slice(1)) {
    assert.ok(batch.some((item) => item.slotId === shortSlot && item.tokens.length === 1), "the short request decoded during the long prefill");
  }
  await engine.stop();
});

test("batches are ordered by slot id", async () => {
  const { engine, runner } = setup();
  await Promise.all(["a", "b", "c"].map((id) => collect(engine.generate({ requestId: id, promptTokens: ids("x" + id), params: greedy }))));
  for (const batch of runner.batches) {
    const slots = batch.map((item) => item.slotId);
    assert.deepEqual(slots, [...slots].sort((x, y) => x - y));
  }
  await engine.stop();
});

test("a shared prefix is reused from a released slot and reported as cached", async () => {
  const { engine, runner } = setup({ numSlots: 2 });
  const system = "s".repeat(20);
  const first = await collect(engine.generate({ requestId: "a", promptTokens: ids(system + "one"), params: greedy }));
  assert.equal(first.last.numCachedPromptTokens, 0);
  const fedBefore = runner.batches.flat().reduce((sum, item) => sum + item.tokens.length, 0);
  const second = await collect(engine.generate({ requestId: "b", promptTokens: ids(system + "two"), params: greedy }));
  assert.equal(second.last.numCachedPromptTokens, 20);
  const fedForSecond = runner.batches.flat().reduce((sum, item) => sum + item.tokens.length, 0) - fedBefore;
  assert.equal(fedForSecond, 3 + 4, "only the suffix and the decode steps are computed");
  assert.deepEqual(first.texts, ["fghij"]);
  assert.deepEqual(second.texts, ["pqrst"]);
  const stats = engine.stats();
  assert.equal(stats.prefixCacheHitTokens, 20);
  assert.equal(stats.prefixCacheQueriedTokens, 46);
  await engine.stop();
});

test("an identical prompt recomputes its last token to get logits", async () => {
  const { engine } = setup({ numSlots: 1 });
  await collect(engine.generate({ requestId: "a", promptTokens: ids("hello"), params: greedy }));
  const again = await collect(engine.generate({ requestId: "b", promptTokens: ids("hello"), params: greedy }));
  assert.equal(again.last.numCachedPromptTokens, 4);
  await engine.stop();
});

test("requests beyond the slots wait, then run; none starve", async () => {
  const { engine } = setup({ numSlots: 2 });
  const results = await Promise.all(
    Array.from({ length: 7 }, (_, i) => collect(engine.generate({ requestId: `r${i}`, promptTokens: ids("y"), params: greedy }))),
  );
  for (const result of results) assert.deepEqual(result.texts, ["zabcd"]);
  assert.equal(engine.stats().numSlotsInUse, 0);
  await engine.stop();
});

test("cancelling the output stream finishes the request with 'abort' and frees its slot", async () => {
  const { engine, runner } = setup({ numSlots: 1 });
  const outputs = engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, maxTokens: 200 } });
  let seen = 0;
  let finish: string | null = null;
  for await (const output of outputs) {
    seen++;
    if (seen === 3) outputs.cancel();
    finish = output.choices[0].finishReason ?? finish;
  }
  assert.equal(finish, "abort");
  assert.equal(engine.stats().numSlotsInUse, 0);
  assert.equal(runner.liveSamplers, 0);
  const next = await collect(engine.generate({ requestId: "b", promptTokens: ids("m"), params: greedy }));
  assert.deepEqual(next.texts, ["nopqr"], "the slot serves the next request normally");
  await engine.stop();
});

test("the queue bound rejects with 503", () => {
  const { engine } = setup({ numSlots: 1 }, { maxWaitingRequests: 1 });
  engine.generate({ requestId: "a", promptTokens: ids("a"), params: greedy });
  engine.generate({ requestId: "b", promptTokens: ids("a"), params: greedy });
  assert.throws(() => engine.generate({ requestId: "c", promptTokens: ids("a"), params: greedy }), QueueFull);
  void engine.stop();
});

test("a failed forward pass fails its requests with a 500 and the engine goes on", async () => {
  const runner = new FakeRunner();
  let shouldFail = true;
  const execute = runner.execute.bind(runner);
  runner.execute = async (items) => {
    if (shouldFail) {
      shouldFail = false;
      throw new Error("boom");
    }
    return execute(items);
  };
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 10, enablePrefixCaching: true });
  await assert.rejects(collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: greedy })), EngineFault);
  const result = await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: greedy }));
  assert.deepEqual(result.texts, ["abcde"]);
  await engine.stop();
});

test("a sequence whose sampling fails fails its own request only; the batch's others go on", async () => {
  const runner = new FakeRunner();
  const execute = runner.execute.bind(runner);
  let failedOnce = false;
  // The request whose prompt is "q" fails its first sampling with a domain error (the request's answer).
  runner.execute = async (items) => {
    const results = await execute(items);
    return results.map((result, i) => {
      if (failedOnce || items[i].sample === undefined || items[i].tokens[0] !== ids("q")[0]) return result;
      failedOnce = true;
      return { error: new GrammarDeadEnd() };
    });
  };
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 10, enablePrefixCaching: false });
  const failing = collect(engine.generate({ requestId: "bad", promptTokens: ids("q"), params: greedy }));
  const fine = collect(engine.generate({ requestId: "good", promptTokens: ids("z"), params: greedy }));
  await assert.rejects(failing, GrammarDeadEnd);
  assert.deepEqual((await fine).texts, ["abcde"]);
  assert.ok(runner.batches.some((batch) => batch.length === 2), "both requests were in one batch");
  await engine.stop();
});

test("the priority policy runs lower priority values first, then by arrival", async () => {
  const { engine } = setup({ numSlots: 1 }, { schedulingPolicy: "priority" });
  const finished: string[] = [];
  const submit = (requestId: string, priority: number) =>
    collect(engine.generate({ requestId, promptTokens: ids("a"), params: greedy, priority })).then(() => finished.push(requestId));
  await Promise.all([submit("first", 0), submit("low", 5), submit("high", -1), submit("mid", 0)]);
  // All four are queued before the loop runs: order is priority, then arrival.
  assert.deepEqual(finished, ["high", "first", "mid", "low"]);
  await engine.stop();
});

test("FCFS ignores priority", async () => {
  const { engine } = setup({ numSlots: 1 });
  const finished: string[] = [];
  const submit = (requestId: string, priority: number) =>
    collect(engine.generate({ requestId, promptTokens: ids("a"), params: greedy, priority })).then(() => finished.push(requestId));
  await Promise.all([submit("first", 0), submit("low", 5), submit("high", -1)]);
  assert.deepEqual(finished, ["first", "low", "high"]);
  await engine.stop();
});

test("per-request timings: queue time, TTFT, inter-token latencies, end to end", async () => {
  const runner = new FakeRunner({ numSlots: 1 });
  const timings: RequestTimings[] = [];
  const engine = new Engine(runner, {
    maxNumBatchedTokens: 64,
    maxWaitingRequests: 10,
    enablePrefixCaching: true,
    now: () => runner.elapsedMs,
    onRequestFinished: (t) => timings.push(t),
  });
  await Promise.all(["a", "b"].map((requestId) => collect(engine.generate({ requestId, promptTokens: ids("xyz"), params: greedy }))));
  const [a, b] = timings;
  assert.equal(a.requestId, "a");
  assert.deepEqual(
    { queue: a.queueTimeMs, ttft: a.timeToFirstTokenMs, itl: a.interTokenLatenciesMs, e2e: a.endToEndMs, tokens: a.numGenerationTokens, finish: a.finishReason },
    { queue: 0, ttft: 10, itl: [10, 10, 10, 10], e2e: 50, tokens: 5, finish: "length" },
  );
  assert.equal(b.queueTimeMs, 50, "b waited for a's slot");
  assert.equal(b.timeToFirstTokenMs, 60);
  assert.equal(b.numCachedPromptTokens, 2);
  await engine.stop();
});

test("a failed KV copy fails its request with a 500 and the engine goes on", async () => {
  const { engine, runner } = setup();
  const copy = runner.copySlotPrefix.bind(runner);
  let shouldFail = true;
  runner.copySlotPrefix = async (...args) => {
    if (!shouldFail) return copy(...args);
    shouldFail = false;
    throw new Error("copy failed");
  };
  const prompt = ids("p".repeat(60));
  await assert.rejects(collect(engine.generate({ requestId: "a", promptTokens: prompt, params: { ...greedy, n: 2 } })), EngineFault);
  const result = await collect(engine.generate({ requestId: "b", promptTokens: ids("z"), params: greedy }));
  assert.deepEqual(result.texts, ["abcde"]);
  assert.equal(engine.stats().numSlotsInUse, 0);
  await engine.stop();
});

test("a step's outputs reach their streams while the next forward pass runs, not before it starts", async (t) => {
  const { runner, engine } = setup();
  const pushes = t.mock.method(OutputStream.prototype, "push");
  const pushesAtPass: number[] = [];
  const execute = runner.execute.bind(runner);
  runner.execute = (items) => {
    const pass = execute(items);
    pushesAtPass.push(pushes.mock.callCount());
    return pass;
  };
  await collect(engine.generate({ requestId: "a", promptTokens: ids("z"), params: { ...greedy, maxTokens: 4 } }));
  // When pass k has been started, step k-1's token is not yet published: k-2 pushes.
  assert.deepEqual(pushesAtPass, [0, 0, 1, 2]);
  await engine.stop();
});

test("a request's handle: its signal cancels the generation, and it hears when the generation has left the engine", async () => {
  const { engine } = setup({ numSlots: 1 });
  const handle = new RequestHandle("h");
  let isDone = false;
  handle.onDone(() => (isDone = true));
  const outputs = engine.generate({ requestId: "h", promptTokens: ids("z"), params: { ...greedy, maxTokens: 200 } }, handle);
  let finish: string | null = null;
  for await (const output of outputs) {
    if (finish === null) handle.cancel();
    finish = output.choices[0].finishReason ?? "running";
  }
  assert.equal(finish, "abort");
  handle.end();
  assert.equal(isDone, true, "the generation has reported by the time its stream ends");
  const [generation] = handle.generations;
  assert.equal(generation?.timings.finishReason, "abort");
  assert.equal(generation?.renderPrompt(), "z");
  await engine.stop();
});
