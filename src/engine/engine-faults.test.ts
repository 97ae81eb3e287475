/**
 * Fault injection at every point of the engine loop: a throw fails the
 * requests it touches with a 500, is logged once with its stack, and the
 * engine goes on; a fault it cannot recover from leaves a dead engine (503),
 * never an unhandled rejection.
 */
import { EngineDead, EngineFault } from "../domain-errors.js";
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { pino } from "pino";
import { Engine, type EngineConfig } from "./engine.js";
import { FakeRunner } from "./fake-runner.js";
import { OutputStream } from "./output-stream.js";
import { samplingParams } from "./types.js";
import { Scheduler } from "./scheduler.js";
import { SlotPool } from "./slot-pool.js";
import type { RequestOutput } from "./types.js";

const greedy = samplingParams({ maxTokens: 5, temperature: 0, seed: 1 });
const ids = (text: string) => [...text].map((c) => c.charCodeAt(0));

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string };
  requestId?: string;
  requestIds?: string[];
}

/** The engine's log lines, as pino writes them. */
function setup(_t: TestContext, config: Partial<EngineConfig> = {}) {
  const runner = new FakeRunner({ numSlots: 2 });
  const logged: LogLine[] = [];
  const log = pino({ base: undefined }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) });
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 10, enablePrefixCaching: true, log, ...config });
  return { runner, engine, logged };
}

/** A log line as one text: its message, then the requests it names. */
function textOf(line: LogLine): string {
  const ids = line.requestIds ?? (line.requestId === undefined ? [] : [line.requestId]);
  return ids.length > 0 ? `${line.msg} (requests ${ids.join(", ")})` : line.msg;
}

async function outputTextOf(outputs: AsyncIterable<RequestOutput>): Promise<string> {
  let text = "";
  for await (const output of outputs) text += output.choices.map((c) => c.text).join("");
  return text;
}

/** The one log line of a fault: a message and the Error itself, with its stack. */
function assertLoggedOnceWithStack(logged: LogLine[], pattern: RegExp): void {
  assert.equal(logged.length, 1, `logged ${logged.length} times`);
  assert.match(textOf(logged[0]), pattern);
  assert.equal(typeof logged[0].err?.stack, "string", "the error itself is logged, with its stack");
}

/** Throws `error` the first time; the original afterwards. */
function failOnce<A extends unknown[], R>(original: (...args: A) => R, error = new Error("injected")) {
  let hasFailed = false;
  return function (this: unknown, ...args: A): R {
    if (!hasFailed) {
      hasFailed = true;
      throw error;
    }
    return original.apply(this, args);
  };
}

test("a scheduler throw fails the requests in flight with a 500; the engine resets and serves the next request", async (t) => {
  const { engine, logged } = setup(t);
  t.mock.method(Scheduler.prototype, "schedule", failOnce(Scheduler.prototype.schedule));
  const first = outputTextOf(engine.generate({ requestId: "a", promptTokens: ids("xyz"), params: greedy }));
  const second = outputTextOf(engine.generate({ requestId: "b", promptTokens: ids("xyz"), params: greedy }));
  await assert.rejects(first, EngineFault);
  await assert.rejects(second, EngineFault);
  assertLoggedOnceWithStack(logged, /engine loop failed while scheduling; failing 2 request/);
  assert.equal(await outputTextOf(engine.generate({ requestId: "c", promptTokens: ids("xyz"), params: greedy })), "abcde");
  assert.equal(engine.isAlive, true);
  assert.equal(engine.stats().numSlotsInUse, 0);
  await engine.stop();
});

test("a slot pool throw fails the requests in flight and the engine goes on with a clean pool", async (t) => {
  const { engine, runner, logged } = setup(t);
  await outputTextOf(engine.generate({ requestId: "warm", promptTokens: ids("hello world"), params: greedy }));
  t.mock.method(SlotPool.prototype, "acquire", failOnce(SlotPool.prototype.acquire));
  await assert.rejects(outputTextOf(engine.generate({ requestId: "a", promptTokens: ids("hello world"), params: greedy })), EngineFault);
  assertLoggedOnceWithStack(logged, /engine loop failed while scheduling/);
  assert.deepEqual(runner.slotContents, [[], []], "every slot's KV was dropped with the pool that described it");
  let numCached = -1;
  let text = "";
  for await (const output of engine.generate({ requestId: "b", promptTokens: ids("hello world"), params: greedy })) {
    numCached = output.numCachedPromptTokens;
    text += output.choices[0]?.text ?? "";
  }
  assert.equal(text, "efghi");
  assert.equal(numCached, 0, "nothing is taken from a cache the reset dropped");
  await engine.stop();
});

