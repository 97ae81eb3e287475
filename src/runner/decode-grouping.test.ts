import assert from "node:assert/strict";
import { test } from "node:test";
import { DecodeGrouping, type DecodeMode } from "./decode-grouping.js";

/**
 * Runs `numSteps` decode-only steps of `numRows` rows through the chooser on a
 * cost function (step index and mode -> ms) and returns the modes it chose.
 */
function drive(grouping: DecodeGrouping, numRows: number, numSteps: number, costOf: (step: number, mode: DecodeMode) => number): DecodeMode[] {
  const modes: DecodeMode[] = [];
  for (let step = 0; step < numSteps; step++) {
    const mode = grouping.modeFor(numRows, true);
    grouping.observe(numRows, true, mode, costOf(step, mode));
    modes.push(mode);
  }
  return modes;
}

const share = (modes: DecodeMode[], mode: DecodeMode) => modes.filter((m) => m === mode).length / modes.length;

test("two rows run one per decode where that is cheaper (the CPU kernels measured here), after a few alternating pairs", () => {
  const grouping = new DecodeGrouping();
  // One row 20 ms, two rows batched 46 ms (llama-batched-bench on this machine).
  const modes = drive(grouping, 2, 200, (_, mode) => (mode === "per-row" ? 40 : 46));
  assert.deepEqual(modes.slice(0, 5), ["batched", "per-row", "batched", "per-row", "batched"]);
  assert.ok(share(modes.slice(10), "per-row") > 0.9, `per-row share ${share(modes.slice(10), "per-row")}`);
  assert.ok(Math.abs(grouping.perRowRatio(2)! - 40 / 46) < 0.01);
});

test("one slow step (the first decode after a prompt, a descheduled process) does not decide alone", () => {
  const grouping = new DecodeGrouping();
  // As traced: the first two-row step after the prompts took 2.6x its usual time.
  const modes = drive(grouping, 2, 100, (step, mode) => (step === 1 ? 128 : mode === "per-row" ? 42 : 51));
  assert.ok(modes.slice(7, 30).every((mode) => mode === "per-row"), modes.slice(0, 30).join(" "));
});

test("rows stay batched where batching pays (as on GPUs)", () => {
  const grouping = new DecodeGrouping();
  const modes = drive(grouping, 3, 200, (_, mode) => (mode === "per-row" ? 60 : 25));
  assert.ok(share(modes.slice(10), "batched") > 0.9);
  assert.ok(grouping.perRowRatio(3)! > 1.3);
});

test("a machine whose speed drifts, and KV that grows, do not bias the choice: pairs are consecutive steps", () => {
  const grouping = new DecodeGrouping();
  // Per-row is 8% cheaper throughout, while the whole machine slows 3x over the run:
  // comparing a mode's old time with the other's new one would pick batched.
  const modes = drive(grouping, 2, 400, (step, mode) => (1 + (2 * step) / 400) * (mode === "per-row" ? 46 : 50));
  assert.ok(share(modes.slice(10), "per-row") > 0.9);
  // And the reverse.
  const reverse = new DecodeGrouping();
  const reversed = drive(reverse, 2, 400, (step, mode) => (3 - (2 * step) / 400) * (mode === "per-row" ? 54 : 50));
  assert.ok(share(reversed.slice(10), "batched") > 0.9);
});

test("once settled, one step in exploreEvery tries the other way, and a change of machine is followed", () => {
  const grouping = new DecodeGrouping({ exploreEvery: 16 });
  let perRowCheaper = true;
  const modes = drive(grouping, 2, 600, (step, mode) => {
    if (step === 300) perRowCheaper = false;
    return mode === "per-row" ? (perRowCheaper ? 40 : 60) : 46;
  });
  const settled = modes.slice(20, 300);
  const explored = share(settled, "batched");
  assert.ok(explored > 0.03 && explored < 0.12, `explored ${explored}`);
  assert.ok(share(modes.slice(400), "batched") > 0.85, `after the change: ${share(modes.slice(400), "batched")}`);
});

test("prompt steps, single rows and more rows than maxRows always batch, and steps between break a pair", () => {
  const grouping = new DecodeGrouping({ maxRows: 3 });
  assert.equal(grouping.modeFor(2, false), "batched");
  assert.equal(grouping.modeFor(1, true), "batched");
  assert.equal(grouping.modeFor(4, true), "batched");
  // Two-row steps separated by other steps never pair up, so nothing is learnt from them.
  for (let i = 0; i < 20; i++) {
    grouping.observe(2, true, grouping.modeFor(2, true), i % 2 === 0 ? 40 : 60);
    grouping.observe(5, true, "batched", 80);
  }
  assert.equal(grouping.perRowRatio(2), null);
});
