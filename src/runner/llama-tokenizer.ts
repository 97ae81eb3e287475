/** Text <-> tokens with the model's own llama.cpp tokenizer. */
import type { LlamaModel, Token } from "node-llama-cpp";

export class LlamaTokenizer {
  private vocabulary: readonly unknown[] | null = null;

  constructor(private readonly model: LlamaModel) {}

  /** No BOS is added here: whether a prompt gets one is the caller's (template's) decision. */
  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[] {
    return this.model.tokenize(text, options.parseSpecialTokens) as number[];
  }

  detokenize(tokens: readonly number[], options: { renderSpecialTokens?: boolean } = {}): string {
    return this.model.detokenize(tokens as readonly Token[], options.renderSpecialTokens ?? false);
  }

  /** The GGUF vocabulary's strings (`tokenizer.ggml.tokens`, HF's token strings); "" for an id outside it. */
  tokenPieces(tokens: readonly number[]): string[] {
    this.vocabulary ??= (this.model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } }).tokenizer?.ggml?.tokens ?? [];
    const vocabulary = this.vocabulary;
    return tokens.map((token) => {
      const piece = vocabulary[token];
      return typeof piece === "string" ? piece : "";
    });
  }
}
