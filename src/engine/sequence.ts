/**
 * One choice of a request: its tokens, how much of them the KV slot holds, and
 * its output state (what output-processor.ts has made of its tokens so far).
 */
import { ChoiceOutputState, type OutputContext } from "./output-processor.js";
import type { BatchItem, LogitBias, SamplerConfig, SequenceSampler } from "./model-runner.js";
import type { TokenBiasPlan } from "./token-bias.js";
import type { ChoiceOutput, FinishReason, SamplingParams, TokenLogprob } from "./types.js";
import { withBans } from "./token-bias.js";

const noTokens: readonly number[] = [];

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type SequenceStatus = "waiting" | "running" | "finished";

export type SequenceContext = OutputContext;

export class Sequence {
  status: SequenceStatus = "waiting";
  slotId: number | null = null;
  /** Prompt then generated tokens. */
  readonly tokens: number[];
  readonly promptTokens: readonly number[];
  readonly numPromptTokens: number;
  /** Leading tokens of `tokens` whose KV is in the slot. */
  numComputed = 0;
  numCachedPromptTokens = 0;
  readonly outputTokens: number[] = [];
  /** `tokens` again, as one growing typed array: the penalty window a runner reads without a copy per step. */
  private windowBuffer: Uint32Array;
  finishReason: FinishReason | null = null;
  stopReason: string | number | null = null;
  isAbortRequested = false;
  /** Times its KV was dropped to make room in a shared pool (it is then recomputed). */
  numPreemptions = 0;
  /** Scheduling priority of the request; lower goes first under the priority policy. */
  priority = 0;
  /** When its request reached the engine (the engine's clock): how long its prompt has waited for its first token. */
  arrivalMs = 0;
  /** When it got its first token (the engine's clock); null before. */
  firstTokenMs: number | null = null;
  sampler: SequenceSampler | null = null;
  /** The sampler config without logit biases; `samplerConfig()` adds the current ones. */
  private readonly baseSamplerConfig: SamplerConfig;
  private lastSamplerConfig: SamplerConfig;
  /** What `lastSamplerConfig`'s biases were built from. */
  private lastPlanned: LogitBias | null = null;
  private lastBans: readonly number[] = noTokens;

  /** Its text on the way out: detokenizer, stop checker, the delta not yet published. */
  readonly output: ChoiceOutputState;
  /** Prompt logprobs gathered so far (first choice, when asked for); null entry for the first token. */
  readonly promptLogprobs: Array<TokenLogprob | null> | null;

  constructor(
    readonly requestId: string,
    readonly index: number,
    promptTokens: readonly number[],
    readonly params: SamplingParams,
    seed: number,
    context: SequenceContext,
    private readonly biasPlan: TokenBiasPlan | null = null,
  ) {
    this.tokens = [...promptTokens];
    this.windowBuffer = new Uint32Array(Math.max(16, promptTokens.length * 2));
    this.windowBuffer.set(promptTokens);
    this.promptTokens = promptTokens;
    this.numPromptTokens = promptTokens.length;
    this.promptLogprobs = params.promptLogprobs !== null && index === 0 ? [null] : null;
    this.output = new ChoiceOutputState(params, promptTokens, context);
    const { temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty, grammar } = params;
    this.baseSamplerConfig = { temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty, grammar, seed, logitBias: null };
    this.lastSamplerConfig = this.baseSamplerConfig;
  }

  /**
   * The config to sample this sequence's next token with. The logit biases
   * depend on how many tokens it has produced (min_tokens); the same config
   * object is returned until they change, so a runner can cheaply see "unchanged".
   */
  samplerConfig(): SamplerConfig {
    const planned = this.biasPlan?.forOutputLength(this.outputTokens.length) ?? null;
    const bans = this.badWordBans();
    // Built again only when the plan's phase or the banned set changed, not every step.
    if (planned === this.lastPlanned && sameTokens(bans, this.lastBans)) return this.lastSamplerConfig;
    this.lastPlanned = planned;
    this.lastBans = bans;
    const logitBias: LogitBias | null = bans.length > 0 ? withBans(planned, bans) : planned;
    if (logitBias !== this.lastSamplerConfig.logitBias) this.lastSamplerConfig = { ...this.baseSamplerConfig, logitBias };
    return this.lastSamplerConfig;
  }

