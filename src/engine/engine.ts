/**
 * The engine loop: schedule -> execute on the runner -> apply sampled tokens ->
 * hand outputs to each request's stream. One loop owns all request state;
 * requests enter through `generate` and leave when finished or aborted.
 */
import { randomInt } from "node:crypto";
import { DomainError, DuplicateRequestId, EngineDead, EngineFault, QueueFull, ShuttingDown } from "../domain-errors.js";
import { serverLog, type Logger } from "../logger.js";
import type { RequestHandle } from "../request-handle.js";
import type { ItemResult, ModelRunner } from "./model-runner.js";
import { OutputStream } from "./output-stream.js";
import { takeOutput, timingsOf, type RequestState } from "./request-state.js";
import { PooledKv } from "./pooled-kv.js";
import { Scheduler } from "./scheduler.js";
import { Sequence, type SequenceContext } from "./sequence.js";
import type { SlotGrant } from "./slot-pool.js";
import { OutputProcessor } from "./output-processor.js";
import { TokenBiasPlan } from "./token-bias.js";
import { StepBudget } from "./step-budget.js";
import { StepCostModel, shapeOf, type StepShape } from "./step-cost-model.js";
import type { EngineStats, GenerateRequest, RequestTimings, SchedulingPolicy } from "./types.js";

export interface EngineConfig {
  maxNumBatchedTokens: number;
  /**
   * Inter-token-latency target (ms) of a step that carries decodes: prompt
   * chunks beside them are sized to fit, by the step cost learnt from measured
   * steps. Absent or null: `defaultDecodeStepFactor` times the decodes' own step.
   */
  maxStepMs?: number | null;
  /** Called once per request as it leaves the engine. */
  onRequestFinished?: (timings: RequestTimings) => void;
  /** Milliseconds; injectable so tests need no wall clock. */
  now?: () => number;
  schedulingPolicy?: SchedulingPolicy;
  /** Without `maxStepMs`: the fraction of the longest wait of a prompt not yet started that a step may take; absent: `defaultStepWaitFactor`. */
  stepWaitFactor?: number;
  maxWaitingRequests: number;
  enablePrefixCaching: boolean;
  /** Where faults are logged (and, at debug level, every forward pass); the server's log by default. */
  log?: Logger;
}

/** Without --max-step-ms, a step with prompt tokens may take this many times the decodes' own step... */
export const defaultDecodeStepFactor = 2;
/** ...or this fraction of the longest wait of a prompt not yet started, whichever is longer. */
export const defaultStepWaitFactor = 0.25;

/** A step carrying decodes still prefills at least this many prompt tokens (or --max-num-batched-tokens, if smaller): no prompt starves. */
const minPrefillTokens = 16;

interface PublishFailure {
  state: RequestState;
  error: unknown;
}

/** An idle engine woken by a request waits for others sent with it until this long passes without one... */
const gatherQuietMs = 4;
/** ...but for this many such windows at most. */
const maxGatherWindows = 10;

/** A fault that comes back this many times in a row, resets notwithstanding, kills the engine. */
const maxConsecutiveFaults = 3;

export class Engine {
  private readonly requests = new Map<string, RequestState>();
  /** Requests with output not yet handed to their streams: published while the next forward pass runs. */
  private readonly unpublished = new Set<RequestState>();
  private readonly kv: PooledKv;
  private readonly scheduler: Scheduler;
  private readonly outputProcessor: OutputProcessor;
  private readonly sequenceContext: SequenceContext;
  private wakeLoop: (() => void) | null = null;
  private isStopped = false;
  /** Set when a fault left state that a reset could not restore: everything new gets a 503. */
  private deadBecause: unknown = null;
  /** Loop faults since the last step that completed; a fault that recurs after every reset is fatal. */
  private numConsecutiveFaults = 0;
  /** What the loop is doing, named in the log when it faults. */
  private stage = "idle";
  private readonly loopDone: Promise<void>;
  private readonly totals = { promptTokens: 0, generationTokens: 0, prefixQueried: 0, prefixHits: 0, preemptions: 0 };
  private readonly now: () => number;
  private readonly log: Logger;
  /** Learns what a step costs from the steps the engine runs. */
  readonly stepCost = new StepCostModel();
  /** When the last forward pass's results came back; null after idle. */
  private lastPassEndMs: number | null = null;

