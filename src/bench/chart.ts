/**
 * The chart of `pagoda bench compare` (and `npm run bench:peer`), as hand-written
 * SVG: two panels over a log2 concurrency axis, output tok/s (a line with markers
 * per target) and TTFT p50 (solid, filled markers) and p99 (dashed, hollow
 * markers) in ms. Pure: data in, SVG text out.
 */
import { metricValue, type CompareResults } from "./compare-table.js";

export interface ChartPoint {
  concurrency: number;
  outputThroughput: number | null;
  ttftP50Ms: number | null;
  ttftP99Ms: number | null;
}

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
}

export interface ChartOptions {
  title?: string;
}

/** Tableau 10: distinct on white, and for the usual colour blindnesses in the first few. */
const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

const WIDTH = 1000;
const HEIGHT = 460;
const PLOT_TOP = 100;
const PLOT_HEIGHT = 280;
const PLOT_WIDTH = 390;
const PANEL_LEFT = [80, 580];
/** Room between the plot edges and the first/last concurrency. */
const X_INSET = 24;

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** Coordinates with at most 1 decimal, no "-0". */
function n(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return String(rounded === 0 ? 0 : rounded);
}

/** A "nice" axis from 0: a step of 1, 2 or 5 × 10^k giving about `count` ticks up to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 0.2, 0.4, 0.6, 0.8, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const tick = Number((i * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

function tickLabel(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

function finite(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

interface Panel {
  id: string;
  title: string;
  yLabel: string;
  left: number;
  /** The lines of the panel: which value, dashed or not. */
  lines: Array<{ stat: string; value: (p: ChartPoint) => number | null; isDashed: boolean; unit: string }>;
}

