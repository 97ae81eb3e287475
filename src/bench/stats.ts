/**
 * Pure metric math for `pagoda bench serve`, with vLLM's definitions
 * (`vllm/benchmarks/serve.py`, `calculate_metrics`):
 *
 * - TTFT: request start to the first chunk that carries generated text (not the role chunk).
 * - E2E: request start to the end of the stream.
 * - TPOT: (E2E - TTFT) / (output_tokens - 1), only for requests with more than one output token.
 * - ITL: the gaps between consecutive content chunks, pooled over all requests
 *   (one chunk is about one token on both pagoda and llama-server).
 * - Throughputs: successful requests, output tokens, and input + output tokens per
 *   second of benchmark duration (first request sent to last one finished).
 *
 * All times are milliseconds.
 */

export interface Summary {
  count: number;
  mean: number;
  std: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * The p-th percentile (0 <= p <= 100) by linear interpolation between closest ranks,
 * numpy's default (`np.percentile(..., method="linear")`): with the values sorted
 * ascending as x[0..n-1], rank = p/100 * (n-1), and the result is
 * x[floor(rank)] + (rank - floor(rank)) * (x[floor(rank)+1] - x[floor(rank)]).
 * NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileOfSorted(sorted, p);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Mean, population standard deviation (numpy's default ddof=0), median, p90, p99, min, max. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: NaN, std: NaN, median: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN };
  const m = mean(sorted);
  let squares = 0;
  for (const v of sorted) squares += (v - m) ** 2;
  return {
    count: n,
    mean: m,
    std: Math.sqrt(squares / n),
    median: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    min: sorted[0],
    max: sorted[n - 1],
  };
}

/** What the client measured for one request; times are on one monotonic clock. */
export interface RequestTiming {
  isSuccess: boolean;
  startMs: number;
  endMs: number;
  /** Arrival time of every chunk that carried generated text, ascending. */
  contentChunkTimesMs: readonly number[];
  promptTokens: number;
  outputTokens: number;
}

export interface RequestMetrics {
  /** Undefined when no content chunk arrived. */
  ttftMs: number | undefined;
  e2eMs: number;
  /** Undefined with fewer than two output tokens. */
  tpotMs: number | undefined;
  itlsMs: number[];
}

export function ttftMs(timing: RequestTiming): number | undefined {
  const first = timing.contentChunkTimesMs[0];
  return first === undefined ? undefined : first - timing.startMs;
}

/** (e2e - ttft) / (outputTokens - 1): the mean decode time per token after the first. */
export function tpotMs(e2eMs: number, ttft: number | undefined, outputTokens: number): number | undefined {
  if (ttft === undefined || outputTokens < 2) return undefined;
  return (e2eMs - ttft) / (outputTokens - 1);
}

/** Gaps between consecutive chunk timestamps. */
export function interTokenLatencies(chunkTimesMs: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < chunkTimesMs.length; i++) gaps.push(chunkTimesMs[i] - chunkTimesMs[i - 1]);
  return gaps;
}

export function requestMetrics(timing: RequestTiming): RequestMetrics {
  const ttft = ttftMs(timing);
  const e2e = timing.endMs - timing.startMs;
  return { ttftMs: ttft, e2eMs: e2e, tpotMs: tpotMs(e2e, ttft, timing.outputTokens), itlsMs: interTokenLatencies(timing.contentChunkTimesMs) };
}

export interface BenchMetrics {
  completed: number;
  failed: number;
  durationS: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  outputThroughput: number;
  totalTokenThroughput: number;
  ttftMs: Summary;
  tpotMs: Summary;
  itlMs: Summary;
  e2eMs: Summary;
}

/** Aggregates successful requests; failed ones only count in `failed`. */
export function benchMetrics(timings: readonly RequestTiming[], durationMs: number): BenchMetrics {
  const ok = timings.filter((t) => t.isSuccess);
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const itls: number[] = [];
  const e2es: number[] = [];
  let totalInputTokens = 0;
  let totalOutputTokens = 0;
  for (const timing of ok) {
    const m = requestMetrics(timing);
    if (m.ttftMs !== undefined) ttfts.push(m.ttftMs);
    if (m.tpotMs !== undefined) tpots.push(m.tpotMs);
    for (const gap of m.itlsMs) itls.push(gap);
    e2es.push(m.e2eMs);
    totalInputTokens += timing.promptTokens;
    totalOutputTokens += timing.outputTokens;
  }
  const durationS = durationMs / 1000;
  const perSecond = (n: number) => (durationS > 0 ? n / durationS : NaN);
  return {
    completed: ok.length,
    failed: timings.length - ok.length,
    durationS,
    totalInputTokens,
    totalOutputTokens,
    requestThroughput: perSecond(ok.length),
    outputThroughput: perSecond(totalOutputTokens),
    totalTokenThroughput: perSecond(totalInputTokens + totalOutputTokens),
    ttftMs: summarize(ttfts),
    tpotMs: summarize(tpots),
    itlMs: summarize(itls),
    e2eMs: summarize(e2es),
  };
}
