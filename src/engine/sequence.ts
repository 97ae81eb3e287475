/**
 * One choice of a request: its tokens, how much of them the KV slot holds, and
 * the output pipeline (detokenize -> stop strings -> finish) for what it samples.
 */
import { IncrementalDetokenizer } from "../sampling/incremental-detokenizer.js";
import { StopChecker } from "../sampling/stop-checker.js";
import type { LogitBias, SamplerConfig, SequenceSampler } from "./model-runner.js";
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

export interface SequenceContext {
  decode: (tokens: readonly number[]) => string;
  /** The same with special tokens written out (vLLM's `skip_special_tokens: false`). */
  decodeWithSpecialTokens: (tokens: readonly number[]) => string;
  endOfGenerationTokens: ReadonlySet<number>;
  /** Tokens a slot can hold; a sequence that fills it stops with "length". */
  slotCapacity: number;
}

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
  sampler: SequenceSampler | null = null;
  /** The sampler config without logit biases; `samplerConfig()` adds the current ones. */
  private readonly baseSamplerConfig: SamplerConfig;
  private lastSamplerConfig: SamplerConfig;
  /** What `lastSamplerConfig`'s biases were built from. */
  private lastPlanned: LogitBias | null = null;
  private lastBans: readonly number[] = noTokens;

  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stopChecker: StopChecker;
  private pendingText = "";
  private pendingTokenIds: number[] = [];
  private pendingLogprobs: TokenLogprob[] = [];
  /** Prompt logprobs gathered so far (first choice, when asked for); null entry for the first token. */
  readonly promptLogprobs: Array<TokenLogprob | null> | null;
  private isFinishReported = false;

  constructor(
    readonly requestId: string,
    readonly index: number,
    promptTokens: readonly number[],
    readonly params: SamplingParams,
    seed: number,
    private readonly context: SequenceContext,
    private readonly biasPlan: TokenBiasPlan | null = null,
  ) {
    this.tokens = [...promptTokens];
    this.windowBuffer = new Uint32Array(Math.max(16, promptTokens.length * 2));
    this.windowBuffer.set(promptTokens);
    this.promptTokens = promptTokens;
    this.numPromptTokens = promptTokens.length;
    this.promptLogprobs = params.promptLogprobs !== null && index === 0 ? [null] : null;
    this.detokenizer = new IncrementalDetokenizer(params.skipSpecialTokens ? context.decode : context.decodeWithSpecialTokens, { contextTokenIds: promptTokens.slice(-8) });
    this.stopChecker = new StopChecker(params.stop, { includeStopStringInOutput: params.includeStopStringInOutput });
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

  /** Applies a sampled token: detokenize, check stops and limits. */
  appendToken(token: number, logprob?: TokenLogprob): void {
    if (this.tokens.length === this.windowBuffer.length) {
      const grown = new Uint32Array(this.windowBuffer.length * 2);
      grown.set(this.windowBuffer);
      this.windowBuffer = grown;
    }
    this.windowBuffer[this.tokens.length] = token;
    this.tokens.push(token);
    this.outputTokens.push(token);
    this.pendingTokenIds.push(token);
    if (logprob) this.pendingLogprobs.push(logprob);
    const { params } = this;
    if (params.stopTokenIds.includes(token)) {
      this.finishWithFlush("stop", token);
      return;
    }
    if (!params.ignoreEos && this.context.endOfGenerationTokens.has(token)) {
      this.finishWithFlush("stop", null);
      return;
    }
    if (this.emitText(this.detokenizer.push(token))) return;
    if (this.outputTokens.length >= params.maxTokens || this.tokens.length >= this.context.slotCapacity) {
      if (this.emitText(this.detokenizer.flush())) return;
      this.pendingText += this.stopChecker.flush();
      this.finish("length", null);
    }
  }

  finish(reason: FinishReason, stopReason: string | number | null): void {
    this.status = "finished";
    this.finishReason = reason;
    this.stopReason = stopReason;
  }

  /** Takes what was produced since the last call, or null if nothing was. */
  takeOutput(): ChoiceOutput | null {
    const hasNews = this.pendingText !== "" || this.pendingTokenIds.length > 0 || (this.isFinished && !this.isFinishReported);
    if (!hasNews) return null;
    this.isFinishReported = this.isFinished;
    const output: ChoiceOutput = {
      index: this.index,
      text: this.pendingText,
      tokenIds: this.pendingTokenIds,
      logprobs: this.params.logprobs === null ? null : this.pendingLogprobs,
      finishReason: this.finishReason,
      stopReason: this.stopReason,
    };
    this.pendingText = "";
    this.pendingTokenIds = [];
    this.pendingLogprobs = [];
    return output;
  }

  /** Returns true when a stop string ended the sequence. */
  private emitText(delta: string): boolean {
    if (delta === "") return false;
    // vLLM does not look for stop strings in the text of the first min_tokens tokens.
    if (this.outputTokens.length <= this.params.minTokens) {
      this.pendingText += delta;
      return false;
    }
    const result = this.stopChecker.push(delta);
    this.pendingText += result.text;
    if (result.stopped) {
      this.finish("stop", result.matched ?? null);
      return true;
    }
    return false;
  }

  private finishWithFlush(reason: FinishReason, stopReason: number | null): void {
    if (!this.emitText(this.detokenizer.flush())) this.pendingText += this.stopChecker.flush();
    if (!this.isFinished) this.finish(reason, stopReason);
  }
}
