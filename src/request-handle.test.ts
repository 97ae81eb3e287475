import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestHandle, type FinishedGeneration } from "./request-handle.js";

const finished = { timings: {} as FinishedGeneration["timings"], renderPrompt: () => "" };

test("done once the transport has ended and every generation has reported, in either order, once", () => {
  const handle = new RequestHandle("r");
  const calls: string[] = [];
  handle.onDone(() => calls.push("done"));
  const first = handle.startGeneration();
  const second = handle.startGeneration();
  first(finished);
  handle.end();
  assert.deepEqual(calls, [], "a generation is still in the engine");
  second(finished);
  second(finished);
  handle.end();
  assert.deepEqual(calls, ["done"]);
  assert.equal(handle.generations.length, 2);
});

test("a request without generations is done when the transport ends; a late listener still hears it", async () => {
  const handle = new RequestHandle("r");
  handle.end();
  const heard = new Promise<void>((resolve) => handle.onDone(resolve));
  await heard;
});

test("cancel aborts the signal; a throwing listener is logged and the others still run", () => {
  const lines: string[] = [];
  const log = { child: () => log, error: (_object: unknown, message: string) => lines.push(message) } as never;
  const handle = new RequestHandle("r", { log, hasClientId: true });
  assert.equal(handle.hasClientId, true);
  handle.cancel();
  assert.equal(handle.signal.aborted, true);
  const calls: string[] = [];
  handle.onDone(() => {
    throw new Error("listener");
  });
  handle.onDone(() => calls.push("second"));
  handle.end();
  assert.deepEqual(calls, ["second"]);
  assert.equal(lines.length, 1);
});
