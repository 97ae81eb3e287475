import assert from "node:assert/strict";
import { test } from "node:test";
import { compareMetrics, formatCompareTables, formatRatio, formatValue, groupTable, markdownTable, metricGroups, metricValue, ratio, runsTable } from "./compare-table.js";

const result = (over: Record<string, unknown>) => ({
  num_prompts: 8, seed: 1, completed: 8, failed: 0,
  output_throughput: 100, request_throughput: 2, median_ttft_ms: 50, p99_ttft_ms: 80,
  median_tpot_ms: 10, median_itl_ms: 9.5, p99_itl_ms: 20, median_e2el_ms: 700, ...over,
});

test("ratio is a/b, null without both values or with b = 0", () => {
  assert.equal(ratio(6, 3), 2);
  assert.equal(ratio(1, 4), 0.25);
  assert.equal(ratio(null, 3), null);
  assert.equal(ratio(3, null), null);
  assert.equal(ratio(3, 0), null);
  assert.equal(ratio(NaN, 1), null);
  assert.equal(formatRatio(ratio(10, 8)), "1.25");
  assert.equal(formatRatio(null), "n/a");
});

test("values keep about three figures; missing ones are n/a", () => {
  assert.equal(formatValue(1234.56), "1235");
  assert.equal(formatValue(123.456), "123");
  assert.equal(formatValue(12.345), "12.3");
  assert.equal(formatValue(1.2345), "1.23");
  assert.equal(formatValue(0), "0.00");
  assert.equal(formatValue(null), "n/a");
  assert.equal(metricValue({ a: 1.5, b: null, c: "x" }, "a"), 1.5);
  assert.equal(metricValue({ a: 1.5, b: null, c: "x" }, "b"), null);
  assert.equal(metricValue({ a: 1.5, b: null, c: "x" }, "c"), null);
  assert.equal(metricValue(null, "a"), null);
});

test("markdownTable pads columns, aligns, and escapes pipes", () => {
  const table = markdownTable(["C", "name"], [["16", "a|b"], ["1", "x"]], ["r", "l"]);
  assert.equal(table, ["|   C | name |", "|----:|:-----|", "|  16 | a\\|b |", "|   1 | x    |"].join("\n"));
});

test("the groups cover the issue's metrics in order", () => {
  assert.deepEqual(compareMetrics.map((m) => m.label), ["out tok/s", "req/s", "TTFT p50", "TTFT p99", "TPOT p50", "ITL p50", "ITL p99", "E2E p50"]);
  assert.deepEqual(metricGroups().map((g) => g.metrics.length), [2, 2, 1, 2, 1]);
});

test("two targets: side by side with the ratio first/second", () => {
  const input = {
    targets: ["pagoda", "llama"],
    concurrencies: [1, 2],
    results: {
      pagoda: { 1: result({ output_throughput: 120 }), 2: result({ output_throughput: 200, median_ttft_ms: null }) },
      llama: { 1: result({ output_throughput: 100 }), 2: null },
    },
  };
  const table = groupTable(input, compareMetrics.slice(0, 2)).split("\n");
  assert.deepEqual(table[0].split("|").map((s) => s.trim()).filter(Boolean), ["C", "out tok/s pagoda", "out tok/s llama", "pagoda/llama", "req/s pagoda", "req/s llama", "pagoda/llama"]);
  assert.deepEqual(table[2].split("|").map((s) => s.trim()).filter(Boolean), ["1", "120", "100", "1.20", "2.00", "2.00", "1.00"]);
  assert.deepEqual(table[3].split("|").map((s) => s.trim()).filter(Boolean), ["2", "200", "n/a", "n/a", "2.00", "n/a", "n/a"]);
  const runs = runsTable(input).split("\n");
  assert.deepEqual(runs[0].split("|").map((s) => s.trim()).filter(Boolean), ["C", "prompts", "seed", "ok/failed pagoda", "ok/failed llama"]);
  assert.deepEqual(runs[3].split("|").map((s) => s.trim()).filter(Boolean), ["2", "8", "1", "8/0", "not run"]);

  const all = formatCompareTables(input);
  for (const heading of ["### Runs", "### Throughput", "### Time to first token (ms)", "### Time per output token (ms)", "### Inter-token latency (ms)", "### End-to-end latency (ms)"]) {
    assert.ok(all.includes(`\n${heading}\n`) || all.startsWith(`${heading}\n`), heading);
  }
  assert.match(all, /higher is better; pagoda\/llama above 1 favours pagoda/);
  assert.match(all, /lower is better; pagoda\/llama below 1 favours pagoda/);
  // Every table row has as many cells as its header.
  for (const block of all.split("\n\n").filter((b) => b.startsWith("|"))) {
    const counts = block.split("\n").map((line) => line.replace(/\\\|/g, "").split("|").length);
    assert.ok(counts.every((c) => c === counts[0]), block);
  }
});

test("one or three targets: no ratio column", () => {
  const one = groupTable({ targets: ["a"], concurrencies: [4], results: { a: { 4: result({}) } } }, compareMetrics.slice(2, 4));
  assert.deepEqual(one.split("\n")[0].split("|").map((s) => s.trim()).filter(Boolean), ["C", "TTFT p50", "TTFT p99"]);
  const three = groupTable({ targets: ["a", "b", "c"], concurrencies: [4], results: {} }, compareMetrics.slice(0, 1));
  assert.deepEqual(three.split("\n")[0].split("|").map((s) => s.trim()).filter(Boolean), ["C", "out tok/s a", "out tok/s b", "out tok/s c"]);
  assert.doesNotMatch(formatCompareTables({ targets: ["a", "b", "c"], concurrencies: [4], results: {} }), /favours/);
});
