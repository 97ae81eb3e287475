/**
 * vLLM's /tokenize and /detokenize (vllm/entrypoints/serve/tokenize): the
 * prompt a generation route would run, as token ids, and token ids back to
 * text. Tokenizing uses the generation routes' own prompt building
 * (./prompts.ts), so `count` is what `usage.prompt_tokens` will say.
 *
 *   POST /tokenize   {model?, prompt, add_special_tokens? (true), return_token_strs?}
 *                    {model?, messages, add_generation_prompt? (true), add_special_tokens?,
 *                     chat_template_kwargs?, return_token_strs?}
 *                    -> {count, max_model_len, tokens, token_strs?}
 *   POST /detokenize {model?, tokens} -> {prompt}
 *
 * Unlike vLLM, no length check: a prompt longer than max_model_len is still
 * counted (that is what a client asks /tokenize to find out).
 */
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import { parseRequest } from "./parse.js";
import type { PromptBuilder } from "./prompts.js";
import { detokenizeRequestSchema, tokenizeChatRequestSchema, tokenizeCompletionRequestSchema } from "./request-schemas.js";

export interface TokenizeResponse {
  count: number;
  max_model_len: number;
  tokens: number[];
  token_strs?: string[];
}

export interface DetokenizeResponse {
  prompt: string;
}

export interface TokenizationConfig {
  maxModelLen: number;
}

/** vLLM chat-tokenize fields pagoda does not implement: a 400 naming the field, never silently ignored. */
const unsupportedChatFields: Array<[string, (value: unknown) => boolean]> = [
  ["continue_final_message", (value) => value === true],
  ["chat_template", (value) => value !== null && value !== undefined],
  ["mm_processor_kwargs", (value) => value !== null && value !== undefined],
];

export class TokenizationServing {
  constructor(
    private readonly prompts: PromptBuilder,
    private readonly config: TokenizationConfig,
  ) {}

  tokenize(body: Record<string, unknown>): TokenizeResponse {
    const hasMessages = body.messages !== undefined && body.messages !== null;
    if (hasMessages && body.prompt !== undefined && body.prompt !== null) {
      throw new InvalidRequestError("Send either 'prompt' or 'messages', not both.", { param: "messages" });
    }
    let tokens: number[];
    let returnTokenStrs: boolean;
    if (hasMessages) {
      const request = parseRequest(tokenizeChatRequestSchema, body);
      for (const [field, isUsed] of unsupportedChatFields) {
        if (isUsed(body[field])) throw new UnsupportedParameterError(`'${field}' is not supported by this server yet.`, field);
      }
      tokens = this.prompts.chat(request);
      returnTokenStrs = request.return_token_strs ?? false;
    } else {
      if (body.prompt === undefined || body.prompt === null) {
        throw new InvalidRequestError("Either 'prompt' (text) or 'messages' (chat) is required.", { param: "prompt" });
      }
      const request = parseRequest(tokenizeCompletionRequestSchema, body);
      tokens = this.prompts.text(request.prompt, request.add_special_tokens ?? true);
      returnTokenStrs = request.return_token_strs ?? false;
    }
    return {
      count: tokens.length,
      max_model_len: this.config.maxModelLen,
      tokens,
      ...(returnTokenStrs ? { token_strs: this.prompts.tokenizer.tokenPieces(tokens) } : {}),
    };
  }

  detokenize(body: Record<string, unknown>): DetokenizeResponse {
    const request = parseRequest(detokenizeRequestSchema, body);
    this.prompts.checkTokenIds(request.tokens, "tokens");
    // As vLLM (HF `decode` without skip_special_tokens): special tokens are rendered.
    return { prompt: this.prompts.tokenizer.detokenize(request.tokens, { renderSpecialTokens: true }) };
  }
}
