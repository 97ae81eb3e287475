/**
 * How many prompt tokens the next step may prefill (Sarathi-Serve's
 * stall-free batching, with a time budget instead of a token budget). Alone
 * on the engine a prompt prefills at full speed; while decodes run, a step
 * takes only as many prompt tokens as keep it within the inter-token-latency
 * target, as the learnt step cost predicts, but never fewer than a floor, so
 * that no waiting prompt starves behind a full house of decodes.
 *
 * Without an explicit target, the target also grows with the longest wait of
 * a prompt not yet started (a fraction of it, `waitFactor`): a few streams
 * that started just before a wave of prompts yield more the longer the wave
 * waits, instead of letting it trickle in a prompt at a time behind them.
 */
import { kvWorkOf, type StepCostModel, type StepShape } from "./step-cost-model.js";

export interface StepBudgetConfig {
  /** ITL target (ms) for a step that carries decodes; null: `decodeStepFactor` times the predicted decode-only step. */
  maxStepMs: number | null;
  /** With no explicit target: how much longer than the decodes alone a step with prefill may take. */
  decodeStepFactor: number;
  /** Prompt tokens a step always has room for, whatever the target: the bound on a waiting prompt's time to first token. */
  minPrefillTokens: number;
  /** With no explicit target: a step with prefill may also take this fraction of the longest wait of a prompt not yet started. */
  waitFactor: number;
}

/** The decodes already in the next step. */
export interface DecodeLoad {
  numRows: number;
  kvWork: number;
}

export class StepBudget {
  constructor(
    private readonly model: StepCostModel,
    private readonly config: StepBudgetConfig,
  ) {}

  /**
   * Prompt tokens (at most `maxTokens`) the next step may take beside `decodes`,
   * the first of them at KV position `prefillPosition`, when the prompt that
   * has waited longest for its first token has waited `longestWaitMs`.
   */
  prefillTokens(decodes: DecodeLoad, prefillPosition: number, maxTokens: number, longestWaitMs = 0): number {
    if (decodes.numRows === 0 || maxTokens <= 0) return Math.max(maxTokens, 0);
    const decodeOnly: StepShape = { numPrefillTokens: 0, numDecodeRows: decodes.numRows, kvWork: decodes.kvWork };
    const decodeMs = this.model.predict(decodeOnly);
    if (decodeMs === null) return maxTokens; // nothing learnt yet: the steps that teach it
    const targetMs = this.config.maxStepMs ?? Math.max(this.config.decodeStepFactor * decodeMs, this.config.waitFactor * longestWaitMs);
    const costOf = (numTokens: number) =>
      this.model.predict({ ...decodeOnly, numPrefillTokens: numTokens, kvWork: decodes.kvWork + kvWorkOf(prefillPosition, numTokens) })!;
    // The cost grows with the tokens: the largest count within the target, by bisection.
    let low = 0;
    let high = maxTokens;
    if (costOf(high) <= targetMs) return maxTokens;
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (costOf(middle) <= targetMs) low = middle;
      else high = middle;
    }
    return Math.min(maxTokens, Math.max(low, this.config.minPrefillTokens));
  }
}
