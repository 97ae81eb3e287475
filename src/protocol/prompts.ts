/**
 * Prompt building, shared by the generation routes and /tokenize: chat
 * messages through the chat template, text, or token ids, each ending as the
 * token ids the engine runs. Because /tokenize calls the same functions, its
 * `count` is exactly the `prompt_tokens` the generation routes report.
 *
 * Special tokens: text is tokenized with special tokens parsed (a template's
 * `<|im_start|>` is one token). `addSpecialTokens` means BOS is prepended when
 * the tokenizer asks for one and the text does not already start with it (never
 * a doubled BOS). Completions default to true (vLLM's default). For chat,
 * vLLM defaults to false and relies on the template writing `bos_token`;
 * pagoda's chat route has always prepended BOS when the tokenizer wants one and
 * the template did not write it, so pagoda's chat default is true: the same
 * tokens for every template that writes `bos_token` or model without BOS, and
 * one BOS more otherwise. `add_special_tokens: false` turns it off.
 */
import { InvalidRequestError } from "../errors.js";
import type { ChatTemplate } from "../templates/chat-template.js";
import type { WireMessage } from "./request-schemas.js";

export interface Tokenizer {
  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[];
  /** Text of tokens; special tokens rendered only when asked. */
  detokenize(tokens: readonly number[], options?: { renderSpecialTokens?: boolean }): string;
  /** The vocabulary's own string of each token (HF `convert_ids_to_tokens`: "Ġhello", "▁the", "<|im_end|>"). */
  tokenPieces(tokens: readonly number[]): string[];
}

export interface PromptConfig {
  vocabSize: number;
  bosToken: number | null;
  addBosToken: boolean;
  /** Appended (not doubled) with special tokens, as BERT's [SEP]; embedding models only. */
  endToken?: number | null;
}

/** The chat fields that shape a prompt, as /v1/chat/completions and /tokenize both carry them. */
export interface ChatPromptRequest {
  messages: WireMessage[];
  add_generation_prompt?: boolean | null;
  add_special_tokens?: boolean | null;
  chat_template_kwargs?: Record<string, unknown> | null;
  continue_final_message?: boolean | null;
  tools?: unknown[] | null;
}

export class PromptBuilder {
  constructor(
    readonly tokenizer: Tokenizer,
    private readonly chatTemplate: ChatTemplate | null,
    private readonly config: PromptConfig,
  ) {}

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  /** Chat messages rendered by the chat template and tokenized; a 400 when the model has no template. */
  chat(request: ChatPromptRequest): number[] {
    if (this.chatTemplate === null) {
      throw new InvalidRequestError(
        "This model has no chat template, so chat messages cannot be formatted. Start pagoda with --chat-template FILE, or send a prompt (/v1/completions).",
        { param: "messages" },
      );
    }
    const continueFinal = request.continue_final_message ?? false;
    if (continueFinal && (request.add_generation_prompt ?? true)) {
      throw new InvalidRequestError("'continue_final_message' needs 'add_generation_prompt' set to false.", { param: "continue_final_message" });
    }
    const rendered = this.chatTemplate.render(request.messages, {
      addGenerationPrompt: continueFinal ? false : (request.add_generation_prompt ?? true),
      tools: request.tools?.length ? request.tools : undefined,
      extraContext: request.chat_template_kwargs ?? undefined,
    });
    const prompt = continueFinal ? cutAfterFinalMessage(rendered, request.messages) : rendered;
    return this.text(prompt, request.add_special_tokens ?? true);
  }

  /** Text tokenized with special tokens parsed; BOS prepended (not doubled) when `addSpecialTokens` and the tokenizer wants it. */
  text(text: string, addSpecialTokens: boolean): number[] {
    const tokens = this.tokenizer.tokenize(text, { parseSpecialTokens: true });
    return addSpecialTokens ? this.withEndToken(this.withBos(tokens)) : tokens;
  }

  /** Throws a 400 naming `param` when a token id is outside the vocabulary. */
  checkTokenIds(tokens: readonly number[], param: string): void {
    const bad = tokens.find((token) => token >= this.config.vocabSize);
    if (bad !== undefined) {
      throw new InvalidRequestError(`Token id ${bad} is out of vocabulary (vocab size ${this.config.vocabSize}).`, { param });
    }
  }

  private withEndToken(tokens: number[]): number[] {
    const endToken = this.config.endToken ?? null;
    return endToken === null || tokens.at(-1) === endToken ? tokens : [...tokens, endToken];
  }

  private withBos(tokens: number[]): number[] {
    const { bosToken, addBosToken } = this.config;
    if (!addBosToken || bosToken === null || tokens[0] === bosToken) return tokens;
    return [bosToken, ...tokens];
  }
}

/** vLLM's continue_final_message: the prompt ends right after the final message's text, leaving it open for the model to continue. */
function cutAfterFinalMessage(rendered: string, messages: readonly WireMessage[]): string {
  const final = finalMessageText(messages);
  const at = final === "" ? -1 : rendered.lastIndexOf(final);
  if (at < 0) {
    throw new InvalidRequestError("'continue_final_message' needs a final message with text the chat template writes out.", { param: "continue_final_message" });
  }
  return rendered.slice(0, at + final.length);
}

/** The text of the last message (text parts joined with newlines, as vLLM does). */
export function finalMessageText(messages: readonly WireMessage[]): string {
  const content = messages[messages.length - 1]?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part): part is { type: "text"; text: string } => part.type === "text" && typeof (part as { text?: unknown }).text === "string")
    .map((part) => part.text)
    .join("\n");
}
