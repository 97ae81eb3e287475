import assert from "node:assert/strict";
import { test } from "node:test";
import { InFlightRequests } from "./in-flight.js";

test("whenIdle resolves at once with nothing in flight, else when the last request ends", async () => {
  const inFlight = new InFlightRequests();
  await inFlight.whenIdle();
  const endA = inFlight.begin();
  const endB = inFlight.begin();
  assert.equal(inFlight.size, 2);
  let isIdle = false;
  const idle = inFlight.whenIdle().then(() => (isIdle = true));
  endA();
  endA(); // counted out once, however often it is called
  await Promise.resolve();
  assert.equal(inFlight.size, 1);
  assert.equal(isIdle, false);
  endB();
  await idle;
  assert.equal(inFlight.size, 0);
});

test("draining is a switch that stays on", () => {
  const inFlight = new InFlightRequests();
  assert.equal(inFlight.isDraining, false);
  inFlight.startDraining();
  assert.equal(inFlight.isDraining, true);
});
