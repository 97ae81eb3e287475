/**
 * The dashboard's time series, pure: each engine snapshot becomes one point
 * per model (rates from the difference to the previous snapshot), kept for
 * the last `maxPoints` snapshots.
 */
import type { EngineSnapshot, ModelSnapshot } from "../metrics/engine-snapshot.js";

export interface Point {
  /** Seconds since the epoch (uPlot's x axis). */
  t: number;
  running: number;
  waiting: number;
  slotsInUse: number;
  promptTokensPerSecond: number | null;
  generationTokensPerSecond: number | null;
  /** Prefix-cache hits over tokens looked up since the previous point; null when none were. */
  prefixHitRate: number | null;
  ttftP50: number | null;
  ttftP90: number | null;
  ttftP99: number | null;
  itlP50: number | null;
  itlP99: number | null;
  e2eP50: number | null;
  e2eP99: number | null;
}

export class SeriesHistory {
  private readonly points = new Map<string, Point[]>();
  private readonly previous = new Map<string, { time: number; model: ModelSnapshot }>();

  constructor(private readonly maxPoints = 300) {}

  add(snapshot: EngineSnapshot): void {
    for (const model of snapshot.models) {
      const before = this.previous.get(model.name);
      const seconds = before ? (snapshot.time - before.time) / 1000 : 0;
      const rate = (now: number, then: number | undefined) => (before && seconds > 0 ? Math.max(0, now - (then ?? 0)) / seconds : null);
      const queried = model.stats.prefixCacheQueriedTokens - (before?.model.stats.prefixCacheQueriedTokens ?? 0);
      const hits = model.stats.prefixCacheHitTokens - (before?.model.stats.prefixCacheHitTokens ?? 0);
      const { latency } = model;
      const point: Point = {
        t: snapshot.time / 1000,
        running: model.stats.numRunning,
        waiting: model.stats.numWaiting,
        slotsInUse: model.stats.numSlotsInUse,
        promptTokensPerSecond: rate(model.stats.promptTokensTotal, before?.model.stats.promptTokensTotal),
        generationTokensPerSecond: rate(model.stats.generationTokensTotal, before?.model.stats.generationTokensTotal),
        prefixHitRate: before && queried > 0 ? hits / queried : null,
        ttftP50: latency.timeToFirstTokenMs?.p50 ?? null,
        ttftP90: latency.timeToFirstTokenMs?.p90 ?? null,
        ttftP99: latency.timeToFirstTokenMs?.p99 ?? null,
        itlP50: latency.interTokenMs?.p50 ?? null,
        itlP99: latency.interTokenMs?.p99 ?? null,
        e2eP50: latency.endToEndMs?.p50 ?? null,
        e2eP99: latency.endToEndMs?.p99 ?? null,
      };
      const list = this.points.get(model.name) ?? [];
      list.push(point);
      if (list.length > this.maxPoints) list.splice(0, list.length - this.maxPoints);
      this.points.set(model.name, list);
      this.previous.set(model.name, { time: snapshot.time, model });
    }
  }

  of(modelName: string): readonly Point[] {
    return this.points.get(modelName) ?? [];
  }

  /** uPlot's column data: [x, ...one column per key]. */
  columns(modelName: string, keys: ReadonlyArray<keyof Point>): Array<Array<number | null>> {
    const points = this.of(modelName);
    return [points.map((point) => point.t), ...keys.map((key) => points.map((point) => point[key]))];
  }
}
