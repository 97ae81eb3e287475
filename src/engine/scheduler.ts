/**
 * The one owner of sequence state (vLLM v1's scheduler): the waiting queue,
 * the running list and the KV slot pool. `schedule` admits sequences and
 * decides what the next forward pass computes; `updateFromOutput` is the only
 * place a step's results change a sequence (computed count, tokens, finish,
 * slot release), with the output processor deciding what its text means;
 * `finishRequest` ends sequences from outside (abort, failure).
 *
 * Each step takes running
 * decodes first, one token each; then prefill chunks of running sequences;
 * then newly admitted sequences, while slots and the token budget last. While
 * decodes run, prompts get only the share of the step that the time budget
 * allows (step-budget.ts), so a prompt never freezes the streams already running.
 */
import type { ItemResult } from "./model-runner.js";
import type { OutputProcessor } from "./output-processor.js";
import type { Sequence } from "./sequence.js";
import { SlotPool, type SlotGrant } from "./slot-pool.js";
import type { SchedulingPolicy } from "./types.js";
import type { StepBudget } from "./step-budget.js";
import { kvWorkOf } from "./step-cost-model.js";

export interface SchedulerConfig {
  maxNumBatchedTokens: number;
  numSlots: number;
  enablePrefixCaching: boolean;
  schedulingPolicy?: SchedulingPolicy;
  /** Sizes the prefill share of a step that carries decodes; absent: the whole token budget. */
  stepBudget?: StepBudget;
}

/**
 * A waiting prompt that shares at least this many more tokens with a prompt
 * still being prefilled waits for that prefill and then copies its KV, instead
 * of computing the same tokens in parallel (n > 1 choices, a burst of users
 * with one system prompt).
 */
export const minTokensWorthWaitingFor = 32;

export interface ScheduledChunk {
  sequence: Sequence;
  numTokens: number;
  /** The chunk reaches the end of the sequence's tokens: sample after it. */
  isSampling: boolean;
}

export interface SchedulerOutput {
  chunks: ScheduledChunk[];
  /** Sequences moved from waiting to running in this step, in order, with their slot grants. */
  admitted: Array<{ sequence: Sequence; grant: SlotGrant }>;
}

export class Scheduler {
  readonly waiting: Sequence[] = [];
  readonly running: Sequence[] = [];
  private slots: SlotPool;

  constructor(private readonly config: SchedulerConfig) {
    this.slots = new SlotPool(config.numSlots, config.enablePrefixCaching);
  }

  get numSlotsInUse(): number {
    return this.slots.numInUse;
  }

  get hasWork(): boolean {
    return this.running.length > 0 || this.waiting.length > 0;
  }

  /** FCFS appends; the priority policy keeps the queue ordered by priority, then arrival. */
  add(sequences: readonly Sequence[], priority: number, arrivalMs = 0): void {
    for (const sequence of sequences) {
      sequence.priority = priority;
      sequence.arrivalMs = arrivalMs;
    }
    if (this.config.schedulingPolicy !== "priority") {
      this.waiting.push(...sequences);
      return;
    }
    const index = this.waiting.findIndex((queued) => queued.priority > priority);
    this.waiting.splice(index === -1 ? this.waiting.length : index, 0, ...sequences);
  }

  /** The KV slots (for the engine's shared KV pool: its room, usage and evictions). */
  get slotPool(): SlotPool {
    return this.slots;
  }

  /**
   * Admitted sequences move to running with a slot (and the cached prefix
   * length) from the pool. `kvRoom`: KV cells free or freeable in a shared
   * pool; running sequences draw on it first (the engine preempts when they
   * overdraw), and a sequence is admitted only when its first chunk fits in
   * what is left. `nowMs`: the engine's clock, against which the prompts'
   * waits are measured (the step budget lets steps grow with them).
   */
  schedule(kvRoom = Infinity, nowMs = 0): SchedulerOutput {
    const { waiting, running, slots } = this;
    let budget = this.config.maxNumBatchedTokens;
    const chunks: ScheduledChunk[] = [];
    const take = (sequence: Sequence): void => {
      const numTokens = Math.min(sequence.numUncomputed, budget);
      if (numTokens <= 0) return;
      budget -= numTokens;
      kvRoom -= numTokens;
      chunks.push({ sequence, numTokens, isSampling: numTokens === sequence.numUncomputed });
    };

    const decodes = { numRows: 0, kvWork: 0 };
    let firstPrefilling: Sequence | null = null;
    // The earliest arrival among the prompts this step could prefill (those being prefilled, and those waiting that a
    // free slot can take), and the earliest first token among the streams decoding.
    let oldestArrivalMs = Infinity;
    let oldestStreamingSinceMs = Infinity;
    for (const sequence of running) {
      if (sequence.isPrefilling) {
        firstPrefilling ??= sequence;
        oldestArrivalMs = Math.min(oldestArrivalMs, sequence.arrivalMs);
        continue;
      }
      take(sequence);
      decodes.numRows++;
      decodes.kvWork += kvWorkOf(sequence.numComputed, 1);
      oldestStreamingSinceMs = Math.min(oldestStreamingSinceMs, sequence.firstTokenMs ?? Infinity);
    }
    for (let i = 0; i < Math.min(waiting.length, slots.numFree); i++) oldestArrivalMs = Math.min(oldestArrivalMs, waiting[i].arrivalMs);
    // The time budget keeps steady the streams that were already streaming when the waiting prompt arrived. A stream
    // whose first token came later was still a prompt itself then (the two came in one burst, split only by when
    // each reached the engine): the prompt gets the whole token budget, as if both had been prefilled in one step.
    if (this.config.stepBudget && oldestStreamingSinceMs <= oldestArrivalMs && oldestArrivalMs !== Infinity) {
      budget = this.config.stepBudget.prefillTokens(decodes, firstPrefilling?.numComputed ?? 0, budget, nowMs - oldestArrivalMs);
    }
    for (const sequence of running) if (sequence.isPrefilling) take(sequence);

    const admitted: SchedulerOutput["admitted"] = [];
    for (let i = 0; i < waiting.length && budget > 0 && slots.numFree > 0; ) {
      const sequence = waiting[i];
      // The first chunk's cells, before any prefix reuse: an estimate on the safe side.
      if (Math.min(sequence.numUncomputed, budget) > kvRoom) break;
      const canReuse = !sequence.needsWholePrompt;
      if (canReuse && slots.longestPendingPrefix(sequence.tokens) - slots.longestCachedPrefix(sequence.tokens) >= minTokensWorthWaitingFor) {
        i++;
        continue;
      }
      const grant = slots.acquire(sequence.tokens, sequence, canReuse)!;
      waiting.splice(i, 1);
      sequence.status = "running";
      sequence.slotId = grant.slotId;
      sequence.numComputed = grant.numReusableTokens;
      // A preempted sequence coming back reports the cache hit of its first admission.
      if (sequence.numPreemptions === 0) sequence.numCachedPromptTokens = grant.numReusableTokens;
      running.push(sequence);
      admitted.push({ sequence, grant });
      take(sequence);
    }

    chunks.sort((a, b) => (a.sequence.slotId ?? 0) - (b.sequence.slotId ?? 0));
    return { chunks, admitted };
  }

