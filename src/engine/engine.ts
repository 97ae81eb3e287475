/**
 * The engine loop: schedule -> execute on the runner -> apply sampled tokens ->
 * hand outputs to each request's stream. One loop owns all request state;
 * requests enter through `generate` and leave when finished or aborted.
 */
import { randomInt } from "node:crypto";
import { InternalServerError, ServerError, ServiceUnavailableError } from "../errors.js";
import type { BatchItem, ItemResult, ModelRunner } from "./model-runner.js";
import { OutputStream } from "./output-stream.js";
import { PooledKv } from "./pooled-kv.js";
import { Scheduler } from "./scheduler.js";
import { Sequence, type SequenceContext } from "./sequence.js";
import { SlotPool, type SlotGrant } from "./slot-pool.js";
import { TokenBiasPlan } from "./token-bias.js";
import type { EngineStats, GenerateRequest, RequestOutput, RequestTimings, SchedulingPolicy } from "./types.js";

export interface EngineConfig {
  maxNumBatchedTokens: number;
  /** Called once per request as it leaves the engine. */
  onRequestFinished?: (timings: RequestTimings) => void;
  /** Milliseconds; injectable so tests need no wall clock. */
  now?: () => number;
  schedulingPolicy?: SchedulingPolicy;
  maxWaitingRequests: number;
  enablePrefixCaching: boolean;
}

interface RequestState {
  request: GenerateRequest;
  sequences: Sequence[];
  stream: OutputStream;
  arrivedAt: number;
  scheduledAt: number | null;
  /** When the first choice produced each of its tokens. */
  tokenTimes: number[];
}

export class Engine {
  private readonly requests = new Map<string, RequestState>();
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private readonly slots: SlotPool;
  private readonly kv: PooledKv;
  private readonly scheduler: Scheduler;
  private readonly sequenceContext: SequenceContext;
  private wakeLoop: (() => void) | null = null;
  private isStopped = false;
  private readonly loopDone: Promise<void>;
  private readonly totals = { promptTokens: 0, generationTokens: 0, prefixQueried: 0, prefixHits: 0, preemptions: 0 };
  private readonly now: () => number;

  constructor(private readonly runner: ModelRunner, private readonly config: EngineConfig) {
    this.now = config.now ?? (() => performance.now());
    this.slots = new SlotPool(runner.numSlots, config.enablePrefixCaching);
    this.kv = new PooledKv(runner);
    this.scheduler = new Scheduler({ maxNumBatchedTokens: config.maxNumBatchedTokens });
    this.sequenceContext = {
      decode: (tokens) => runner.detokenize(tokens),
      decodeWithSpecialTokens: (tokens) => runner.detokenize(tokens, { renderSpecialTokens: true }),
      endOfGenerationTokens: runner.info.endOfGenerationTokens,
      slotCapacity: runner.slotCapacity,
    };
    this.loopDone = this.loop();
  }

  /** Starts a request; its outputs arrive on the returned stream. Throws 503 when the queue is full. */
  generate(request: GenerateRequest): AsyncIterable<RequestOutput> {
    if (this.isStopped) throw new ServiceUnavailableError("The server is shutting down.");
    if (this.requests.has(request.requestId)) throw new InternalServerError(`duplicate request id ${request.requestId}`);
    if (this.requests.size >= this.config.maxWaitingRequests + this.runner.numSlots) {
      throw new ServiceUnavailableError("Too many requests are waiting; retry shortly.");
    }
    const { params } = request;
    if (params.grammar !== null) this.runner.checkGrammar?.(params.grammar);
    const baseSeed = params.seed ?? randomInt(0, 2 ** 32);
    const hasBiases = params.logitBias.size > 0 || params.minTokens > 0 || params.allowedTokenIds !== null;
    const biasPlan = hasBiases ? new TokenBiasPlan(params, this.runner.info.endOfGenerationTokens, this.runner.info.vocabSize) : null;
    const sequences = Array.from(
      { length: params.n },
      (_, index) =>
        new Sequence(request.requestId, index, request.promptTokens, params, (baseSeed + index) >>> 0, this.sequenceContext, biasPlan),
    );
    const state: RequestState = { request, sequences, stream: new OutputStream(), arrivedAt: this.now(), scheduledAt: null, tokenTimes: [] };
    this.requests.set(request.requestId, state);
    this.enqueue(sequences, request.priority ?? 0);
    this.wake();
    return state.stream;
  }

  /** FCFS appends; the priority policy keeps the queue ordered by priority, then arrival. */
  private enqueue(sequences: Sequence[], priority: number): void {
    for (const sequence of sequences) sequence.priority = priority;
    if (this.config.schedulingPolicy !== "priority") {
      this.waiting.push(...sequences);
      return;
    }
    const index = this.waiting.findIndex((queued) => queued.priority > priority);
    this.waiting.splice(index === -1 ? this.waiting.length : index, 0, ...sequences);
  }

  /** Stops a request at the next step; its slots are freed and nothing stale remains. */
  abort(requestId: string): void {
    const state = this.requests.get(requestId);
    if (!state) return;
    for (const sequence of state.sequences) sequence.isAbortRequested = true;
    this.wake();
  }

