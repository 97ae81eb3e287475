/**
 * llama.cpp grammar state per sequence. A sequence's state lives on its own
 * sampler, so each of n choices forked from one prompt walks the grammar on
 * its own. The addon's sampleToken advances the state with every non-EOG
 * token it samples, so the runner only creates states and hands them over.
 */
import { GrammarDeadEnd, InvalidGrammar } from "../domain-errors.js";
import type { SamplerConfig } from "../engine/model-runner.js";
import { type AddonGrammar, type AddonGrammarEvaluationState, type AddonSamplerConfig, type Internals, isGrammarDeadEndFailure } from "./addon-types.js";
import { Utf8TokenGuard, type GuardHolder, type TokenBytes } from "./utf8-token-guard.js";

/** Parsed grammars kept for reuse: requests of one schema share one. */
const maxCachedGrammars = 64;

export interface GrammarHolder extends GuardHolder {
  /** The grammar text the state below follows; null: none yet. */
  grammarText: string | null;
  grammarState: AddonGrammarEvaluationState | null;
}

export interface GrammarVocabulary {
  /** Each token's bytes (null: leave it alone), or null when the vocabulary's bytes are unknown. */
  tokenBytes: TokenBytes | null;
  /** Tokens never sampled under a grammar (see Utf8TokenGuard). */
  bannedTokens: number[];
}

export class GrammarStates {
  private readonly parsed = new Map<string, AddonGrammar>();
  private guard: Utf8TokenGuard | null | undefined;

  /** `loadVocabulary`: what the token guard needs, read on the first constrained request. */
  constructor(
    private readonly internals: Internals,
    private readonly loadVocabulary: () => GrammarVocabulary = () => ({ tokenBytes: null, bannedTokens: [] }),
  ) {}

  /** What the sampler needs on top of the request's own config: the grammar state and the UTF-8 guard's bans. */
  nativeConfigFor(holder: GrammarHolder, config: SamplerConfig, generatedTokens: readonly number[]): AddonSamplerConfig {
    if (config.grammar === null) return {};
    const grammarEvaluationState = this.stateFor(holder, config.grammar, generatedTokens);
    if (this.guard === undefined) {
      const { tokenBytes, bannedTokens } = this.loadVocabulary();
      this.guard = tokenBytes === null && bannedTokens.length === 0 ? null : new Utf8TokenGuard(tokenBytes ?? [], bannedTokens);
    }
    const bias = this.guard?.biasFor(holder, generatedTokens, config.logitBias) ?? null;
    return bias === null ? { grammarEvaluationState } : { grammarEvaluationState, tokenBiasKeys: bias.tokenIds, tokenBiasValues: bias.biases };
  }

  /**
   * Samples the next token under the grammar `state`. When the grammar and the
   * request's bans (bad_words) leave no token, llama.cpp
   * either fails to accept what it drew or draws an end-of-generation token the
   * grammar does not allow yet: both are a GrammarDeadEnd of this sequence
   * (the request's answer), never an output that breaks the constraint or a
   * failure of the whole batch.
   */
  async sampleUnder(state: AddonGrammarEvaluationState, endOfGenerationTokens: ReadonlySet<number>, sample: () => Promise<number>): Promise<number> {
    let token: number;
    try {
      token = await sample();
    } catch (error) {
      if (isGrammarDeadEndFailure(error)) throw new GrammarDeadEnd();
      throw error;
    }
    if (endOfGenerationTokens.has(token) && !this.internals.bindings.AddonSampler.canBeNextTokenForGrammarEvaluationState(state, token)) {
      throw new GrammarDeadEnd();
    }
    return token;
  }

  /** Parses the grammar in llama.cpp; an unparsable one is an InvalidGrammar (the request's answer), never a crash at sampling time. */
  check(grammar: string): void {
    this.parse(grammar);
  }

  /**
   * The state to sample `holder`'s next token with. Created on first use and
   * caught up with the tokens generated so far (a re-admitted sequence).
   */
  stateFor(holder: GrammarHolder, grammar: string, generatedTokens: readonly number[]): AddonGrammarEvaluationState {
    if (holder.grammarState !== null && holder.grammarText === grammar) return holder.grammarState;
    const { bindings, addonModel } = this.internals;
    const state = new bindings.AddonGrammarEvaluationState(addonModel, this.parse(grammar));
    for (const token of generatedTokens) bindings.AddonSampler.acceptGrammarEvaluationStateToken(state, token);
    holder.grammarText = grammar;
    holder.grammarState = state;
    return state;
  }

  private parse(grammar: string): AddonGrammar {
    const cached = this.parsed.get(grammar);
    if (cached) {
      this.parsed.delete(grammar);
      this.parsed.set(grammar, cached);
      return cached;
    }
    let parsed: AddonGrammar;
    try {
      parsed = new this.internals.bindings.AddonGrammar(grammar, { addonExports: this.internals.bindings, rootRuleName: "root" });
    } catch {
      throw new InvalidGrammar();
    }
    this.parsed.set(grammar, parsed);
    if (this.parsed.size > maxCachedGrammars) this.parsed.delete(this.parsed.keys().next().value!);
    return parsed;
  }
}
