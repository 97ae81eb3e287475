/**
 * Stall-free steps on the fake runner's clock: the engine learns what a step
 * costs from its own steps and keeps steps that carry decodes within the
 * target, while a prompt alone prefills at full speed and a prompt that
 * arrives under a full house of decodes still gets its first token in bounded time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Engine, type EngineConfig } from "./engine.js";
import { FakeRunner } from "./fake-runner.js";
import { samplingParams } from "./types.js";
import { StepBudget } from "./step-budget.js";
import { StepCostModel, shapeOf, type StepShape } from "./step-cost-model.js";
import type { BatchItem } from "./model-runner.js";
import type { RequestOutput, RequestTimings } from "./types.js";

const ids = (text: string) => [...text].map((c) => c.charCodeAt(0));
const costOfShape = (shape: StepShape) => 10 + 1 * shape.numPrefillTokens + 2 * shape.numDecodeRows + 0.5 * shape.kvWork;
const costOf = (items: readonly BatchItem[]) => costOfShape(shapeOf(items));

/** `atStep` runs inside the fake's forward pass number `step`: how a test sends requests while others decode (the fake never yields to timers). */
function setup(config: Partial<EngineConfig> = {}, atStep?: { step: number; run: () => void }) {
  let numSteps = 0;
  const runner = new FakeRunner({
    numSlots: 5,
    slotCapacity: 1024,
    costOf: (items) => {
      if (++numSteps === atStep?.step) atStep.run();
      return costOf(items);
    },
  });
  const timings: RequestTimings[] = [];
  const engine = new Engine(runner, {
    maxNumBatchedTokens: 128,
    maxWaitingRequests: 10,
    enablePrefixCaching: false,
    now: () => runner.elapsedMs,
    onRequestFinished: (t) => timings.push(t),
    ...config,
  });
  return { runner, engine, timings };
}

async function drain(outputs: AsyncIterable<RequestOutput>): Promise<void> {
  for await (const _ of outputs);
}

const isDecodeOnly = (batch: readonly BatchItem[]) => batch.every((item) => item.tokens.length === 1);

test("a prompt alone on the engine prefills at the full token budget", async () => {
  const { engine, runner } = setup();
  await drain(engine.generate({ requestId: "a", promptTokens: ids("p".repeat(120)), params: samplingParams({ maxTokens: 3, temperature: 0 }) }));
  assert.equal(runner.batches[0][0].tokens.length, 120);
  await engine.stop();
});

test("with decodes running, steps stay within --max-step-ms; prompts are chunked to fit", async () => {
  // Let the decodes run a while (the model learns from their steps), then send long prompts.
  let prompts: Array<Promise<void>> = [];
  const { engine, runner } = setup({ maxStepMs: 60 }, {
    step: 10,
    run: () => {
      prompts = ["d", "e"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids("q".repeat(100)), params: samplingParams({ maxTokens: 2, temperature: 0 }) })));
    },
  });
  const long = samplingParams({ maxTokens: 60, temperature: 0, ignoreEos: true });
  const decoding = ["a", "b", "c"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids("xy"), params: long })));
  await Promise.all(decoding);
  await Promise.all(prompts);
  const withDecodesAndPrefill = runner.batches.slice(10).filter((batch) => !isDecodeOnly(batch) && batch.some((item) => item.tokens.length === 1));
  assert.ok(withDecodesAndPrefill.length >= 3, "the prompts were spread over several steps beside the decodes");
  for (const batch of withDecodesAndPrefill) assert.ok(costOf(batch) <= 60 + 1e-9, `a step cost ${costOf(batch)} ms`);
  // Unchunked, a 100-token prompt beside three decodes would cost 10 + 100 + 6 + attention: about twice the target.
  await engine.stop();
});

