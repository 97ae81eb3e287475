/**
 * A minimal Prometheus metrics registry: counters, gauges and histograms with
 * labels, rendered in the text exposition format 0.0.4 (HELP and TYPE lines,
 * histograms as cumulative `_bucket{le=...}` plus `_sum` and `_count`).
 *
 * Families render in registration order, and a family's series in the order
 * they were first touched. Counter and gauge names are the full sample names
 * (a counter's usually ends in `_total`, as in prometheus_client's 0.0.4 output).
 */

export type Labels = Readonly<Record<string, string>>;

type MetricType = "counter" | "gauge" | "histogram";

/** Label values escaped as the format asks: backslash, double quote, newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * A bucket bound as prometheus_client (and so vLLM) writes it: floats keep a
 * decimal point (`le="1.0"`, `le="0.25"`), the last bucket is `le="+Inf"`.
 */
export function formatBound(bound: number): string {
  if (!Number.isFinite(bound)) return formatValue(bound);
  return Number.isInteger(bound) && Math.abs(bound) < 1e16 ? bound.toFixed(1) : String(bound);
}

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels));
}

abstract class Family<Series> {
  protected readonly series = new Map<string, { labels: Labels; value: Series }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
  ) {}

  protected abstract initial(): Series;

  protected get(labels: Labels): Series {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, value: this.initial() };
      this.series.set(key, entry);
    }
    return entry.value;
  }

  /** Makes the series exist (at zero) so it is exported before its first event. */
  touch(labels: Labels): void {
    this.get(labels);
  }

  protected abstract samples(labels: Labels, value: Series): string[];

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.series.values()) lines.push(...this.samples(labels, value));
    return lines.join("\n") + "\n";
  }
}

export class Counter extends Family<{ value: number }> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }

  protected initial() {
    return { value: 0 };
  }

  inc(labels: Labels, amount = 1): void {
    if (!(amount >= 0)) throw new RangeError(`${this.name}: a counter only goes up (got ${amount})`);
    this.get(labels).value += amount;
  }

  /** For counters kept elsewhere (e.g. the engine's totals), copied in at scrape time. */
  set(labels: Labels, value: number): void {
    this.get(labels).value = value;
  }

  protected samples(labels: Labels, series: { value: number }): string[] {
    return [`${this.name}${formatLabels(labels)} ${formatValue(series.value)}`];
  }
}

export class Gauge extends Family<{ value: number }> {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }

  protected initial() {
    return { value: 0 };
  }

  set(labels: Labels, value: number): void {
    this.get(labels).value = value;
  }

  protected samples(labels: Labels, series: { value: number }): string[] {
    return [`${this.name}${formatLabels(labels)} ${formatValue(series.value)}`];
  }
}

interface HistogramSeries {
  /** Per bucket (not cumulative); the last is the +Inf overflow. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Family<HistogramSeries> {
  readonly buckets: readonly number[];

  /** `buckets`: the finite upper bounds, ascending; `+Inf` is added. */
  constructor(name: string, help: string, buckets: readonly number[]) {
    super(name, help, "histogram");
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) throw new RangeError(`${name}: buckets must be strictly ascending`);
    }
    this.buckets = buckets.filter((b) => b !== Infinity);
  }

  protected initial(): HistogramSeries {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    const series = this.get(labels);
    let index = this.buckets.findIndex((bound) => value <= bound);
    if (index < 0) index = this.buckets.length;
    series.counts[index] += 1;
    series.sum += value;
    series.count += 1;
  }

  protected samples(labels: Labels, series: HistogramSeries): string[] {
    const lines: string[] = [];
    let cumulative = 0;
    [...this.buckets, Infinity].forEach((bound, i) => {
      cumulative += series.counts[i];
      lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: formatBound(bound) })} ${cumulative}`);
    });
    lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(series.sum)}`);
    lines.push(`${this.name}_count${formatLabels(labels)} ${series.count}`);
    return lines;
  }
}

export class Registry {
  private readonly families: { readonly name: string; render(): string }[] = [];

  private add<F extends { readonly name: string; render(): string }>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} is already registered`);
    this.families.push(family);
    return family;
  }

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  /** The whole registry as Prometheus text 0.0.4. */
  render(): string {
    return this.families.map((family) => family.render()).join("");
  }
}