  constructor(private readonly runner: ModelRunner, private readonly config: EngineConfig) {
    this.now = config.now ?? (() => performance.now());
    this.log = config.log ?? serverLog;
    this.kv = new PooledKv(runner);
    const stepBudget = new StepBudget(this.stepCost, {
      maxStepMs: config.maxStepMs ?? null,
      decodeStepFactor: defaultDecodeStepFactor,
      waitFactor: config.stepWaitFactor ?? defaultStepWaitFactor,
      minPrefillTokens: Math.min(minPrefillTokens, config.maxNumBatchedTokens),
    });
    this.scheduler = new Scheduler({
      maxNumBatchedTokens: config.maxNumBatchedTokens,
      numSlots: runner.numSlots,
      enablePrefixCaching: config.enablePrefixCaching,
      schedulingPolicy: config.schedulingPolicy,
      stepBudget,
    });
    this.sequenceContext = {
      detokenize: (tokens) => runner.detokenize(tokens),
      detokenizeWithSpecialTokens: (tokens) => runner.detokenize(tokens, { renderSpecialTokens: true }),
      endOfGenerationTokens: runner.info.endOfGenerationTokens,
      slotCapacity: runner.slotCapacity,
    };
    this.outputProcessor = new OutputProcessor(this.sequenceContext);
    // The loop contains its own faults; this catch is the last line, so that a
    // bug in the containment itself still leaves a dead engine, not a dead process.
    this.loopDone = this.loop().catch((error: unknown) => this.die(error, "the engine loop"));
  }

  /** False once the engine has died of a fault it could not recover from (/health answers 503). */
  get isAlive(): boolean {
    return this.deadBecause === null;
  }

  /**
   * Starts a request; its outputs arrive on the returned stream, whose
   * `cancel()` stops it. With the request's `handle`, the handle's signal
   * cancels it too, and the handle hears when it has left the engine. Throws
   * QueueFull when the queue is full, EngineDead or ShuttingDown when the
   * engine takes nothing new.
   */
  generate(request: GenerateRequest, handle?: RequestHandle): OutputStream {
    if (this.deadBecause !== null) throw new EngineDead();
    if (this.isStopped) throw new ShuttingDown();
    if (this.requests.has(request.requestId)) throw new DuplicateRequestId(request.requestId);
    if (this.requests.size >= this.config.maxWaitingRequests + this.runner.numSlots) throw new QueueFull("requests");
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
    const stream = new OutputStream(() => this.abort(request.requestId));
    const reportFinished = handle?.startGeneration() ?? null;
    const state: RequestState = { request, sequences, stream, arrivedAt: this.now(), scheduledAt: null, tokenTimes: [], reportFinished };
    this.requests.set(request.requestId, state);
    this.scheduler.add(sequences, request.priority ?? 0, state.arrivedAt);
    if (handle?.signal.aborted) stream.cancel();
    else handle?.signal.addEventListener("abort", () => stream.cancel(), { once: true });
    this.wake();
    return stream;
  }

  /** Stops a request at the next step (its stream's `cancel()`); its slots are freed and nothing stale remains. */
  private abort(requestId: string): void {
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
      numRunning: new Set(this.scheduler.running.map((s) => s.requestId)).size,
      numWaiting: [...this.requests.values()].filter((r) => r.sequences.every((s) => s.status === "waiting")).length,
      numSlotsInUse: this.scheduler.numSlotsInUse,
      numSlots: this.runner.numSlots,
      kvCacheUsage: this.kv.usage(this.scheduler.slotPool),
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
    while (this.deadBecause === null) {
      try {
        this.stage = "retiring finished requests";
        this.retireFinished();
        if (!this.scheduler.hasWork) {
          this.failUnpublishable(this.publishPending());
          if (this.isStopped) return;
          this.stage = "idle";
          this.lastPassEndMs = null;
          await new Promise<void>((resolve) => (this.wakeLoop = resolve));
          await this.gatherArrivals();
          continue;
        }
        await this.step();
        this.numConsecutiveFaults = 0;
      } catch (error) {
        this.recoverFromFault(error);
      }
    }
  }

  /**
   * A throw escaped a step: the scheduler's lists and the slot pool may be
   * half updated, so nothing in flight can be trusted. Every request in
   * flight fails (EngineFault: a 500) and the engine starts over with empty lists and
   * empty KV slots (the prefix cache is dropped). If even that throws, or the
   * fault comes back after every reset, the engine is dead.
   */
  private recoverFromFault(error: unknown): void {
    const ids = [...this.requests.keys()];
    this.log.error({ err: error, requestIds: ids }, `the engine loop failed while ${this.stage}; failing ${ids.length} request(s) in flight and resetting the engine`);
    try {
      this.failEverything(new EngineFault());
      this.scheduler.reset();
      for (let slotId = 0; slotId < this.runner.numSlots; slotId++) this.kv.truncate(slotId, 0);
    } catch (resetError) {
      this.die(resetError, "the reset after a fault");
      return;
    }
    if (++this.numConsecutiveFaults >= maxConsecutiveFaults) this.die(error, `${maxConsecutiveFaults} faults in a row`);
  }

