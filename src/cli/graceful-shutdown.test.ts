import assert from "node:assert/strict";
import { test } from "node:test";
import { InFlightRequests } from "../http/in-flight.js";
import { GracefulShutdown, type Delay } from "./graceful-shutdown.js";

/** A hand-driven clock: each delay resolves when the test fires it. */
class ManualDelays {
  readonly pending: Array<{ ms: number; fire: () => void; isCancelled: boolean }> = [];
  delay = (ms: number): Delay => {
    let fire = () => {};
    const promise = new Promise<void>((resolve) => (fire = resolve));
    const entry = { ms, fire, isCancelled: false };
    this.pending.push(entry);
    return { promise, cancel: () => (entry.isCancelled = true) };
  };
}

function setUp(timeoutMs: number) {
  const inFlight = new InFlightRequests();
  const events: string[] = [];
  const ends = new Map<string, () => void>();
  const delays = new ManualDelays();
  const http = {
    get numInFlight() {
      return inFlight.size;
    },
    startDraining: () => {
      events.push("drain");
      inFlight.startDraining();
    },
    whenIdle: () => inFlight.whenIdle(),
    close: () => events.push("close http"),
  };
  const shutdown = new GracefulShutdown(
    {
      http,
      // The engine's abort ends every request still in flight.
      stopEngine: async () => {
        events.push(`stop engine (${inFlight.size} in flight)`);
        for (const end of ends.values()) end();
      },
      closeRunner: async () => void events.push("close runner"),
    },
    { timeoutMs, abortFlushMs: 5000, delay: delays.delay, log: (line) => events.push(line) },
  );
  const begin = (name: string) => ends.set(name, inFlight.begin());
  const end = (name: string) => ends.get(name)!();
  return { shutdown, events, delays, begin, end };
}

/** Lets every settled promise run its continuations. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test("with nothing in flight, shutdown closes at once", async () => {
  const { shutdown, events } = setUp(30_000);
  await shutdown.request("SIGTERM");
  assert.deepEqual(events, [
    "drain",
    "pagoda: SIGTERM: shutting down, new requests get 503",
    "stop engine (0 in flight)",
    "close http",
    "close runner",
    "pagoda: stopped",
  ]);
  assert.equal(shutdown.phase, "closed");
});

test("in-flight requests that finish within the timeout are waited for, not aborted", async () => {
  const { shutdown, events, delays, begin, end } = setUp(30_000);
  begin("a");
  begin("b");
  const done = shutdown.request("SIGTERM");
  await settle();
  assert.equal(shutdown.phase, "draining");
  assert.deepEqual(delays.pending.map((d) => d.ms), [30_000]);
  end("a");
  await settle();
  assert.equal(shutdown.phase, "draining");
  end("b");
  await done;
  assert.equal(delays.pending[0].isCancelled, true, "the timeout timer is cleared");
  assert.ok(events.includes("stop engine (0 in flight)"), events.join("\n"));
  assert.ok(events.some((line) => /waiting up to 30 s for 2 request\(s\) in flight \(SIGTERM again aborts them\)/.test(line)), events.join("\n"));
  assert.ok(!events.some((line) => line.includes("aborting")), events.join("\n"));
});

test("at the timeout the rest are aborted, then everything closes", async () => {
  const { shutdown, events, delays, begin } = setUp(30_000);
  begin("a");
  const done = shutdown.request("SIGTERM");
  await settle();
  delays.pending[0].fire();
  await done;
  const aborted = events.indexOf("pagoda: aborting 1 request(s) still in flight");
  assert.ok(aborted > 0, events.join("\n"));
  assert.deepEqual(events.slice(aborted + 1), ["stop engine (1 in flight)", "close http", "close runner", "pagoda: stopped"]);
  assert.deepEqual(delays.pending.map((d) => d.ms), [30_000, 5000], "the aborted answers get the flush delay");
});

test("a second signal while draining aborts at once; later ones change nothing", async () => {
  const { shutdown, events, begin } = setUp(30_000);
  begin("a");
  const first = shutdown.request("SIGINT");
  await settle();
  const second = shutdown.request("SIGINT");
  assert.equal(second, first);
  await first;
  assert.ok(events.includes("pagoda: SIGINT again: aborting the requests in flight now"), events.join("\n"));
  assert.ok(events.includes("stop engine (1 in flight)"), events.join("\n"));
  await shutdown.request("SIGINT");
  assert.equal(events.filter((line) => line.includes("again: aborting")).length, 1);
});

test("timeout 0 aborts in-flight requests without waiting", async () => {
  const { shutdown, events, delays, begin } = setUp(0);
  begin("a");
  const done = shutdown.request("SIGTERM");
  await settle();
  assert.deepEqual(events.slice(0, 2), ["drain", "pagoda: SIGTERM: shutting down, new requests get 503"]);
  delays.pending[0].fire(); // a 0 ms timer
  await done;
  assert.ok(events.includes("stop engine (1 in flight)"), events.join("\n"));
});