  /** An admitted sequence whose KV could not be prepared: its slot holds nothing it can vouch for. */
  forgetComputed(sequence: Sequence): void {
    sequence.numComputed = 0;
  }

  /**
   * Applies a forward pass's results, chunk by chunk: the tokens computed, the
   * sampled token and what the output processor makes of it, the finish and
   * the slot's release. Chunks of sequences already finished (a request that
   * failed this step) only count their computed tokens. A throw while
   * processing one sequence's output is that sequence's failure, returned.
   */
  updateFromOutput(chunks: readonly ScheduledChunk[], results: readonly ItemResult[], processor: OutputProcessor): StepUpdate {
    const update: StepUpdate = { sampled: [], failures: [] };
    chunks.forEach(({ sequence, numTokens }, i) => {
      sequence.numComputed += numTokens;
      const { token, logprob, promptLogprobs } = results[i];
      if (promptLogprobs) sequence.addPromptLogprobs(promptLogprobs);
      if (token === undefined || sequence.isFinished) return;
      sequence.appendToken(token);
      try {
        const verdict = processor.process(sequence, token, logprob);
        if (verdict) this.finishSequence(sequence, verdict.reason, verdict.stopReason);
      } catch (error) {
        update.failures.push({ sequence, error });
        return;
      }
      update.sampled.push(sequence);
    });
    return update;
  }

  /** Ends these sequences (abort, failure): out of the lists, slots released. */
  finishRequest(sequences: readonly Sequence[]): void {
    for (const sequence of sequences) {
      if (!sequence.isFinished) sequence.finish("abort", null);
      removeFrom(this.waiting, sequence);
      this.release(sequence);
    }
  }

  /** Sequences whose abort was asked for since the last step end now. */
  finishAborted(): void {
    const aborted = [...this.running, ...this.waiting].filter((sequence) => sequence.isAbortRequested && !sequence.isFinished);
    this.finishRequest(aborted);
  }

  /**
   * A running sequence whose KV the engine dropped to make room in the pool
   * goes back to the queue, ahead of sequences of its priority, keeping its
   * sampler and output: it is recomputed when admitted again.
   */
  preempt(sequence: Sequence): void {
    removeFrom(this.running, sequence);
    if (sequence.slotId !== null) this.slots.release(sequence.slotId, true);
    sequence.slotId = null;
    sequence.numComputed = 0;
    sequence.status = "waiting";
    sequence.numPreemptions++;
    const index = this.config.schedulingPolicy === "priority" ? this.waiting.findIndex((queued) => queued.priority >= sequence.priority) : 0;
    this.waiting.splice(index === -1 ? this.waiting.length : index, 0, sequence);
  }

  /** Forgets every sequence and everything the slots held (after a fault: nothing there can be trusted). */
  reset(): void {
    this.waiting.length = 0;
    this.running.length = 0;
    this.slots = new SlotPool(this.config.numSlots, this.config.enablePrefixCaching);
  }

  private finishSequence(sequence: Sequence, reason: FinishVerdictReason, stopReason: string | number | null): void {
    sequence.finish(reason, stopReason);
    this.release(sequence);
  }

  private release(sequence: Sequence): void {
    removeFrom(this.running, sequence);
    sequence.sampler?.dispose();
    sequence.sampler = null;
    if (sequence.slotId === null) return;
    this.slots.release(sequence.slotId);
    sequence.slotId = null;
  }
}

type FinishVerdictReason = Parameters<Sequence["finish"]>[0];

export interface StepUpdate {
  /** Sequences that got a token this step, in chunk order (finished ones included). */
  sampled: Sequence[];
  /** Sequences whose output processing threw: their requests fail. */
  failures: Array<{ sequence: Sequence; error: unknown }>;
}

function removeFrom(list: Sequence[], sequence: Sequence): void {
  const index = list.indexOf(sequence);
  if (index >= 0) list.splice(index, 1);
}