  /** Marks the engine dead: requests in flight fail (EngineFault), new ones get EngineDead. */
  private die(error: unknown, what: string): void {
    if (this.deadBecause !== null) return;
    this.log.fatal({ err: error }, `the engine is dead (${what} failed); /health answers 503 from now on`);
    this.deadBecause = error;
    try {
      this.failEverything(new EngineFault());
    } catch {
      // Streams that could not be failed are left; nothing else can be done for them.
    }
  }

  /** Fails every request in flight; each one's cleanup is independent of the others'. */
  private failEverything(answer: EngineFault): void {
    let firstError: unknown = null;
    for (const id of [...this.requests.keys()]) {
      try {
        this.failRequest(id, answer);
      } catch (error) {
        firstError ??= error;
      }
    }
    this.scheduler.reset();
    if (firstError !== null) throw firstError;
  }

  /**
   * Woken from idle by one request: clients that sent theirs at the same
   * moment are still in the HTTP parser or their handlers (a few ms of
   * template and tokenizer work each). Waiting while they keep coming, a
   * burst prefills in one step, as llama-server's does, instead of the first
   * prompt alone, whose stream the rest would then stall. Costs a lone
   * request one quiet window, under 1% of even a short prompt's prefill.
   */
  private async gatherArrivals(): Promise<void> {
    for (let window = 0; window < maxGatherWindows; window++) {
      const numBefore = this.requests.size;
      await new Promise((resolve) => setTimeout(resolve, gatherQuietMs));
      if (this.requests.size === numBefore) return;
    }
  }