/** The SVG text (a complete document, UTF-8, no external references). */
export function renderCompareChart(series: readonly ChartSeries[], options: ChartOptions = {}): string {
  const clean = series.map((s) => ({ name: s.name, points: [...s.points].filter((p) => finite(p.concurrency) && p.concurrency > 0).sort((a, b) => a.concurrency - b.concurrency) }));
  const concurrencies = [...new Set(clean.flatMap((s) => s.points.map((p) => p.concurrency)))].sort((a, b) => a - b);
  const lo = concurrencies.length > 0 ? Math.log2(concurrencies[0]) : 0;
  const hi = concurrencies.length > 0 ? Math.log2(concurrencies[concurrencies.length - 1]) : 1;
  const xOf = (left: number, c: number) =>
    hi === lo ? left + PLOT_WIDTH / 2 : left + X_INSET + ((Math.log2(c) - lo) / (hi - lo)) * (PLOT_WIDTH - 2 * X_INSET);

  const panels: Panel[] = [
    {
      id: "throughput",
      title: "Output throughput",
      yLabel: "output tok/s",
      left: PANEL_LEFT[0],
      lines: [{ stat: "value", value: (p) => p.outputThroughput, isDashed: false, unit: "tok/s" }],
    },
    {
      id: "ttft",
      title: "Time to first token: p50 (solid), p99 (dashed)",
      yLabel: "TTFT (ms)",
      left: PANEL_LEFT[1],
      lines: [
        { stat: "p50", value: (p) => p.ttftP50Ms, isDashed: false, unit: "ms TTFT p50" },
        { stat: "p99", value: (p) => p.ttftP99Ms, isDashed: true, unit: "ms TTFT p99" },
      ],
    },
  ];

  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title ?? "Output throughput and TTFT vs concurrency")}</text>`);

  // Legend: a swatch (line + marker) per target, then the p50/p99 key.
  out.push(`<g class="legend">`);
  let legendX = 80;
  const legendY = 52;
  clean.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    out.push(`<line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<circle cx="${legendX + 12}" cy="${legendY}" r="3.5" fill="${color}"/>`);
    out.push(`<text x="${legendX + 30}" y="${legendY + 4}">${escapeXml(s.name)}</text>`);
    legendX += 30 + Math.max(40, s.name.length * 7) + 20;
  });
  out.push(`<line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="#555555" stroke-width="2"/>`);
  out.push(`<text x="${legendX + 30}" y="${legendY + 4}">p50</text>`);
  legendX += 70;
  out.push(`<line x1="${legendX}" y1="${legendY}" x2="${legendX + 24}" y2="${legendY}" stroke="#555555" stroke-width="2" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${legendX + 30}" y="${legendY + 4}">p99 (TTFT)</text>`);
  out.push(`</g>`);

  const bottom = PLOT_TOP + PLOT_HEIGHT;
  for (const panel of panels) {
    const values = clean.flatMap((s) => s.points.flatMap((p) => panel.lines.map((l) => l.value(p)))).filter(finite);
    const ticks = niceTicks(values.length > 0 ? Math.max(...values) : 0);
    const yMax = ticks[ticks.length - 1];
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    const yOf = (v: number) => bottom - (v / yMax) * PLOT_HEIGHT;
    const { left } = panel;
    const right = left + PLOT_WIDTH;

    out.push(`<g class="panel" id="${panel.id}">`);
    out.push(`<text x="${left + PLOT_WIDTH / 2}" y="${PLOT_TOP - 12}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    // y axis: grid lines, ticks and labels.
    out.push(`<g class="y-axis">`);
    for (const tick of ticks) {
      const y = n(yOf(tick));
      out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<line x1="${left - 5}" y1="${y}" x2="${left}" y2="${y}" stroke="#333333"/>`);
      out.push(`<text class="tick" x="${left - 8}" y="${n(yOf(tick) + 4)}" text-anchor="end">${tickLabel(tick, step)}</text>`);
    }
    out.push(`<line x1="${left}" y1="${PLOT_TOP}" x2="${left}" y2="${bottom}" stroke="#333333"/>`);
    const labelX = left - 55;
    const labelY = PLOT_TOP + PLOT_HEIGHT / 2;
    out.push(`<text class="axis-label" x="${labelX}" y="${labelY}" text-anchor="middle" transform="rotate(-90 ${labelX} ${labelY})">${escapeXml(panel.yLabel)}</text>`);
    out.push(`</g>`);
    // x axis: a tick per measured concurrency, labels thinned when they would overlap.
    out.push(`<g class="x-axis">`);
    out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333"/>`);
    let lastLabelX = -Infinity;
    for (const c of concurrencies) {
      const x = xOf(left, c);
      out.push(`<line x1="${n(x)}" y1="${bottom}" x2="${n(x)}" y2="${bottom + 5}" stroke="#333333"/>`);
      if (x - lastLabelX >= 22) {
        out.push(`<text class="tick" x="${n(x)}" y="${bottom + 18}" text-anchor="middle">${c}</text>`);
        lastLabelX = x;
      }
    }
    out.push(`<text class="axis-label" x="${left + PLOT_WIDTH / 2}" y="${bottom + 40}" text-anchor="middle">concurrency (log2 scale)</text>`);
    out.push(`</g>`);
    // Data: per target and line, polylines broken at missing points, then the markers.
    clean.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      for (const line of panel.lines) {
        const segments: string[][] = [[]];
        for (const p of s.points) {
          const v = line.value(p);
          if (finite(v)) segments[segments.length - 1].push(`${n(xOf(left, p.concurrency))},${n(yOf(v))}`);
          else if (segments[segments.length - 1].length > 0) segments.push([]);
        }
        const dash = line.isDashed ? ` stroke-dasharray="6 4"` : "";
        for (const segment of segments) {
          if (segment.length > 1) out.push(`<polyline class="line" data-series="${i}" data-stat="${line.stat}" points="${segment.join(" ")}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
        }
        for (const p of s.points) {
          const v = line.value(p);
          if (!finite(v)) continue;
          const fill = line.isDashed ? "#ffffff" : color;
          out.push(
            `<circle class="point" data-series="${i}" data-stat="${line.stat}" data-concurrency="${p.concurrency}" cx="${n(xOf(left, p.concurrency))}" cy="${n(yOf(v))}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5">` +
              `<title>${escapeXml(`${s.name} C=${p.concurrency}: ${v.toFixed(v >= 100 ? 0 : 1)} ${line.unit}`)}</title></circle>`,
          );
        }
      }
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}

/** Chart series from saved results: results[target][concurrency] as `bench serve --save-result` writes them. */
export function chartSeriesFromResults(targets: readonly string[], concurrencies: readonly number[], results: CompareResults): ChartSeries[] {
  return targets.map((name) => ({
    name,
    points: concurrencies.map((concurrency) => {
      const result = results[name]?.[concurrency];
      return {
        concurrency,
        outputThroughput: metricValue(result, "output_throughput"),
        ttftP50Ms: metricValue(result, "median_ttft_ms"),
        ttftP99Ms: metricValue(result, "p99_ttft_ms"),
      };
    }),
  }));
}
