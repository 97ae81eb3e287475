/** What the engine's unit tests share: an engine on the fake runner's clock, and a request's outputs collected. */
import assert from "node:assert/strict";
import { Engine, type EngineConfig } from "./engine.js";
import { FakeRunner, type FakeRunnerOptions } from "./fake-runner.js";
import { samplingParams, type RequestOutput, type SamplingParams } from "./types.js";

export const greedy: SamplingParams = samplingParams({ maxTokens: 5, temperature: 0, seed: 1 });

export function setup(runnerOptions: FakeRunnerOptions = {}, config: Partial<EngineConfig> = {}) {
  const runner = new FakeRunner(runnerOptions);
  // The fake clock: the learnt step cost, and so every batch, is deterministic.
  const engine = new Engine(runner, { maxNumBatchedTokens: 64, maxWaitingRequests: 100, enablePrefixCaching: true, now: () => runner.elapsedMs, ...config });
  return { runner, engine };
}

export interface Result {
  texts: string[];
  finishReasons: Array<string | null>;
  stopReasons: Array<string | number | null>;
  last: RequestOutput;
}

export async function collect(outputs: AsyncIterable<RequestOutput>): Promise<Result> {
  const texts: string[] = [];
  const finishReasons: Array<string | null> = [];
  const stopReasons: Array<string | number | null> = [];
  let last: RequestOutput | undefined;
  for await (const output of outputs) {
    last = output;
    for (const choice of output.choices) {
      texts[choice.index] = (texts[choice.index] ?? "") + choice.text;
      if (choice.finishReason) {
        assert.equal(finishReasons[choice.index], undefined, "finish reported twice");
        finishReasons[choice.index] = choice.finishReason;
        stopReasons[choice.index] = choice.stopReason;
      }
    }
  }
  assert.ok(last, "no output at all");
  return { texts, finishReasons, stopReasons, last };
}

export const ids = (text: string) => [...text].map((c) => c.charCodeAt(0));
