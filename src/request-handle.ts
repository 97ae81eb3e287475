/**
 * One request's lifetime, from the HTTP front down to the engine: its id, the
 * signal that cancels its work, a logger bound to its id, and `onDone`, which
 * fires once the transport is done with it (response sent or connection
 * closed) AND every generation it started has left the engine. http/ creates
 * it; the engine ties each generation to it; the model lease and the request
 * log subscribe to its end. Nothing here knows HTTP.
 */
import type { RequestTimings } from "./engine/types.js";
import { serverLog, type Logger } from "./logger.js";

/** A generation as it left the engine: its numbers, and its prompt as the model saw it (rendered only when logged). */
export interface FinishedGeneration {
  timings: RequestTimings;
  renderPrompt: () => string;
}

export class RequestHandle {
  readonly log: Logger;
  /** Whether `id` came from the client's X-Request-Id header (which wins over a body `request_id`, as in vLLM). */
  readonly hasClientId: boolean;
  /** Every generation the request started, in start order; null until it has left the engine. */
  readonly generations: Array<FinishedGeneration | null> = [];
  private readonly canceller = new AbortController();
  private readonly doneListeners: Array<() => void> = [];
  private isEnded = false;
  private isDone = false;

  constructor(
    /**
     * The request's id for the engine and the logs: the client's X-Request-Id
     * or one made up by http/. Response `id` fields stay OpenAI-style and separate.
     */
    readonly id: string,
    options: { log?: Logger; hasClientId?: boolean } = {},
  ) {
    this.log = (options.log ?? serverLog).child({ requestId: id });
    this.hasClientId = options.hasClientId ?? false;
  }

  /** Aborted when the request's work is to stop: the client went away, or its Responses API response was cancelled. */
  get signal(): AbortSignal {
    return this.canceller.signal;
  }

  cancel(): void {
    this.canceller.abort();
  }

  /** A generation starts: the request is not done until the returned function reports it finished. */
  startGeneration(): (finished: FinishedGeneration) => void {
    const index = this.generations.push(null) - 1;
    let isReported = false;
    return (finished) => {
      if (isReported) return;
      isReported = true;
      this.generations[index] = finished;
      this.settle();
    };
  }

  /** The transport is done with the request (response sent, or the connection closed). */
  end(): void {
    this.isEnded = true;
    this.settle();
  }

  /** Calls `listener` once the request is done (at once, in a microtask, if it already is). A listener that throws is logged. */
  onDone(listener: () => void): void {
    if (this.isDone) queueMicrotask(() => this.notify(listener));
    else this.doneListeners.push(listener);
  }

  private settle(): void {
    if (this.isDone || !this.isEnded || this.generations.includes(null)) return;
    this.isDone = true;
    for (const listener of this.doneListeners.splice(0)) this.notify(listener);
  }

  private notify(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.log.error({ err: error }, "a request-done listener (model lease, request log) failed");
    }
  }
}