test("without --max-step-ms the target is twice the decodes' own step, learnt from measured steps", async () => {
  let prompt: Promise<void> = Promise.resolve();
  // Only the decode-step rule: the prompt's wait (next test) does not raise the target here.
  const { engine, runner } = setup({ stepWaitFactor: 0 }, {
    step: 10,
    run: () => void (prompt = drain(engine.generate({ requestId: "p", promptTokens: ids("q".repeat(100)), params: samplingParams({ maxTokens: 1, temperature: 0 }) }))),
  });
  const long = samplingParams({ maxTokens: 80, temperature: 0, ignoreEos: true });
  const decoding = ["a", "b", "c", "d"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids("xy"), params: long })));
  await Promise.all(decoding);
  await prompt;
  assert.ok(runner.batches.slice(10).filter((batch) => !isDecodeOnly(batch)).length >= 3, "the prompt took several steps");
  for (const batch of runner.batches.slice(10)) {
    if (isDecodeOnly(batch)) continue;
    const decodes = batch.filter((item) => item.tokens.length === 1);
    if (decodes.length === 0) continue;
    const decodeOnlyMs = costOf(decodes);
    assert.ok(costOf(batch) <= 2 * decodeOnlyMs + 1e-6, `a step cost ${costOf(batch)} ms against ${decodeOnlyMs} ms of decodes`);
  }
  await engine.stop();
});

test("under a full house of decodes a new prompt's TTFT is bounded: it gets at least its floor every step", async () => {
  // A target so tight that no prompt token fits: only the floor (16 tokens a step) moves the prompt.
  const promptLength = 80;
  let late: Promise<void> = Promise.resolve();
  const { engine, runner, timings } = setup({ maxStepMs: 1 }, {
    step: 10,
    run: () => void (late = drain(engine.generate({ requestId: "late", promptTokens: ids("q".repeat(promptLength)), params: samplingParams({ maxTokens: 1, temperature: 0 }) }))),
  });
  const long = samplingParams({ maxTokens: 200, temperature: 0, ignoreEos: true });
  const decoding = ["a", "b", "c", "d"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids("xy"), params: long })));
  await Promise.all(decoding);
  await late;
  assert.ok(runner.batches.slice(10).some((batch) => batch.some((item) => item.tokens.length === 16)), "the prompt moved at its floor");
  const ttft = timings.find((t) => t.requestId === "late")!.timeToFirstTokenMs!;
  // At most one step already under way, then ceil(80 / 16) steps of 4 decodes + 16 prompt tokens each.
  const decodeStep = costOfShape({ numPrefillTokens: 0, numDecodeRows: 4, kvWork: 4 * 0.25 });
  const floorStep = costOfShape({ numPrefillTokens: 16, numDecodeRows: 4, kvWork: 4 * 0.25 + 1.3 });
  const bound = decodeStep + Math.ceil(promptLength / 16) * floorStep;
  assert.ok(ttft <= bound, `TTFT ${ttft} ms, bound ${bound} ms`);
  await engine.stop();
});

test("the budget: full tokens with no decodes or nothing learnt; the floor under an impossible target", () => {
  const model = new StepCostModel();
  const budget = new StepBudget(model, { maxStepMs: null, decodeStepFactor: 2, minPrefillTokens: 8, waitFactor: 0.25 });
  assert.equal(budget.prefillTokens({ numRows: 0, kvWork: 0 }, 0, 512), 512);
  assert.equal(budget.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512), 512, "nothing learnt yet");
  for (const shape of [
    { numPrefillTokens: 0, numDecodeRows: 4, kvWork: 1 },
    { numPrefillTokens: 100, numDecodeRows: 0, kvWork: 5 },
    { numPrefillTokens: 50, numDecodeRows: 2, kvWork: 2 },
    { numPrefillTokens: 0, numDecodeRows: 16, kvWork: 4 },
  ]) model.observe(shape, costOfShape(shape));
  // Decodes alone: 10 + 8 + 0.5 = 18.5 ms; twice that leaves ~18 ms, about 18 prompt tokens.
  const tokens = budget.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512);
  assert.ok(tokens >= 16 && tokens <= 18, `${tokens} tokens`);
  const tight = new StepBudget(model, { maxStepMs: 5, decodeStepFactor: 2, minPrefillTokens: 8, waitFactor: 0.25 });
  assert.equal(tight.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512), 8);
  assert.equal(tight.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 3), 3, "never more than the token budget left");
  // A prompt that has waited 400 ms: the step may take a quarter of that, 100 ms, about 80 prompt tokens beside the decodes.
  const afterWait = budget.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512, 400);
  assert.ok(afterWait >= 75 && afterWait <= 82, `${afterWait} tokens`);
  assert.equal(budget.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512, 40), tokens, "a short wait leaves twice the decode step the target");
  assert.equal(tight.prefillTokens({ numRows: 4, kvWork: 1 }, 0, 512, 400), 8, "an explicit target is kept, however long prompts wait");
});

