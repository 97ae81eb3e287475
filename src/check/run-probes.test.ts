import assert from "node:assert/strict";
import { test } from "node:test";
import { CheckClient } from "./http-client.js";
import { expect, ProbeSkipped, ProbeUnsupported, type Probe } from "./probe.js";
import { formatJson, formatMarkdown, formatText, summaryLine } from "./report.js";
import { runProbes } from "./run-probes.js";

const probe = (id: string, run: Probe["run"]): Probe => ({ id, group: "basic", description: `probe ${id}`, doc: "https://example.com/doc", run });
const options = { client: new CheckClient("http://127.0.0.1:1/v1", undefined), model: "m", embeddingModel: "m", apiKey: undefined, concurrency: 2, timeoutMs: 60_000 };

test("what a probe throws becomes its status; results keep the probes' order", async () => {
  const results = await runProbes(
    [
      probe("pass", async () => {}),
      probe("fail", async () => expect(false, "x is 1", { sent: { request: "POST /x", body: { a: 1 } }, body: { x: 2 } })),
      probe("unsupported", async () => {
        throw new ProbeUnsupported("HTTP 400: no");
      }),
      probe("skip", async () => {
        throw new ProbeSkipped("nothing to test");
      }),
      probe("crash", async () => {
        throw new TypeError("boom");
      }),
    ],
    options,
  );
  assert.deepEqual(
    results.map((result) => [result.probe.id, result.status, result.reason]),
    [
      ["pass", "PASS", undefined],
      ["fail", "FAIL", "x is 1"],
      ["unsupported", "UNSUPPORTED", "HTTP 400: no"],
      ["skip", "SKIP", "nothing to test"],
      ["crash", "FAIL", "boom"],
    ],
  );
  assert.deepEqual(results[1].evidence, { expected: "x is 1", sent: { request: "POST /x", body: { a: 1 } }, got: { x: 2 } });
  assert.equal(summaryLine(results), "5 probes: 1 passed, 2 failed, 1 unsupported, 1 skipped");
});

test("never more than `concurrency` probes in flight", async () => {
  let inFlight = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const waiting = (id: string) =>
    probe(id, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
    });
  const run = runProbes(["a", "b", "c", "d", "e"].map(waiting), { ...options, concurrency: 2 });
  // Release one waiting probe per turn until all five have run.
  for (let released = 0; released < 5; ) {
    await new Promise((resolve) => setImmediate(resolve));
    const release = releases.shift();
    if (release) {
      release();
      released++;
    }
  }
  const results = await run;
  assert.equal(most, 2);
  assert.ok(results.every((result) => result.status === "PASS"));
});

test("a probe that does not answer within the timeout FAILs with the reason; a shared memo is shared", async () => {
  let made = 0;
  const results = await runProbes(
    [
      probe("hangs", () => new Promise(() => {})),
      probe("memo-a", async (context) => assert.equal(await context.memo("k", async () => ++made), 1)),
      probe("memo-b", async (context) => assert.equal(await context.memo("k", async () => ++made), 1)),
    ],
    { ...options, timeoutMs: 1 },
  );
  assert.equal(results[0].status, "FAIL");
  assert.match(results[0].reason ?? "", /no answer within 0.001 s/);
  assert.equal(made, 1);
});

test("reports: text shows a failure's evidence and doc link, Markdown a row per probe, JSON the counts", async () => {
  const results = await runProbes(
    [probe("ok", async () => {}), probe("bad", async () => expect(false, "HTTP 404", { sent: { request: "GET /models" }, body: null }, "HTTP 200"))],
    options,
  );
  const text = formatText(results, "pagoda check URL");
  assert.match(text, /\[basic\]\n {2}PASS {8}ok {3}probe ok\n {2}FAIL {8}bad {2}probe bad\n {16}expected: HTTP 404\n {16}sent: {5}\{"request":"GET \/models"\}\n {16}got: {6}HTTP 200\n {16}docs: {5}https:\/\/example.com\/doc/);
  assert.match(text, /2 probes: 1 passed, 1 failed, 0 unsupported, 0 skipped$/);
  const markdown = formatMarkdown(results, "header");
  assert.match(markdown, /\| basic \| \[`bad`\]\(https:\/\/example.com\/doc\) \| probe bad \| FAIL: HTTP 404 \|/);
  const json = JSON.parse(formatJson(results, { baseUrl: "u" })) as { summary: Record<string, number>; results: Array<{ status: string }> };
  assert.deepEqual(json.summary, { total: 2, pass: 1, fail: 1, unsupported: 0, skip: 0 });
});
