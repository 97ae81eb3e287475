/**
 * One choice of a request: its tokens, how much of them the KV slot holds, and
 * the output pipeline (detokenize -> stop strings -> finish) for what it samples.
 */
import { IncrementalDetokenizer } from "../sampling/incremental-detokenizer.js";
import { StopChecker } from "../sampling/stop-checker.js";
import type { SamplerConfig, SequenceSampler } from "./model-runner.js";
import type { TokenBiasPlan } from "./token-bias.js";
import type { ChoiceOutput, FinishReason, SamplingParams } from "./types.js";

export type SequenceStatus = "waiting" | "running" | "finished";

export interface SequenceContext {
  decode: (tokens: readonly number[], options?: { renderSpecialTokens?: boolean }) => string;
  endOfGenerationTokens: ReadonlySet<number>;
  /** Tokens a slot can hold; a sequence that fills it stops with "length". */
  slotCapacity: number;
}

export class Sequence {
  status: SequenceStatus = "waiting";
  slotId: number | null = null;
  /** Prompt then generated tokens. */
  readonly tokens: number[];
  readonly numPromptTokens: number;
  /** Leading tokens of `tokens` whose KV is in the slot. */
  numComputed = 0;
  numCachedPromptTokens = 0;
  readonly outputTokens: number[] = [];
  finishReason: FinishReason | null = null;
  stopReason: string | number | null = null;
  isAbortRequested = false;
  /** Scheduling priority of the request; lower goes first under the priority policy. */
  priority = 0;
  sampler: SequenceSampler | null = null;
  /** The sampler config without logit biases; `samplerConfig()` adds the current ones. */
  private readonly baseSamplerConfig: SamplerConfig;
  private lastSamplerConfig: SamplerConfig;

  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stopChecker: StopChecker;
  private pendingText = "";
  private pendingTokenIds: number[] = [];
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
    this.numPromptTokens = promptTokens.length;
    const decode = params.skipSpecialTokens === false ? (tokens: readonly number[]) => context.decode(tokens, { renderSpecialTokens: true }) : context.decode;
    this.detokenizer = new IncrementalDetokenizer(decode, { contextTokenIds: promptTokens.slice(-8) });
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
    const logitBias = this.biasPlan?.forOutputLength(this.outputTokens.length) ?? null;
    if (logitBias !== this.lastSamplerConfig.logitBias) this.lastSamplerConfig = { ...this.baseSamplerConfig, logitBias };
    return this.lastSamplerConfig;
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
  appendToken(token: number): void {
    this.tokens.push(token);
    this.outputTokens.push(token);
    this.pendingTokenIds.push(token);
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
      finishReason: this.finishReason,
      stopReason: this.stopReason,
    };
    this.pendingText = "";
    this.pendingTokenIds = [];
    return output;
  }

  /** Returns true when a stop string ended the sequence. */
  private emitText(delta: string): boolean {
    if (delta === "") return false;
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