  /** Whether a request with this id is queued or running. */
  hasRequest(requestId: string): boolean {
    return this.requests.has(requestId);
  }

  stats(): EngineStats {
    return {
      numRunning: new Set(this.running.map((s) => s.requestId)).size,
      numWaiting: [...this.requests.values()].filter((r) => r.sequences.every((s) => s.status === "waiting")).length,
      numSlotsInUse: this.slots.numInUse,
      numSlots: this.runner.numSlots,
      kvCacheUsage: this.kv.usage(this.slots),
      preemptionsTotal: this.totals.preemptions,
      promptTokensTotal: this.totals.promptTokens,
      generationTokensTotal: this.totals.generationTokens,
      prefixCacheQueriedTokens: this.totals.prefixQueried,
      prefixCacheHitTokens: this.totals.prefixHits,
    };
  }

  /** Aborts everything and waits for the loop to end. */
  async stop(): Promise<void> {
    this.isStopped = true;
    for (const id of this.requests.keys()) this.abort(id);
    this.wake();
    await this.loopDone;
  }

  private wake(): void {
    const wake = this.wakeLoop;
    this.wakeLoop = null;
    wake?.();
  }

  private async loop(): Promise<void> {
    while (true) {
      this.retireFinished();
      if (this.running.length === 0 && this.waiting.length === 0) {
        if (this.isStopped) return;
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        continue;
      }
      await this.step();
    }
  }