  /**
   * vLLM's bad words: a word's last token is banned whenever the output ends
   * with the tokens before it (a one-token word always).
   */
  private badWordBans(): readonly number[] {
    if (this.params.badWords.length === 0) return noTokens;
    const bans: number[] = [];
    const output = this.outputTokens;
    for (const word of this.params.badWords) {
      const prefixLength = word.length - 1;
      if (prefixLength > output.length) continue;
      let matches = true;
      for (let i = 0; i < prefixLength && matches; i++) matches = output[output.length - prefixLength + i] === word[i];
      if (matches) bans.push(word[prefixLength]);
    }
    return bans;
  }

  /** Prompt then generated tokens: a view of a buffer grown in place (doubling), valid until the next token. */
  get tokenWindow(): Uint32Array {
    return this.windowBuffer.subarray(0, this.tokens.length);
  }

  /** Whether this sequence's prompt must be computed here rather than taken from the prefix cache (its logprobs are wanted). */
  get needsWholePrompt(): boolean {
    return this.promptLogprobs !== null;
  }

  /** The token after each of `numTokens` positions from `startPosition`, while inside the prompt: what prompt logprobs score. */
  promptNextTokens(startPosition: number, numTokens: number): Array<number | undefined> | null {
    // Positions scored before a preemption are not scored again when recomputed.
    const numScored = this.promptLogprobs === null ? 0 : this.promptLogprobs.length - 1;
    if (this.promptLogprobs === null || Math.max(startPosition, numScored) >= this.numPromptTokens - 1) return null;
    return Array.from({ length: numTokens }, (_, i) => {
      const position = startPosition + i;
      return position >= numScored && position + 1 < this.numPromptTokens ? this.tokens[position + 1] : undefined;
    });
  }

  /** What the runner is given for this sequence's next `numTokens` tokens, sampling after them when `isSampling`. */
  batchItem(numTokens: number, isSampling: boolean): BatchItem {
    const nextTokens = this.promptNextTokens(this.numComputed, numTokens);
    return {
      slotId: this.slotId!,
      startPosition: this.numComputed,
      tokens: this.tokens.slice(this.numComputed, this.numComputed + numTokens),
      sample: isSampling
        ? {
            sampler: this.sampler!,
            config: this.samplerConfig(),
            penaltyTokens: this.outputTokens,
            promptTokens: this.promptTokens,
            tokenWindow: this.tokenWindow,
            numLogprobs: this.params.logprobs,
          }
        : undefined,
      ...(nextTokens ? { promptLogprobs: { numTop: this.params.promptLogprobs ?? 0, nextTokens } } : {}),
    };
  }

  addPromptLogprobs(logprobs: readonly TokenLogprob[]): void {
    this.promptLogprobs?.push(...logprobs);
  }

  get isPrefilling(): boolean {
    return this.numComputed < this.tokens.length - 1;
  }

  get isFinished(): boolean {
    return this.status === "finished";
  }

  /** Tokens still to feed before the next sample. */
  get numUncomputed(): number {
    return this.tokens.length - this.numComputed;
  }

  /** Appends a sampled token (the scheduler's `updateFromOutput` does, then the output processor reads its text). */
  appendToken(token: number): void {
    if (this.tokens.length === this.windowBuffer.length) {
      const grown = new Uint32Array(this.windowBuffer.length * 2);
      grown.set(this.windowBuffer);
      this.windowBuffer = grown;
    }
    this.windowBuffer[this.tokens.length] = token;
    this.tokens.push(token);
    this.outputTokens.push(token);
  }

  get numOutputTokens(): number {
    return this.outputTokens.length;
  }

  get numTokens(): number {
    return this.tokens.length;
  }

  finish(reason: FinishReason, stopReason: string | number | null): void {
    this.status = "finished";
    this.finishReason = reason;
    this.stopReason = stopReason;
  }

  /** Takes what was produced since the last call, or null if nothing was. */
  takeOutput(): ChoiceOutput | null {
    const finish = this.finishReason === null ? null : { reason: this.finishReason, stopReason: this.stopReason };
    return this.output.take(this.index, this.isFinished ? finish : null, this.params.logprobs !== null);
  }
}
