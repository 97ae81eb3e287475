/**
 * Decides what the next forward pass computes (vLLM v1 style): running
 * decodes first, one token each; then prefill chunks of running sequences;
 * then newly admitted sequences, while slots and the token budget last. While
 * decodes run, prompts get only the share of the step that the time budget
 * allows (step-budget.ts), so a prompt never freezes the streams already running.
 */
import type { Sequence } from "./sequence.js";
import type { SlotGrant, SlotPool } from "./slot-pool.js";
import type { StepBudget } from "./step-budget.js";
import { kvWorkOf } from "./step-cost-model.js";

export interface SchedulerConfig {
  maxNumBatchedTokens: number;
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
  constructor(private readonly config: SchedulerConfig) {}

  /**
   * Mutates `waiting` and `running`: admitted sequences move over and get a
   * slot (and the cached prefix length) from `slots`. `kvRoom`: KV cells free
   * or freeable in a shared pool; running sequences draw on it first (the
   * engine preempts when they overdraw), and a sequence is admitted only when
   * its first chunk fits in what is left.
   */
  schedule(waiting: Sequence[], running: Sequence[], slots: SlotPool, kvRoom = Infinity): SchedulerOutput {
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
    for (const sequence of running) {
      if (sequence.isPrefilling) continue;
      take(sequence);
      decodes.numRows++;
      decodes.kvWork += kvWorkOf(sequence.numComputed, 1);
    }
    const firstPrefilling = running.find((sequence) => sequence.isPrefilling);
    if (this.config.stepBudget) budget = this.config.stepBudget.prefillTokens(decodes, firstPrefilling?.numComputed ?? 0, budget);
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
}
