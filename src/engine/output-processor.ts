/**
 * What a sampled token means for its choice's output (vLLM v1's output
 * processor and detokenizer): detokenize it incrementally, look for stop
 * strings (holding back what may still become one), and decide whether the
 * choice ends here (stop token, EOS, stop string, max_tokens, a full slot).
 * Called from the scheduler's `updateFromOutput` for every sampled token; it
 * changes only the choice's pending output, never the sequence's state: it
 * returns how the choice finishes and the scheduler applies that.
 */
import { IncrementalDetokenizer } from "../sampling/incremental-detokenizer.js";
import { StopChecker } from "../sampling/stop-checker.js";
import type { ChoiceOutput, FinishReason, SamplingParams, TokenLogprob } from "./types.js";

export interface OutputContext {
  detokenize: (tokens: readonly number[]) => string;
  /** The same with special tokens written out (vLLM's `skip_special_tokens: false`). */
  detokenizeWithSpecialTokens: (tokens: readonly number[]) => string;
  endOfGenerationTokens: ReadonlySet<number>;
  /** Tokens a slot can hold; a sequence that fills it stops with "length". */
  slotCapacity: number;
}

export interface FinishVerdict {
  reason: FinishReason;
  /** The stop string or stop token id, when one ended the choice. */
  stopReason: string | number | null;
}

/** What `process` needs to know of the choice besides its token. */
export interface ProcessedChoice {
  readonly params: SamplingParams;
  readonly output: ChoiceOutputState;
  /** Generated tokens so far, the new one included. */
  readonly numOutputTokens: number;
  /** Prompt plus generated tokens, the new one included. */
  readonly numTokens: number;
}

/** One choice's text on its way out: the detokenizer, the stop checker and the delta not yet published. */
export class ChoiceOutputState {
  readonly detokenizer: IncrementalDetokenizer;
  readonly stopChecker: StopChecker;
  pendingText = "";
  pendingTokenIds: number[] = [];
  pendingLogprobs: TokenLogprob[] = [];
  private isFinishReported = false;

  constructor(params: SamplingParams, promptTokens: readonly number[], context: OutputContext) {
    this.detokenizer = new IncrementalDetokenizer(params.skipSpecialTokens ? context.detokenize : context.detokenizeWithSpecialTokens, { contextTokenIds: promptTokens.slice(-8) });
    this.stopChecker = new StopChecker(params.stop, { includeStopStringInOutput: params.includeStopStringInOutput });
  }

  /** Takes what was produced since the last call, or null if nothing was. */
  take(index: number, finish: FinishVerdict | null, hasLogprobs: boolean): ChoiceOutput | null {
    const hasNews = this.pendingText !== "" || this.pendingTokenIds.length > 0 || (finish !== null && !this.isFinishReported);
    if (!hasNews) return null;
    this.isFinishReported = finish !== null;
    const output: ChoiceOutput = {
      index,
      text: this.pendingText,
      tokenIds: this.pendingTokenIds,
      logprobs: hasLogprobs ? this.pendingLogprobs : null,
      finishReason: finish?.reason ?? null,
      stopReason: finish?.stopReason ?? null,
    };
    this.pendingText = "";
    this.pendingTokenIds = [];
    this.pendingLogprobs = [];
    return output;
  }
}

export class OutputProcessor {
  constructor(private readonly context: Pick<OutputContext, "endOfGenerationTokens" | "slotCapacity">) {}

  /** The text of a token the choice now holds; how the choice finishes, or null while it goes on. */
  process(choice: ProcessedChoice, token: number, logprob?: TokenLogprob): FinishVerdict | null {
    const { params, output } = choice;
    output.pendingTokenIds.push(token);
    if (logprob) output.pendingLogprobs.push(logprob);
    if (params.stopTokenIds.includes(token)) return this.finishWithFlush(choice, { reason: "stop", stopReason: token });
    if (!params.ignoreEos && this.context.endOfGenerationTokens.has(token)) return this.finishWithFlush(choice, { reason: "stop", stopReason: null });
    const stopped = this.emitText(choice, output.detokenizer.push(token));
    if (stopped) return stopped;
    if (choice.numOutputTokens >= params.maxTokens || choice.numTokens >= this.context.slotCapacity) {
      return this.finishWithFlush(choice, { reason: "length", stopReason: null });
    }
    return null;
  }

  /** Adds text to the pending output; the verdict when a stop string ends the choice. */
  private emitText(choice: ProcessedChoice, delta: string): FinishVerdict | null {
    if (delta === "") return null;
    const { output, params } = choice;
    // vLLM does not look for stop strings in the text of the first min_tokens tokens.
    if (choice.numOutputTokens <= params.minTokens) {
      output.pendingText += delta;
      return null;
    }
    const result = output.stopChecker.push(delta);
    output.pendingText += result.text;
    return result.stopped ? { reason: "stop", stopReason: result.matched ?? null } : null;
  }

  /** The choice ends: what the detokenizer and stop checker still hold comes out, unless a stop string is in it. */
  private finishWithFlush(choice: ProcessedChoice, verdict: FinishVerdict): FinishVerdict {
    const stopped = this.emitText(choice, choice.output.detokenizer.flush());
    if (stopped) return stopped;
    choice.output.pendingText += choice.output.stopChecker.flush();
    return verdict;
  }
}
