/**
 * Graceful shutdown, as `vllm serve --shutdown-timeout`: on the first SIGTERM
 * or SIGINT the server stops accepting requests (new ones get 503 with
 * Retry-After) and lets the ones in flight finish for up to the timeout; then
 * the engine aborts whatever is left (streams end with finish_reason "abort"
 * and `data: [DONE]`), the answers get a short while to flush, and everything
 * closes. A second signal cuts the drain short: abort at once.
 *
 * The clock is injected (`delay`), so the sequence is unit-testable.
 */

export interface ShutdownTargets {
  http: {
    readonly numInFlight: number;
    startDraining(): void;
    whenIdle(): Promise<void>;
    close(): void;
  };
  /** Aborts every request and resolves when the engine loop has ended. */
  stopEngine(): Promise<void>;
  closeRunner(): Promise<void>;
}

export interface Delay {
  promise: Promise<void>;
  cancel(): void;
}

export interface ShutdownOptions {
  /** How long in-flight requests may take to finish; 0 aborts them at once. */
  timeoutMs: number;
  /** After the abort, how long the aborted answers may take to reach their clients. */
  abortFlushMs: number;
  delay: (ms: number) => Delay;
  log: (line: string) => void;
}

export type ShutdownPhase = "serving" | "draining" | "aborting" | "closed";

export class GracefulShutdown {
  private phasePrivate: ShutdownPhase = "serving";
  private abortNow: () => void = () => {};
  private finished: Promise<void> | null = null;

  constructor(
    private readonly targets: ShutdownTargets,
    private readonly options: ShutdownOptions,
  ) {}

  get phase(): ShutdownPhase {
    return this.phasePrivate;
  }

  /** The first call starts the shutdown; a later one while draining aborts at once. Resolves when all is closed. */
  request(reason: string): Promise<void> {
    if (this.finished === null) {
      this.finished = this.run(reason);
    } else if (this.phasePrivate === "draining") {
      this.options.log(`pagoda: ${reason} again: aborting the requests in flight now`);
      this.abortNow();
    }
    return this.finished;
  }

  private async run(reason: string): Promise<void> {
    const { http } = this.targets;
    const { timeoutMs, log } = this.options;
    this.phasePrivate = "draining";
    http.startDraining();
    const numInFlight = http.numInFlight;
    const waiting = numInFlight > 0 && timeoutMs > 0
      ? `; waiting up to ${timeoutMs / 1000} s for ${numInFlight} request(s) in flight (${reason} again aborts them)`
      : "";
    log(`pagoda: ${reason}: shutting down, new requests get 503${waiting}`);
    const forced = new Promise<"aborted">((resolve) => (this.abortNow = () => resolve("aborted")));
    const timer = this.options.delay(timeoutMs);
    const outcome = await Promise.race([
      http.whenIdle().then(() => "drained" as const),
      timer.promise.then(() => "timed out" as const),
      forced,
    ]);
    timer.cancel();
    this.phasePrivate = "aborting";
    if (outcome !== "drained") log(`pagoda: aborting ${http.numInFlight} request(s) still in flight`);
    await this.targets.stopEngine();
    if (outcome !== "drained") {
      const flush = this.options.delay(this.options.abortFlushMs);
      await Promise.race([http.whenIdle(), flush.promise]);
      flush.cancel();
    }
    http.close();
    await this.targets.closeRunner();
    this.phasePrivate = "closed";
    log("pagoda: stopped");
  }
}

/** `delay` on real timers. */
export function timerDelay(ms: number): Delay {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}
