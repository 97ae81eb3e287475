import assert from "node:assert/strict";
import { test } from "node:test";
import { formatBound, formatLabels, Registry } from "./registry.js";

test("renders counters, gauges and histograms as Prometheus text 0.0.4", () => {
  const registry = new Registry();
  const requests = registry.counter("app:requests_total", "Requests served.");
  const inFlight = registry.gauge("app:in_flight", "Requests in flight.");
  const latency = registry.histogram("app:latency_seconds", "Latency.", [0.1, 1, 2.5]);

  requests.touch({ model: "m", reason: "stop" });
  requests.inc({ model: "m", reason: "length" }, 2);
  requests.inc({ model: "m", reason: "length" });
  inFlight.set({ model: "m" }, 0.5);
  for (const value of [0.05, 0.1, 0.7, 3]) latency.observe({ model: "m" }, value);

  assert.equal(
    registry.render(),
    [
      "# HELP app:requests_total Requests served.",
      "# TYPE app:requests_total counter",
      'app:requests_total{model="m",reason="stop"} 0',
      'app:requests_total{model="m",reason="length"} 3',
      "# HELP app:in_flight Requests in flight.",
      "# TYPE app:in_flight gauge",
      'app:in_flight{model="m"} 0.5',
      "# HELP app:latency_seconds Latency.",
      "# TYPE app:latency_seconds histogram",
      'app:latency_seconds_bucket{model="m",le="0.1"} 2',
      'app:latency_seconds_bucket{model="m",le="1.0"} 3',
      'app:latency_seconds_bucket{model="m",le="2.5"} 3',
      'app:latency_seconds_bucket{model="m",le="+Inf"} 4',
      'app:latency_seconds_sum{model="m"} 3.85',
      'app:latency_seconds_count{model="m"} 4',
      "",
    ].join("\n"),
  );
});

test("a family with no series still has its HELP and TYPE; an unlabelled series has no braces", () => {
  const registry = new Registry();
  registry.gauge("empty", "Nothing yet.");
  registry.counter("plain_total", "No labels.").inc({});
  assert.equal(registry.render(), "# HELP empty Nothing yet.\n# TYPE empty gauge\n# HELP plain_total No labels.\n# TYPE plain_total counter\nplain_total 1\n");
});

test("label values and help text are escaped", () => {
  assert.equal(formatLabels({ a: 'x"y\\z\nw' }), '{a="x\\"y\\\\z\\nw"}');
  const registry = new Registry();
  registry.gauge("g", "line one\nback\\slash").set({}, 1);
  assert.equal(registry.render(), "# HELP g line one\\nback\\\\slash\n# TYPE g gauge\ng 1\n");
});

test("bucket bounds are written as prometheus_client writes them", () => {
  assert.equal(formatBound(1), "1.0");
  assert.equal(formatBound(2560), "2560.0");
  assert.equal(formatBound(0.025), "0.025");
  assert.equal(formatBound(Infinity), "+Inf");
});

test("counters refuse to go down; names register once; buckets must ascend", () => {
  const registry = new Registry();
  const counter = registry.counter("c_total", "C.");
  assert.throws(() => counter.inc({}, -1), RangeError);
  assert.throws(() => registry.gauge("c_total", "again"), /already registered/);
  assert.throws(() => registry.histogram("h", "H.", [1, 1]), RangeError);
});

test("an observation on a bound lands in that bucket (le is inclusive)", () => {
  const registry = new Registry();
  const histogram = registry.histogram("h", "H.", [1, 2]);
  histogram.observe({}, 2);
  assert.match(registry.render(), /^h_bucket\{le="1.0"\} 0\nh_bucket\{le="2.0"\} 1\nh_bucket\{le="\+Inf"\} 1$/m);
});