test("a wave of prompts behind a few running streams: steps grow with the prompts' wait, so the wave is not let in a prompt at a time", async () => {
  // One stream starts alone; four 200-token prompts arrive at its tenth step.
  const waveStep = 10;
  const run = async (stepWaitFactor: number) => {
    let wave: Array<Promise<void>> = [];
    const { engine, runner, timings } = setup({ maxNumBatchedTokens: 512, stepWaitFactor }, {
      step: waveStep,
      run: () => {
        wave = ["w1", "w2", "w3", "w4"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids(id.repeat(100)), params: samplingParams({ maxTokens: 1, temperature: 0 }) })));
      },
    });
    await drain(engine.generate({ requestId: "first", promptTokens: ids("xy"), params: samplingParams({ maxTokens: 400, temperature: 0, ignoreEos: true }) }));
    await Promise.all(wave);
    await engine.stop();
    // Each step's start on the fake clock: the costs of the steps before it.
    const starts = runner.batches.map((_, i) => runner.batches.slice(0, i).reduce((sum, batch) => sum + costOf(batch), 0));
    const lastTtft = Math.max(...timings.filter((t) => t.requestId.startsWith("w")).map((t) => t.timeToFirstTokenMs!));
    return { batches: runner.batches, starts, arrivalMs: starts[waveStep - 1], lastTtft };
  };
  const aging = await run(0.25);
  const fixed = await run(0);
  assert.ok(aging.lastTtft < 0.75 * fixed.lastTtft, `the wave's last TTFT: ${aging.lastTtft} ms with the wait in the target, ${fixed.lastTtft} ms without`);
  // No step beside the running stream took longer than twice its decode or a quarter of the wave's wait so far
  // (the fitted cost is exact on this clock), unless it carried only the floor of 16 prompt tokens.
  let numChecked = 0;
  aging.batches.forEach((batch, i) => {
    const decodes = batch.filter((item) => item.tokens.length === 1);
    const numPromptTokens = batch.reduce((sum, item) => sum + (item.tokens.length > 1 ? item.tokens.length : 0), 0);
    if (decodes.length === 0 || numPromptTokens <= 16 || i < waveStep) return;
    const targetMs = Math.max(2 * costOf(decodes), 0.25 * (aging.starts[i] - aging.arrivalMs));
    assert.ok(costOf(batch) <= targetMs + 1e-6, `step ${i} cost ${costOf(batch)} ms, target ${targetMs} ms`);
    numChecked++;
  });
  assert.ok(numChecked >= 3, `only ${numChecked} steps carried more than the floor beside the stream`);
});

test("prompts that arrived before a stream's first token are its burst: the next step prefills them whole beside it", async () => {
  // "a" reaches the idle engine alone; three more prompts arrive during its prompt's pass, before its first token.
  let burst: Array<Promise<void>> = [];
  const { engine, runner } = setup({ maxNumBatchedTokens: 512 }, {
    step: 1,
    run: () => {
      burst = ["b", "c", "d"].map((id) => drain(engine.generate({ requestId: id, promptTokens: ids(id.repeat(100)), params: samplingParams({ maxTokens: 2, temperature: 0 }) })));
    },
  });
  await drain(engine.generate({ requestId: "a", promptTokens: ids("a".repeat(100)), params: samplingParams({ maxTokens: 20, temperature: 0, ignoreEos: true }) }));
  await Promise.all(burst);
  await engine.stop();
  const [first, second] = runner.batches;
  assert.deepEqual(first.map((item) => item.tokens.length), [100]);
  assert.deepEqual(second.map((item) => item.tokens.length).sort((x, y) => x - y), [1, 100, 100, 100], "a's decode and the three whole prompts");
});
