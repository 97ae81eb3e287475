/**
 * What the web page's dashboard reads once a second (GET /v1/engine/snapshots):
 * each served model's engine stats, its most recent finished requests and the
 * latency percentiles over the last minute. pagoda's own format (camelCase),
 * not an OpenAI one. Prompt text is never part of it.
 */
import type { EngineStats, RequestTimings } from "../engine/types.js";

/** A finished request's timings, its inter-token gaps summed up as their mean. */
export interface FinishedRequest extends Omit<RequestTimings, "interTokenLatenciesMs"> {
  meanInterTokenMs: number | null;
  /** Epoch milliseconds. */
  finishedAt: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

export interface LatencySummary {
  /** Requests finished inside the window. */
  numRequests: number;
  windowMs: number;
  timeToFirstTokenMs: Percentiles | null;
  interTokenMs: Percentiles | null;
  endToEndMs: Percentiles | null;
}

export interface ModelSnapshot {
  /** The first served name; `aliases` are the others. */
  name: string;
  aliases: string[];
  /** The base model's name for a LoRA adapter, else null. */
  parent: string | null;
  isLoaded: boolean;
  maxModelLen: number;
  maxNumSeqs: number;
  threads: number;
  fileBytes: number;
  stats: EngineStats;
  latency: LatencySummary;
  recentRequests: FinishedRequest[];
}

export interface EngineSnapshot {
  /** Epoch milliseconds when taken. */
  time: number;
  version: string;
  models: ModelSnapshot[];
  memoryBudget: { maxLoadedModels: number | null; maxLoadedBytes: number | null };
}

/** Nearest-rank percentiles; null for no values. */
export function percentilesOf(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { p50: rank(50), p90: rank(90), p99: rank(99) };
}

/** Inter-token gaps kept per request: a long reply is sampled evenly rather than kept whole. */
const maxGapsPerRequest = 256;

/** A bounded ring of a model's finished requests, newest last. */
export class RecentRequests {
  private readonly entries: Array<{ request: FinishedRequest; gaps: number[] }> = [];

  constructor(
    private readonly capacity = 200,
    private readonly now: () => number = Date.now,
  ) {}

  add(timings: RequestTimings): void {
    const { interTokenLatenciesMs: gaps, ...rest } = timings;
    const meanInterTokenMs = gaps.length === 0 ? null : gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    const stride = Math.max(1, Math.ceil(gaps.length / maxGapsPerRequest));
    this.entries.push({
      request: { ...rest, meanInterTokenMs, finishedAt: this.now() },
      gaps: gaps.filter((_, index) => index % stride === 0),
    });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** Newest first, at most `limit`. */
  latest(limit: number): FinishedRequest[] {
    return this.entries.slice(-limit).reverse().map((entry) => entry.request);
  }

  /** Percentiles over the requests that finished in the last `windowMs`. */
  summary(windowMs: number): LatencySummary {
    const since = this.now() - windowMs;
    const inWindow = this.entries.filter((entry) => entry.request.finishedAt >= since);
    return {
      numRequests: inWindow.length,
      windowMs,
      timeToFirstTokenMs: percentilesOf(inWindow.flatMap((entry) => entry.request.timeToFirstTokenMs ?? [])),
      interTokenMs: percentilesOf(inWindow.flatMap((entry) => entry.gaps)),
      endToEndMs: percentilesOf(inWindow.map((entry) => entry.request.endToEndMs)),
    };
  }
}
