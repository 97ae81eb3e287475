/** The text report of `pagoda bench serve`, laid out like vLLM's `bench serve`. */
import type { BenchMetrics, Summary } from "./stats.js";

const WIDTH = 50;

function heading(title: string, fill: string): string {
  const side = Math.max(0, WIDTH - title.length);
  const left = Math.floor(side / 2);
  return fill.repeat(left) + title + fill.repeat(side - left);
}

function row(label: string, value: string | number, digits = 2): string {
  const text = typeof value === "number" ? (Number.isFinite(value) ? value.toFixed(digits) : "n/a") : value;
  return `${label.padEnd(41)}${text}`;
}

function latencyRows(title: string, short: string, summary: Summary): string[] {
  return [
    heading(title, "-"),
    row(`Mean ${short} (ms):`, summary.mean),
    row(`Median ${short} (ms):`, summary.median),
    row(`P90 ${short} (ms):`, summary.p90),
    row(`P99 ${short} (ms):`, summary.p99),
  ];
}

export interface ReportHeader {
  maxConcurrency: number | null;
  requestRate: number;
}

export function formatReport(metrics: BenchMetrics, header: ReportHeader): string {
  return [
    heading(" Serving Benchmark Result ", "="),
    row("Successful requests:", metrics.completed, 0),
    row("Failed requests:", metrics.failed, 0),
    row("Maximum request concurrency:", header.maxConcurrency === null ? "unlimited" : String(header.maxConcurrency)),
    row("Request rate (req/s):", header.requestRate === Infinity ? "inf" : header.requestRate.toFixed(2)),
    row("Benchmark duration (s):", metrics.durationS),
    row("Total input tokens:", metrics.totalInputTokens, 0),
    row("Total generated tokens:", metrics.totalOutputTokens, 0),
    row("Request throughput (req/s):", metrics.requestThroughput),
    row("Output token throughput (tok/s):", metrics.outputThroughput),
    row("Total token throughput (tok/s):", metrics.totalTokenThroughput),
    ...latencyRows("Time to First Token", "TTFT", metrics.ttftMs),
    ...latencyRows("Time per Output Token (excl. 1st token)", "TPOT", metrics.tpotMs),
    ...latencyRows("Inter-token Latency", "ITL", metrics.itlMs),
    ...latencyRows("End-to-end Latency", "E2EL", metrics.e2eMs),
    "=".repeat(WIDTH),
  ].join("\n");
}

/** JSON.stringify replacer: NaN and Infinity become null (JSON has neither); fractions rounded to 3 decimals. */
export function jsonNumbers(_key: string, value: unknown): unknown {
  if (typeof value !== "number") return value;
  if (!Number.isFinite(value)) return null;
  return Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
}
