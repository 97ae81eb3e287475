/**
 * Engine logprobs -> the wire: chat's `{content: [{token, logprob, bytes,
 * top_logprobs}]}`, completions' `{tokens, token_logprobs, top_logprobs,
 * text_offset}`, and vLLM's `prompt_logprobs` (one entry per prompt token,
 * null for the first). -Infinity is written as -9999.0, as vLLM does.
 */
import type { ChatCompletionTokenLogprob } from "openai/resources/chat/completions";
import type { CompletionChoice } from "openai/resources/completions";
import type { TokenLogprob } from "../engine/types.js";

export type CompletionLogprobs = CompletionChoice.Logprobs;

/** vLLM's prompt logprob entry: token id (as a string) -> its logprob, rank and text. */
export type PromptLogprobEntry = Record<string, { logprob: number; rank: number | null; decoded_token: string }> | null;

export class LogprobFormatter {
  private readonly texts = new Map<number, string>();

  constructor(
    /** A token's text with special tokens rendered. */
    private readonly decodeToken: (token: number) => string,
    /** vLLM's `return_tokens_as_token_ids`: tokens written as "token_id:123". */
    private readonly asTokenIds: boolean,
  ) {}

  tokenText(token: number): string {
    if (this.asTokenIds) return `token_id:${token}`;
    let text = this.texts.get(token);
    if (text === undefined) this.texts.set(token, (text = this.decodeToken(token)));
    return text;
  }

  chat(logprobs: readonly TokenLogprob[]): ChatCompletionTokenLogprob[] {
    return logprobs.map((entry) => ({
      ...this.chatEntry(entry.token, entry.logprob),
      top_logprobs: entry.top.map((alternative) => this.chatEntry(alternative.token, alternative.logprob)),
    }));
  }

  /**
   * Completions' parallel lists. `textOffset` is where the first token's text
   * starts in the choice's text; null entries are prompt tokens with no logprob (the first).
   */
  completion(logprobs: ReadonlyArray<TokenLogprob | null>, tokens: readonly number[], textOffset: number): Required<CompletionLogprobs> {
    const result: Required<CompletionLogprobs> = { text_offset: [], token_logprobs: [], tokens: [], top_logprobs: [] };
    let offset = textOffset;
    tokens.forEach((token, i) => {
      const entry = logprobs[i] ?? null;
      const text = this.tokenText(token);
      result.tokens.push(text);
      result.text_offset.push(offset);
      offset += text.length;
      // The SDK types say number; vLLM (and OpenAI for echo) send null for the first prompt token.
      result.token_logprobs.push((entry === null ? null : wireLogprob(entry.logprob)) as number);
      result.top_logprobs.push((entry === null ? null : this.topMap(entry)) as Record<string, number>);
    });
    return result;
  }

  prompt(logprobs: ReadonlyArray<TokenLogprob | null>): PromptLogprobEntry[] {
    return logprobs.map((entry) => {
      if (entry === null) return null;
      const result: NonNullable<PromptLogprobEntry> = {};
      entry.top.forEach((alternative, rank) => {
        result[String(alternative.token)] = { logprob: wireLogprob(alternative.logprob), rank: rank + 1, decoded_token: this.tokenText(alternative.token) };
      });
      const ownRank = entry.top.findIndex((alternative) => alternative.token === entry.token);
      result[String(entry.token)] = { logprob: wireLogprob(entry.logprob), rank: ownRank >= 0 ? ownRank + 1 : null, decoded_token: this.tokenText(entry.token) };
      return result;
    });
  }

  /** The top alternatives plus the token itself, as vLLM's completions do. */
  private topMap(entry: TokenLogprob): Record<string, number> {
    const map: Record<string, number> = {};
    for (const alternative of entry.top) map[this.tokenText(alternative.token)] ??= wireLogprob(alternative.logprob);
    map[this.tokenText(entry.token)] ??= wireLogprob(entry.logprob);
    return map;
  }

  private chatEntry(token: number, logprob: number) {
    const text = this.tokenText(token);
    return { token: text, logprob: wireLogprob(logprob), bytes: [...Buffer.from(text, "utf8")] };
  }
}

/** JSON has no -Infinity: vLLM writes -9999.0. */
export function wireLogprob(logprob: number): number {
  return Number.isFinite(logprob) ? logprob : -9999.0;
}
