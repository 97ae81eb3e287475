/** The engine's step trace: at debug level one log line per forward pass, at info level none. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { Engine } from "./engine.js";
import { collect, greedy, ids } from "./engine-test-kit.js";
import { FakeRunner } from "./fake-runner.js";

interface PassLine {
  msg: string;
  pass: {
    numPrefillTokens: number;
    numDecodeRows: number;
    kvWork: number;
    ms: number;
    predictedMs: number | null;
    betweenPassesMs: number | null;
    numRunning: number;
    numWaiting: number;
  };
}

function engineLoggingAt(level: string) {
  const runner = new FakeRunner({ numSlots: 2 });
  runner.stepMs = 7;
  const lines: PassLine[] = [];
  const log = pino({ base: undefined, level }, { write: (line: string) => void lines.push(JSON.parse(line) as PassLine) });
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 10, enablePrefixCaching: true, log, now: () => runner.elapsedMs });
  return { engine, lines };
}

test("at debug level each forward pass logs its shape, its time, the prediction and the engine's time since the last pass", async () => {
  const { engine, lines } = engineLoggingAt("debug");
  await collect(engine.generate({ requestId: "a", promptTokens: ids("0123456789"), params: { ...greedy, maxTokens: 4 } }));
  await engine.stop();
  const passes = lines.filter((line) => line.msg === "forward pass").map((line) => line.pass);
  // The prompt's pass gives the first token; three one-token decodes give the rest.
  assert.deepEqual(passes.map((pass) => [pass.numPrefillTokens, pass.numDecodeRows]), [[10, 0], [0, 1], [0, 1], [0, 1]]);
  assert.ok(passes.every((pass) => pass.ms === 7 && pass.numRunning === 1 && pass.numWaiting === 0));
  assert.equal(passes[0].predictedMs, null, "nothing learnt before the first pass");
  assert.equal(passes[0].betweenPassesMs, null, "the first pass after idle has no pass before it");
  for (const pass of passes.slice(1)) {
    assert.equal(typeof pass.predictedMs, "number");
    // The fake clock moves only inside a pass: the engine's own time between passes reads 0.
    assert.equal(pass.betweenPassesMs, 0);
  }
});

test("at info level the engine logs nothing for a request that runs normally", async () => {
  const { engine, lines } = engineLoggingAt("info");
  await collect(engine.generate({ requestId: "a", promptTokens: ids("0123"), params: { ...greedy, maxTokens: 3 } }));
  await engine.stop();
  assert.deepEqual(lines, []);
});