  private async step(): Promise<void> {
    const { chunks, admitted } = this.scheduler.schedule(this.waiting, this.running, this.slots, this.kv.room(this.slots));
    // In admission order: a later grant may take over a slot an earlier one copies from.
    for (const { sequence, grant } of admitted) {
      try {
        await this.onAdmitted(sequence, grant);
      } catch (error) {
        console.error(`pagoda: preparing the KV of request ${sequence.requestId} failed:`, error);
        sequence.numComputed = 0; // the slot holds nothing this sequence can vouch for
        this.kv.truncate(grant.slotId, 0);
        this.failRequest(sequence.requestId, new InternalServerError());
      }
    }
    const live = chunks.filter(({ sequence }) => !sequence.isFinished);
    if (live.length < chunks.length) chunks.splice(0, chunks.length, ...live);
    if (!this.kv.makeRoom(chunks, this.running, this.slots, (sequence) => this.preempt(sequence))) {
      this.failRequests(new Set(chunks.map(({ sequence }) => sequence.requestId)), new Error("the KV pool is smaller than one sequence"), "KV allocation");
      return;
    }
    if (chunks.length === 0) {
      // Everything waiting waits on a prefill that is not running: cannot happen
      // unless all running sequences finished; yield so the loop can retire them.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    const items: BatchItem[] = chunks.map(({ sequence, numTokens, isSampling }) => {
      const nextTokens = sequence.promptNextTokens(sequence.numComputed, numTokens);
      return {
        slotId: sequence.slotId!,
        startPosition: sequence.numComputed,
        tokens: sequence.tokens.slice(sequence.numComputed, sequence.numComputed + numTokens),
        sample: isSampling
          ? {
              sampler: sequence.sampler!,
              config: sequence.samplerConfig(),
              penaltyTokens: sequence.outputTokens,
              promptTokens: sequence.promptTokens,
              numLogprobs: sequence.params.logprobs,
            }
          : undefined,
        ...(nextTokens ? { promptLogprobs: { numTop: sequence.params.promptLogprobs ?? 0, nextTokens } } : {}),
      };
    });
    let results: ItemResult[];
    try {
      results = await this.runner.execute(items);
    } catch (error) {
      this.failRequests(new Set(chunks.map(({ sequence }) => sequence.requestId)), error, "forward pass");
      return;
    }
    // Failures first: a request with one failed sequence publishes nothing more.
    chunks.forEach(({ sequence }, i) => {
      const { error } = results[i];
      if (error !== undefined) this.failRequests([sequence.requestId], error, "sampling");
    });
    const touched = new Set<RequestState>();
    const stepEnd = this.now();
    chunks.forEach(({ sequence, numTokens }, i) => {
      sequence.numComputed += numTokens;
      const { token, logprob, promptLogprobs } = results[i];
      if (promptLogprobs) sequence.addPromptLogprobs(promptLogprobs);
      if (token === undefined || sequence.isFinished) return;
      sequence.appendToken(token, logprob);
      this.totals.generationTokens++;
      const state = this.requests.get(sequence.requestId);
      if (!state) return;
      touched.add(state);
      if (sequence.index === 0) state.tokenTimes.push(stepEnd);
    });
    for (const state of touched) this.publish(state);
  }

  private async onAdmitted(sequence: Sequence, grant: SlotGrant): Promise<void> {
    const state = this.requests.get(sequence.requestId);
    if (state && state.scheduledAt === null) state.scheduledAt = this.now();
    if (grant.park) await this.kv.copyPrefix(grant.slotId, grant.park.toSlotId, grant.park.numTokens);
    if (grant.copyFromSlotId === null) this.kv.truncate(grant.slotId, grant.numReusableTokens);
    else await this.kv.copyPrefix(grant.copyFromSlotId, grant.slotId, grant.numReusableTokens);
    // A preempted sequence keeps its sampler (random and grammar state) and was counted once.
    if (sequence.numPreemptions > 0) return;
    sequence.sampler = this.runner.createSampler();
    this.totals.promptTokens += sequence.numPromptTokens;
    this.totals.prefixQueried += sequence.numPromptTokens;
    this.totals.prefixHits += sequence.numCachedPromptTokens;
  }

  /**
   * Drops a running sequence's KV to make room in the pool and queues it
   * again, ahead of sequences of its priority: it is recomputed (prompt and
   * output so far) when admitted again, and its output continues unchanged.
   */
  private preempt(sequence: Sequence): void {
    this.kv.truncate(sequence.slotId!, 0);
    this.slots.release(sequence.slotId!, true);
    sequence.slotId = null;
    sequence.numComputed = 0;
    sequence.status = "waiting";
    sequence.numPreemptions++;
    this.totals.preemptions++;
    this.running.splice(this.running.indexOf(sequence), 1);
    const isPriority = this.config.schedulingPolicy === "priority";
    const index = isPriority ? this.waiting.findIndex((queued) => queued.priority >= sequence.priority) : 0;
    this.waiting.splice(index === -1 ? this.waiting.length : index, 0, sequence);
  }

  /** Moves finished and aborted sequences out, frees their slots, closes finished requests. */
  private retireFinished(): void {
    for (const list of [this.running, this.waiting]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const sequence = list[i];
        if (sequence.isAbortRequested && !sequence.isFinished) sequence.finish("abort", null);
        if (!sequence.isFinished) continue;
        list.splice(i, 1);
        this.releaseSlot(sequence);
      }
    }
    for (const state of this.requests.values()) {
      if (state.sequences.every((s) => s.isFinished)) {
        this.publish(state);
        state.stream.close();
        this.requests.delete(state.request.requestId);
        this.config.onRequestFinished?.(this.timingsOf(state));
      }
    }
  }

  private timingsOf(state: RequestState): RequestTimings {
    const finishedAt = this.now();
    const first = state.sequences[0];
    const { tokenTimes, arrivedAt } = state;
    return {
      requestId: state.request.requestId,
      finishReason: first.finishReason ?? "abort",
      numPromptTokens: first.numPromptTokens,
      numCachedPromptTokens: first.numCachedPromptTokens,
      numGenerationTokens: state.sequences.reduce((sum, s) => sum + s.outputTokens.length, 0),
      queueTimeMs: (state.scheduledAt ?? finishedAt) - arrivedAt,
      timeToFirstTokenMs: tokenTimes.length > 0 ? tokenTimes[0] - arrivedAt : null,
      interTokenLatenciesMs: tokenTimes.slice(1).map((time, i) => time - tokenTimes[i]),
      endToEndMs: finishedAt - arrivedAt,
    };
  }

  private releaseSlot(sequence: Sequence): void {
    sequence.sampler?.dispose();
    sequence.sampler = null;
    if (sequence.slotId === null) return;
    this.slots.release(sequence.slotId);
    sequence.slotId = null;
  }

  private publish(state: RequestState): void {
    const choices = state.sequences.map((s) => s.takeOutput()).filter((c) => c !== null);
    if (choices.length === 0) return;
    const first = state.sequences[0];
    state.stream.push(
      {
        requestId: state.request.requestId,
        numPromptTokens: first.numPromptTokens,
        numCachedPromptTokens: first.numCachedPromptTokens,
        numCompletionTokens: state.sequences.reduce((sum, s) => sum + s.outputTokens.length, 0),
        promptLogprobs: first.isPrefilling ? null : first.promptLogprobs,
      },
      choices,
    );
  }

  /** A ServerError is the requests' answer as it is; anything else is a bug, logged and answered 500. */
  private failRequests(requestIds: Iterable<string>, error: unknown, stage: string): void {
    const ids = [...requestIds];
    if (!(error instanceof ServerError)) console.error(`pagoda: ${stage} failed (requests ${ids.join(", ")}):`, error);
    const answer = error instanceof ServerError ? error : new InternalServerError();
    for (const id of ids) this.failRequest(id, answer);
  }

  private failRequest(requestId: string, error: unknown): void {
    const state = this.requests.get(requestId);
    if (!state) return;
    for (const sequence of state.sequences) {
      if (!sequence.isFinished) sequence.finish("abort", null);
      const index = this.running.indexOf(sequence);
      if (index >= 0) this.running.splice(index, 1);
      const waitingIndex = this.waiting.indexOf(sequence);
      if (waitingIndex >= 0) this.waiting.splice(waitingIndex, 1);
      this.releaseSlot(sequence);
    }
    state.stream.fail(error);
    this.requests.delete(requestId);
    this.config.onRequestFinished?.(this.timingsOf(state));
  }
}
