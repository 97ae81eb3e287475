/**
 * The logit biases a request's choices sample with: the request's `logit_bias`,
 * -Infinity outside `allowed_token_ids`, and, until a choice has `min_tokens`
 * tokens, -Infinity on EOS/end-of-generation tokens and `stop_token_ids` (as
 * vLLM's min-tokens logits processor). Built once per request and shared by its
 * choices; each phase's arrays are built once, so a runner sees the same object
 * step after step and only a new one when the phase changes.
 */
import type { LogitBias } from "./model-runner.js";
import type { SamplingParams } from "./types.js";

export class TokenBiasPlan {
  private beforeMinTokens: LogitBias | null | undefined;
  private afterMinTokens: LogitBias | null | undefined;

  constructor(
    private readonly params: SamplingParams,
    private readonly endOfGenerationTokens: ReadonlySet<number>,
    private readonly vocabSize: number,
  ) {}

  /** The biases for sampling a choice's next token once it has `numOutputTokens` tokens. */
  forOutputLength(numOutputTokens: number): LogitBias | null {
    if (numOutputTokens < this.params.minTokens) {
      if (this.beforeMinTokens === undefined) this.beforeMinTokens = this.build(true);
      return this.beforeMinTokens;
    }
    if (this.afterMinTokens === undefined) this.afterMinTokens = this.build(false);
    return this.afterMinTokens;
  }

  private build(isBeforeMinTokens: boolean): LogitBias | null {
    const { logitBias, allowedTokenIds, stopTokenIds, ignoreEos } = this.params;
    const biases = new Map<number, number>();
    const allowed = allowedTokenIds === null ? null : new Set(allowedTokenIds);
    if (allowed !== null) {
      for (let token = 0; token < this.vocabSize; token++) if (!allowed.has(token)) biases.set(token, -Infinity);
    }
    for (const [token, bias] of logitBias) {
      if (biases.get(token) !== -Infinity && bias !== 0) biases.set(token, bias);
    }
    if (isBeforeMinTokens) {
      const banned = new Set(stopTokenIds);
      if (!ignoreEos) for (const token of this.endOfGenerationTokens) banned.add(token);
      // Never ban every token that may be sampled: llama.cpp would have nothing to pick.
      const leavesSomething = allowed === null || [...allowed].some((token) => !banned.has(token));
      if (leavesSomething) for (const token of banned) biases.set(token, -Infinity);
    }
    if (biases.size === 0) return null;
    return packLogitBias(biases);
  }
}

/** `bias` with these tokens banned too (-Infinity): a new object, as the set changes from step to step. */
export function withBans(bias: LogitBias | null, bannedTokens: readonly number[]): LogitBias {
  const merged = new Map<number, number>();
  bias?.tokenIds.forEach((token, i) => merged.set(token, bias.biases[i]));
  for (const token of bannedTokens) merged.set(token, -Infinity);
  return packLogitBias(merged);
}

function packLogitBias(biases: ReadonlyMap<number, number>): LogitBias {
  const tokenIds = Uint32Array.from([...biases.keys()].sort((a, b) => a - b));
  return { tokenIds, biases: Float32Array.from(tokenIds, (token) => biases.get(token)!) };
}