  private async step(): Promise<void> {
    this.stage = "scheduling";
    const { chunks, admitted } = this.scheduler.schedule(this.scheduler.waiting.length > 0 ? this.kv.room(this.scheduler.slotPool) : Infinity, this.now());
    // In admission order: a later grant may take over a slot an earlier one copies from.
    this.stage = "preparing the KV of admitted requests";
    for (const { sequence, grant } of admitted) {
      try {
        await this.onAdmitted(sequence, grant);
      } catch (error) {
        this.log.error({ err: error, requestId: sequence.requestId }, "preparing the KV of a request failed");
        this.scheduler.forgetComputed(sequence);
        this.kv.truncate(grant.slotId, 0);
        this.failRequest(sequence.requestId, new EngineFault());
      }
    }
    const live = chunks.filter(({ sequence }) => !sequence.isFinished);
    if (live.length < chunks.length) chunks.splice(0, chunks.length, ...live);
    this.stage = "making room in the KV pool";
    if (!this.kv.makeRoom(chunks, this.scheduler.running, this.scheduler.slotPool, (sequence) => this.preempt(sequence))) {
      this.failRequests(new Set(chunks.map(({ sequence }) => sequence.requestId)), new Error("the KV pool is smaller than one sequence"), "KV allocation");
      return;
    }
    if (chunks.length === 0) {
      // Everything waiting waits on a prefill that is not running: cannot happen
      // unless all running sequences finished; yield so the loop can retire them.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    this.stage = "building the batch";
    const items = chunks.map(({ sequence, numTokens, isSampling }) => sequence.batchItem(numTokens, isSampling));
    let results: ItemResult[];
    let publishFailures: PublishFailure[] = [];
    this.stage = "running the forward pass";
    try {
      const startedMs = this.now();
      const pass = this.runner.execute(items);
      // The decode runs on a libuv worker: meanwhile the previous step's
      // outputs go to their streams and the SSE writers behind them, which
      // run as soon as this loop awaits, not before the next decode starts.
      publishFailures = this.publishPending();
      results = await pass;
      const shape = shapeOf(items);
      const passMs = this.now() - startedMs;
      this.traceStep(shape, passMs, startedMs);
      this.stepCost.observe(shape, passMs);
      this.lastPassEndMs = startedMs + passMs;
    } catch (error) {
      this.failUnpublishable(publishFailures);
      this.failRequests(new Set(chunks.map(({ sequence }) => sequence.requestId)), error, "forward pass");
      return;
    }
    // Only now, with no forward pass using their samplers, can requests whose publishing threw be failed.
    this.failUnpublishable(publishFailures);
    // Failures first: a request with one failed sequence publishes nothing more.
    this.stage = "processing outputs";
    chunks.forEach(({ sequence }, i) => {
      const { error } = results[i];
      if (error !== undefined) this.failRequests([sequence.requestId], error, "sampling");
    });
    const update = this.scheduler.updateFromOutput(chunks, results, this.outputProcessor);
    for (const { sequence, error } of update.failures) this.failRequests([sequence.requestId], error, "output processing (detokenize, stop checks)");
    const touched = new Set<RequestState>();
    const stepEnd = this.now();
    for (const sequence of update.sampled) {
      this.totals.generationTokens++;
      const state = this.requests.get(sequence.requestId);
      if (!state) continue;
      touched.add(state);
      sequence.firstTokenMs ??= stepEnd;
      if (sequence.index === 0) state.tokenTimes.push(stepEnd);
    }
    this.stage = "publishing outputs";
    for (const state of touched) this.unpublished.add(state);
  }

  /**
   * One debug line per forward pass: its shape, its time and what the cost
   * model predicted for it, and the engine's own time between the last pass's
   * results and this pass (output processing, scheduling, building the batch),
   * during which no forward pass runs.
   */
  private traceStep(shape: StepShape, passMs: number, startedMs: number): void {
    if (!this.log.isLevelEnabled("debug")) return;
    const betweenPassesMs = this.lastPassEndMs === null ? null : startedMs - this.lastPassEndMs;
    const { running, waiting } = this.scheduler;
    this.log.debug({ pass: { ...shape, ms: passMs, predictedMs: this.stepCost.predict(shape), betweenPassesMs, numRunning: running.length, numWaiting: waiting.length } }, "forward pass");
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

  /** Drops a running sequence's KV to make room in the pool; the scheduler queues it again. */
  private preempt(sequence: Sequence): void {
    this.kv.truncate(sequence.slotId!, 0);
    this.scheduler.preempt(sequence);
    this.totals.preemptions++;
  }

  /** Ends aborted sequences, then publishes and closes every request whose choices all finished. */
  private retireFinished(): void {
    this.scheduler.finishAborted();
    for (const state of [...this.requests.values()]) {
      if (!state.sequences.every((s) => s.isFinished) || !this.publishOrFail(state)) continue;
      state.stream.close();
      this.unpublished.delete(state);
      this.requests.delete(state.request.requestId);
      this.notifyFinished(state);
    }
  }

  /**
   * The request-finished observers (metrics, the request's handle) are not
   * the request's business: one that throws is logged, and the answer stands.
   */
  private notifyFinished(state: RequestState): void {
    const timings = timingsOf(state, this.now());
    const renderPrompt = () => this.sequenceContext.detokenizeWithSpecialTokens(state.request.promptTokens);
    try {
      this.config.onRequestFinished?.(timings);
      state.reportFinished?.({ timings, renderPrompt });
    } catch (error) {
      this.log.error({ err: error, requestId: state.request.requestId }, "a request-finished observer (metrics, request log) failed; the answer is unaffected");
    }
  }

  /** Publishes every request with new output; a throw is collected, for the caller to fail once that is safe. */
  private publishPending(): PublishFailure[] {
    const failures: PublishFailure[] = [];
    for (const state of this.unpublished) {
      try {
        this.publish(state);
      } catch (error) {
        failures.push({ state, error });
      }
    }
    this.unpublished.clear();
    return failures;
  }

  private failUnpublishable(failures: readonly PublishFailure[]): void {
    for (const { state, error } of failures) this.failRequests([state.request.requestId], error, "publishing outputs");
  }

  /** Publishes what the request produced; a throw fails that request alone. Returns whether it is still live. */
  private publishOrFail(state: RequestState): boolean {
    try {
      this.publish(state);
      return true;
    } catch (error) {
      this.failRequests([state.request.requestId], error, "publishing outputs");
      return false;
    }
  }

  private publish(state: RequestState): void {
    const output = takeOutput(state);
    if (output) state.stream.push(...output);
  }

  /** A domain error is the requests' answer as it is; anything else is a bug, logged and answered as an EngineFault. */
  private failRequests(requestIds: Iterable<string>, error: unknown, stage: string): void {
    const ids = [...requestIds];
    const isAnswer = error instanceof DomainError;
    if (!isAnswer) this.log.error({ err: error, requestIds: ids }, `${stage} failed`);
    const answer = isAnswer ? error : new EngineFault();
    for (const id of ids) this.failRequest(id, answer);
  }

  /** The client's answer first, so no cleanup failure below can keep it from its error. */
  private failRequest(requestId: string, error: unknown): void {
    const state = this.requests.get(requestId);
    if (!state) return;
    this.requests.delete(requestId);
    this.unpublished.delete(state);
    state.stream.fail(error);
    this.scheduler.finishRequest(state.sequences);
    this.notifyFinished(state);
  }
}
