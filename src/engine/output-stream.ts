/**
 * A request's outputs, handed from the engine loop to whoever consumes them.
 * Pushing never waits: a slow client's deltas are merged into one pending
 * output per choice, so the engine never stalls on a reader. `cancel()` asks
 * the engine to stop the generation; the stream then ends (finish reason
 * "abort") once the engine has let go of it.
 */
import type { ChoiceOutput, RequestOutput } from "./types.js";

type Header = Omit<RequestOutput, "choices">;

export class OutputStream implements AsyncIterable<RequestOutput> {
  private pending = new Map<number, ChoiceOutput>();
  private header: Header | null = null;
  private isClosed = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  constructor(private readonly onCancel: () => void = () => {}) {}

  /** Stops the generation at the engine's next step (its slots are freed); harmless once it has ended. */
  cancel(): void {
    if (!this.isClosed) this.onCancel();
  }

  push(header: Header, choices: readonly ChoiceOutput[]): void {
    this.header = header;
    for (const choice of choices) {
      const previous = this.pending.get(choice.index);
      this.pending.set(choice.index, previous ? mergeChoice(previous, choice) : choice);
    }
    this.notify();
  }

  close(): void {
    this.isClosed = true;
    this.notify();
  }

  fail(error: unknown): void {
    this.failure = error;
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RequestOutput> {
    while (true) {
      if (this.pending.size > 0 && this.header !== null) {
        const choices = [...this.pending.values()].sort((a, b) => a.index - b.index);
        this.pending = new Map();
        yield { ...this.header, choices };
        continue;
      }
      if (this.failure !== null) throw this.failure;
      if (this.isClosed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function mergeChoice(earlier: ChoiceOutput, later: ChoiceOutput): ChoiceOutput {
  return {
    index: earlier.index,
    text: earlier.text + later.text,
    tokenIds: [...earlier.tokenIds, ...later.tokenIds],
    logprobs: earlier.logprobs && later.logprobs ? [...earlier.logprobs, ...later.logprobs] : later.logprobs,
    finishReason: later.finishReason,
    stopReason: later.stopReason,
  };
}
