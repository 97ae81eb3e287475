import assert from "node:assert/strict";
import { test } from "node:test";
import { chartSeriesFromResults, escapeXml, niceTicks, renderCompareChart, type ChartSeries } from "./chart.js";

/** Checks the tags balance (a light well-formedness check) and returns the element names seen. */
function checkWellFormed(svg: string): string[] {
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, "");
  const stack: string[] = [];
  const names: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(body)) !== null) {
    const between = body.slice(last, match.index);
    assert.doesNotMatch(between, /[<>]/, `stray markup before ${match[0]}`);
    assert.doesNotMatch(between, /&(?!(amp|lt|gt|quot|apos);)/, `unescaped & before ${match[0]}`);
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else {
      names.push(name);
      if (!selfClosing) stack.push(name);
    }
  }
  assert.equal(body.slice(last).trim(), "", "nothing after the root element");
  assert.deepEqual(stack, [], "every element is closed");
  assert.equal(names[0], "svg");
  return names;
}

interface Point {
  series: number;
  stat: string;
  concurrency: number;
  cx: number;
  cy: number;
}

function points(svg: string): Point[] {
  return [...svg.matchAll(/<circle class="point" data-series="(\d+)" data-stat="(\w+)" data-concurrency="(\d+)" cx="([\d.-]+)" cy="([\d.-]+)"/g)].map((m) => ({
    series: Number(m[1]), stat: m[2], concurrency: Number(m[3]), cx: Number(m[4]), cy: Number(m[5]),
  }));
}

const series: ChartSeries[] = [
  { name: "pagoda", points: [1, 2, 4, 8].map((c, i) => ({ concurrency: c, outputThroughput: 30 + 20 * i, ttftP50Ms: 40 + 10 * i, ttftP99Ms: 60 + 30 * i })) },
  { name: "llama <&> \"server\"", points: [1, 2, 4, 8].map((c, i) => ({ concurrency: c, outputThroughput: 25 + 15 * i, ttftP50Ms: 45 + 12 * i, ttftP99Ms: i === 2 ? null : 70 + 40 * i })) },
];

test("the chart is well-formed SVG with both panels, axes, labels and a legend", () => {
  const svg = renderCompareChart(series, { title: "a & b" });
  assert.ok(svg.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"`));
  const names = checkWellFormed(svg);
  assert.ok(names.includes("polyline") && names.includes("circle") && names.includes("text"));
  assert.match(svg, /<g class="panel" id="throughput">/);
  assert.match(svg, /<g class="panel" id="ttft">/);
  assert.match(svg, />a &amp; b</);
  assert.match(svg, />pagoda</);
  assert.match(svg, />llama &lt;&amp;&gt; &quot;server&quot;</);
  assert.match(svg, />output tok\/s</);
  assert.match(svg, />TTFT \(ms\)</);
  assert.equal(svg.match(/>concurrency \(log2 scale\)</g)?.length, 2);
  for (const c of [1, 2, 4, 8]) assert.equal(svg.match(new RegExp(`class="tick" [^>]*>${c}</text>`, "g"))?.length, 2, `x tick ${c} on both panels`);
  assert.match(svg, />p50</);
  assert.match(svg, />p99 \(TTFT\)</);
  assert.match(svg, /data-stat="p99" points="[^"]+"[^>]*stroke-dasharray="6 4"/);
  assert.doesNotMatch(svg, /data-stat="p50" [^>]*stroke-dasharray/);
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
});

test("points go right with concurrency and up with the value; a missing value breaks the line", () => {
  const svg = renderCompareChart(series);
  const all = points(svg);
  assert.equal(all.length, 4 * 2 + 4 * 2 + 3 + 4); // throughput 8, p50 8, p99 4 + 3
  for (const s of [0, 1]) {
    for (const stat of ["value", "p50", "p99"]) {
      const line = all.filter((p) => p.series === s && p.stat === stat).sort((a, b) => a.concurrency - b.concurrency);
      for (let i = 1; i < line.length; i++) {
        assert.ok(line[i].cx > line[i - 1].cx, `x increases: series ${s} ${stat}`);
        assert.ok(line[i].cy < line[i - 1].cy, `y rises for a larger value: series ${s} ${stat}`);
      }
    }
  }
  // log2 x: equal steps between 1, 2, 4, 8.
  const xs = all.filter((p) => p.series === 0 && p.stat === "value").map((p) => p.cx);
  assert.ok(Math.abs(xs[1] - xs[0] - (xs[3] - xs[2])) < 0.2);
  // Series 1's p99 lacks C=4: two segments, (1, 2) and (8) alone (no polyline for one point).
  assert.equal(svg.match(/<polyline class="line" data-series="1" data-stat="p99"/g)?.length, 1);
  assert.equal(svg.match(/<polyline class="line" data-series="0" data-stat="p99"/g)?.length, 1);
});

test("degenerate input still renders: one concurrency, no values, no series", () => {
  checkWellFormed(renderCompareChart([{ name: "a", points: [{ concurrency: 4, outputThroughput: 10, ttftP50Ms: null, ttftP99Ms: null }] }]));
  checkWellFormed(renderCompareChart([{ name: "a", points: [{ concurrency: 1, outputThroughput: null, ttftP50Ms: null, ttftP99Ms: null }] }]));
  const empty = renderCompareChart([]);
  checkWellFormed(empty);
  assert.doesNotMatch(empty, /NaN|Infinity/);
});

test("niceTicks: 0 to a 1/2/5 step at or above the maximum", () => {
  assert.deepEqual(niceTicks(87), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.7), [0, 0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(1234), [0, 500, 1000, 1500]);
  assert.deepEqual(niceTicks(0), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(escapeXml(`<a & 'b'>`), "&lt;a &amp; &apos;b&apos;&gt;");
});

test("series from saved results", () => {
  const results = { a: { 1: { output_throughput: 10, median_ttft_ms: 5, p99_ttft_ms: null }, 2: null } };
  assert.deepEqual(chartSeriesFromResults(["a"], [1, 2], results), [
    { name: "a", points: [{ concurrency: 1, outputThroughput: 10, ttftP50Ms: 5, ttftP99Ms: null }, { concurrency: 2, outputThroughput: null, ttftP50Ms: null, ttftP99Ms: null }] },
  ]);
});