test("a detokenizer throw fails only its own request; the batch's others go on", async (t) => {
  const { engine, runner, logged } = setup(t);
  const detokenize = runner.detokenize.bind(runner);
  // The request whose prompt is "q" continues with "r": its first token's text fails.
  runner.detokenize = (tokens) => {
    if (tokens.includes(ids("r")[0])) throw new Error("detokenizer broke");
    return detokenize(tokens);
  };
  const failing = outputTextOf(engine.generate({ requestId: "bad", promptTokens: ids("q"), params: greedy }));
  const fine = outputTextOf(engine.generate({ requestId: "good", promptTokens: ids("z"), params: greedy }));
  await assert.rejects(failing, EngineFault);
  assert.equal(await fine, "abcde");
  assertLoggedOnceWithStack(logged, /output processing .*requests bad/);
  assert.ok(runner.batches.some((batch) => batch.length === 2), "both were in one batch");
  await engine.stop();
});

test("a throw while publishing fails that request alone", async (t) => {
  const { engine, logged } = setup(t);
  t.mock.method(OutputStream.prototype, "push", failOnce(OutputStream.prototype.push));
  const first = outputTextOf(engine.generate({ requestId: "a", promptTokens: ids("z"), params: greedy }));
  await assert.rejects(first, EngineFault);
  assertLoggedOnceWithStack(logged, /publishing outputs failed \(requests a\)/);
  assert.equal(await outputTextOf(engine.generate({ requestId: "b", promptTokens: ids("z"), params: greedy })), "abcde");
  assert.equal(engine.stats().numSlotsInUse, 0);
  await engine.stop();
});

test("a throwing request-finished observer (metrics, request log) is logged; answers and the engine are unaffected", async (t) => {
  const { engine, logged } = setup(t, {
    onRequestFinished: () => {
      throw new Error("metrics broke");
    },
  });
  assert.equal(await outputTextOf(engine.generate({ requestId: "a", promptTokens: ids("z"), params: greedy })), "abcde");
  assertLoggedOnceWithStack(logged, /observer .* failed; the answer is unaffected \(requests a\)/);
  // Also on the failure path: a request that fails still reaches its client.
  t.mock.method(Scheduler.prototype, "schedule", failOnce(Scheduler.prototype.schedule));
  await assert.rejects(outputTextOf(engine.generate({ requestId: "b", promptTokens: ids("z"), params: greedy })), EngineFault);
  assert.equal(await outputTextOf(engine.generate({ requestId: "c", promptTokens: ids("z"), params: greedy })), "abcde");
  await engine.stop();
});

test("a fault whose reset also fails leaves a dead engine: in flight 500, new requests 503, stop() still returns", async (t) => {
  const { engine, runner, logged } = setup(t);
  t.mock.method(Scheduler.prototype, "schedule", failOnce(Scheduler.prototype.schedule));
  runner.truncateSlot = () => {
    throw new Error("the KV cache is gone");
  };
  await assert.rejects(outputTextOf(engine.generate({ requestId: "a", promptTokens: ids("z"), params: greedy })), EngineFault);
  assert.equal(engine.isAlive, false);
  assert.throws(() => engine.generate({ requestId: "b", promptTokens: ids("z"), params: greedy }), EngineDead);
  assert.equal(logged.length, 2, "the fault, then the death");
  assert.match(logged[1].msg, /engine is dead/);
  await engine.stop();
});

test("a fault that comes back after every reset kills the engine after a few tries", async (t) => {
  const { engine, logged } = setup(t);
  t.mock.method(Scheduler.prototype, "schedule", () => {
    throw new Error("always");
  });
  for (const id of ["a", "b", "c"]) {
    await assert.rejects(outputTextOf(engine.generate({ requestId: id, promptTokens: ids("z"), params: greedy })), EngineFault);
  }
  assert.equal(engine.isAlive, false);
  assert.throws(() => engine.generate({ requestId: "d", promptTokens: ids("z"), params: greedy }), EngineDead);
  assert.equal(logged.length, 4, "three faults, one death");
  await engine.stop();
});
