/**
 * Batches embedding inputs into shared runner calls: the inputs of one request
 * and of every request that arrives while a batch runs go into the next batch,
 * up to a token budget. Requests submitted in the same tick share the first
 * batch. Each request resolves once all of its inputs are done, with its
 * vectors in its own order.
 */
import { QueueFull, ShuttingDown } from "../domain-errors.js";
import type { EmbeddingRunner } from "./embedding-runner.js";

export interface EmbeddingBatcherOptions {
  /** Tokens per runner call; a single longer input still runs, alone. */
  maxBatchTokens: number;
  /** Requests waiting (not yet finished) beyond which new ones get 503. Default: no limit. */
  maxWaitingRequests?: number;
}

interface Job {
  vectors: Float32Array[];
  numRemaining: number;
  isSettled: boolean;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
}

interface PendingInput {
  tokens: readonly number[];
  job: Job;
  index: number;
}

export class EmbeddingBatcher {
  private queue: PendingInput[] = [];
  private isDraining = false;
  private isStopped = false;
  private numOpenJobs = 0;
  private drained: Promise<void> = Promise.resolve();

  constructor(
    private readonly runner: EmbeddingRunner,
    private readonly options: EmbeddingBatcherOptions,
  ) {}

  /** Inputs waiting for a batch (not counting the batch running). */
  get numWaiting(): number {
    return this.queue.length;
  }

  /** The vectors of `inputs`, in order. An abort drops the inputs not yet run and rejects. */
  embed(inputs: readonly (readonly number[])[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    if (this.isStopped) return Promise.reject(new ShuttingDown());
    if (this.numOpenJobs >= (this.options.maxWaitingRequests ?? Infinity)) {
      return Promise.reject(new QueueFull("embedding requests"));
    }
    return new Promise((resolve, reject) => {
      const job: Job = { vectors: new Array(inputs.length), numRemaining: inputs.length, isSettled: false, resolve, reject };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => this.settle(job, signal.reason), { once: true });
      this.numOpenJobs++;
      inputs.forEach((tokens, index) => this.queue.push({ tokens, job, index }));
      this.startDraining();
    });
  }

  private startDraining(): void {
    if (this.isDraining) return;
    this.isDraining = true;
    // A microtask later, so requests submitted in the same tick join the first batch.
    this.drained = new Promise((resolve) => queueMicrotask(() => void this.drain().then(resolve)));
  }

  /**
   * Shutdown: new and waiting requests get 503; resolves once the batch
   * running (if any) is done, so the runner can be closed.
   */
  async stop(): Promise<void> {
    this.isStopped = true;
    const error = new ShuttingDown();
    for (const input of this.queue) this.settle(input.job, error);
    this.queue = [];
    await this.drained;
  }

  private async drain(): Promise<void> {
    try {
      for (let batch = this.takeBatch(); batch.length > 0; batch = this.takeBatch()) await this.run(batch);
    } finally {
      this.isDraining = false;
    }
  }

  private takeBatch(): PendingInput[] {
    this.queue = this.queue.filter((input) => !input.job.isSettled);
    let numTokens = 0;
    let size = 0;
    while (size < this.queue.length) {
      const next = this.queue[size].tokens.length;
      if (size > 0 && numTokens + next > this.options.maxBatchTokens) break;
      numTokens += next;
      size++;
    }
    return this.queue.splice(0, size);
  }

  private async run(batch: PendingInput[]): Promise<void> {
    let vectors: Float32Array[];
    try {
      vectors = await this.runner.embed(batch.map((input) => input.tokens));
    } catch (error) {
      for (const input of batch) this.settle(input.job, error);
      return;
    }
    batch.forEach((input, i) => {
      const { job } = input;
      if (job.isSettled) return;
      job.vectors[input.index] = vectors[i];
      if (--job.numRemaining === 0) this.settle(job);
    });
  }

  private settle(job: Job, error?: unknown): void {
    if (job.isSettled) return;
    job.isSettled = true;
    this.numOpenJobs--;
    if (error === undefined) job.resolve(job.vectors);
    else job.reject(error);
  }
}
