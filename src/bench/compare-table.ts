/**
 * The markdown tables of `pagoda bench compare`: one table per metric group, a
 * row per concurrency, the targets side by side and, with exactly two targets,
 * the ratio first/second. Pure: reads the saved result JSON of each run (vLLM's
 * field names, as `bench serve --save-result` writes them).
 */

/** One run's saved result JSON (`resultJson` after `jsonNumbers`: NaN is null). */
export type ResultRecord = Readonly<Record<string, unknown>>;

/** results[target][concurrency]: the run's result, or undefined/null when it did not complete. */
export type CompareResults = Readonly<Record<string, Readonly<Record<number, ResultRecord | null | undefined>>>>;

export interface CompareMetric {
  /** The field of the result JSON. */
  key: string;
  label: string;
  group: string;
  isHigherBetter: boolean;
}

export const compareMetrics: readonly CompareMetric[] = [
  { key: "output_throughput", label: "out tok/s", group: "Throughput", isHigherBetter: true },
  { key: "request_throughput", label: "req/s", group: "Throughput", isHigherBetter: true },
  { key: "median_ttft_ms", label: "TTFT p50", group: "Time to first token (ms)", isHigherBetter: false },
  { key: "p99_ttft_ms", label: "TTFT p99", group: "Time to first token (ms)", isHigherBetter: false },
  { key: "median_tpot_ms", label: "TPOT p50", group: "Time per output token (ms)", isHigherBetter: false },
  { key: "median_itl_ms", label: "ITL p50", group: "Inter-token latency (ms)", isHigherBetter: false },
  { key: "p99_itl_ms", label: "ITL p99", group: "Inter-token latency (ms)", isHigherBetter: false },
  { key: "median_e2el_ms", label: "E2E p50", group: "End-to-end latency (ms)", isHigherBetter: false },
];

/** A finite number field of a result, else null. */
export function metricValue(result: ResultRecord | null | undefined, key: string): number | null {
  const value = result?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** Three significant-ish figures: 1234 -> "1234", 123.4 -> "123", 12.34 -> "12.3", 1.234 -> "1.23"; null -> "n/a". */
export function formatValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

export function formatRatio(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(2);
}

/** A markdown table with columns padded to equal width; `align` per column ("l" or "r"). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ("l" | "r")[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  const cells = [header, ...rows].map((row) => row.map(escape));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    `| ${widths.map((w, i) => (align[i] === "r" ? (row[i] ?? "").padStart(w) : (row[i] ?? "").padEnd(w))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

export interface CompareTableInput {
  targets: readonly string[];
  /** Ascending. */
  concurrencies: readonly number[];
  results: CompareResults;
}

/** Metric groups in first-seen order. */
export function metricGroups(metrics: readonly CompareMetric[] = compareMetrics): Array<{ group: string; metrics: CompareMetric[] }> {
  const groups: Array<{ group: string; metrics: CompareMetric[] }> = [];
  for (const metric of metrics) {
    const found = groups.find((g) => g.group === metric.group);
    if (found) found.metrics.push(metric);
    else groups.push({ group: metric.group, metrics: [metric] });
  }
  return groups;
}

/** One group's table: `C`, then per metric a column per target (and first/second with two targets). */
export function groupTable(input: CompareTableInput, metrics: readonly CompareMetric[]): string {
  const { targets, concurrencies, results } = input;
  const isPair = targets.length === 2;
  const header = ["C"];
  for (const metric of metrics) {
    for (const target of targets) header.push(targets.length === 1 ? metric.label : `${metric.label} ${target}`);
    if (isPair) header.push(`${targets[0]}/${targets[1]}`);
  }
  const rows = concurrencies.map((c) => {
    const row = [String(c)];
    for (const metric of metrics) {
      const values = targets.map((t) => metricValue(results[t]?.[c], metric.key));
      row.push(...values.map(formatValue));
      if (isPair) row.push(formatRatio(ratio(values[0], values[1])));
    }
    return row;
  });
  return markdownTable(header, rows, header.map(() => "r"));
}

/** The runs: prompts and seed of each concurrency, completed/failed requests per target. */
export function runsTable(input: CompareTableInput): string {
  const { targets, concurrencies, results } = input;
  const header = ["C", "prompts", "seed", ...targets.map((t) => `ok/failed ${t}`)];
  const rows = concurrencies.map((c) => {
    const first = targets.map((t) => results[t]?.[c]).find((r) => r);
    const count = (r: ResultRecord | null | undefined) => {
      const completed = metricValue(r, "completed");
      const failed = metricValue(r, "failed");
      return completed === null || failed === null ? "not run" : `${completed}/${failed}`;
    };
    return [String(c), first ? String(metricValue(first, "num_prompts") ?? "?") : "?", first ? String(metricValue(first, "seed") ?? "?") : "?", ...targets.map((t) => count(results[t]?.[c]))];
  });
  return markdownTable(header, rows, header.map(() => "r"));
}

/** Every table, with a heading each (markdown `###`), separated by blank lines. */
export function formatCompareTables(input: CompareTableInput, metrics: readonly CompareMetric[] = compareMetrics): string {
  const parts = ["### Runs", "", runsTable(input)];
  for (const { group, metrics: groupMetrics } of metricGroups(metrics)) {
    const better = groupMetrics[0].isHigherBetter ? "higher is better" : "lower is better";
    parts.push("", `### ${group}`, "", `${better}${input.targets.length === 2 ? `; ${input.targets[0]}/${input.targets[1]} ${groupMetrics[0].isHigherBetter ? "above" : "below"} 1 favours ${input.targets[0]}` : ""}`, "", groupTable(input, groupMetrics));
  }
  return parts.join("\n");
}
