/** Text <-> tokens with the model's own llama.cpp tokenizer. */
import type { LlamaModel, Token } from "node-llama-cpp";

export class LlamaTokenizer {
  constructor(private readonly model: LlamaModel) {}

  /** No BOS is added here: whether a prompt gets one is the caller's (template's) decision. */
  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[] {
    return this.model.tokenize(text, options.parseSpecialTokens) as number[];
  }

  detokenize(tokens: readonly number[], options: { renderSpecialTokens?: boolean } = {}): string {
    return this.model.detokenize(tokens as readonly Token[], options.renderSpecialTokens ?? false);
  }
}
