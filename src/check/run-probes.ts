/**
 * Runs probes at most `concurrency` at a time, each under its own timeout,
 * and turns what each one threw into its status. Results come back in the
 * probes' order whatever order they finished in.
 */
import { CheckClient } from "./http-client.js";
import { ProbeFailure, ProbeSkipped, ProbeUnsupported, type Evidence, type Probe, type ProbeContext, type ProbeStatus } from "./probe.js";

export interface ProbeResult {
  probe: Probe;
  status: ProbeStatus;
  /** Why it was UNSUPPORTED or SKIPped, or the failure's expectation. */
  reason?: string;
  evidence?: Evidence;
}

export interface RunOptions {
  client: CheckClient;
  model: string;
  embeddingModel: string;
  apiKey: string | undefined;
  concurrency: number;
  timeoutMs: number;
  /** Called as each probe finishes (for a progress bar). */
  onResult?: (result: ProbeResult, numDone: number, numTotal: number) => void;
}

export async function runProbes(probes: readonly Probe[], options: RunOptions): Promise<ProbeResult[]> {
  const memos = new Map<string, Promise<unknown>>();
  const memo = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    if (!memos.has(key)) {
      const made = make();
      memos.set(key, made);
      made.catch(() => memos.delete(key)); // a timed-out reference is retried by the next probe, not shared as a failure
    }
    return memos.get(key) as Promise<T>;
  };
  const results: ProbeResult[] = new Array(probes.length);
  let next = 0;
  let numDone = 0;
  const worker = async () => {
    while (next < probes.length) {
      const index = next++;
      const probe = probes[index];
      results[index] = await runOne(probe, options, memo);
      options.onResult?.(results[index], ++numDone, probes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, probes.length)) }, worker));
  return results;
}

async function runOne(probe: Probe, options: RunOptions, memo: ProbeContext["memo"]): Promise<ProbeResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${options.timeoutMs / 1000} s (--timeout)`)), options.timeoutMs);
  const context: ProbeContext = { client: options.client.withSignal(controller.signal), model: options.model, embeddingModel: options.embeddingModel, apiKey: options.apiKey, memo };
  try {
    await Promise.race([probe.run(context), aborted(controller.signal)]);
    return { probe, status: "PASS" };
  } catch (error) {
    return resultOf(probe, error, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects when the signal aborts: a probe awaiting a shared memo still times out. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

function resultOf(probe: Probe, error: unknown, signal: AbortSignal): ProbeResult {
  if (error instanceof ProbeFailure) return { probe, status: "FAIL", reason: error.evidence.expected, evidence: error.evidence };
  if (error instanceof ProbeUnsupported) return { probe, status: "UNSUPPORTED", reason: error.message };
  if (error instanceof ProbeSkipped) return { probe, status: "SKIP", reason: error.message };
  const reason = signal.aborted && signal.reason instanceof Error ? signal.reason.message : describeError(error);
  return { probe, status: "FAIL", reason, evidence: { expected: "an answer", got: reason } };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
