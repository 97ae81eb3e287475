/**
 * What many probes share: request bodies, documentation links, the greedy
 * reference generations (memoised per run), token texts found by forcing an
 * id with logit_bias, and the server's tokenizer when it has one.
 */
import { accepted, expect, field, ProbeSkipped, ProbeUnsupported, type ProbeContext } from "../probe.js";

export const openaiDocs = {
  chat: (param: string) => `https://platform.openai.com/docs/api-reference/chat/create#chat-create-${param}`,
  chatObject: "https://platform.openai.com/docs/api-reference/chat/object",
  chatStreaming: "https://platform.openai.com/docs/api-reference/chat-streaming/streaming",
  completions: (param: string) => `https://platform.openai.com/docs/api-reference/completions/create#completions-create-${param}`,
  models: "https://platform.openai.com/docs/api-reference/models/list",
  embeddings: (param: string) => `https://platform.openai.com/docs/api-reference/embeddings/create#embeddings-create-${param}`,
  responses: "https://platform.openai.com/docs/api-reference/responses/create",
  responsesStreaming: "https://platform.openai.com/docs/api-reference/responses-streaming",
  errors: "https://platform.openai.com/docs/guides/error-codes",
  auth: "https://platform.openai.com/docs/api-reference/authentication",
  structured: "https://platform.openai.com/docs/guides/structured-outputs",
  tools: "https://platform.openai.com/docs/guides/function-calling",
};
export const vllmDocs = {
  extraSampling: "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html#extra-parameters",
  structured: "https://docs.vllm.ai/en/latest/features/structured_outputs.html",
  tokenize: "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html#tokenizer-api",
};

export const referencePrompt = "The quick brown fox jumps over the lazy dog. Once upon a time";
export const referenceMessages = [{ role: "user", content: "Write a long story about a fox and a dog." }];
/** Two token ids present in any real vocabulary (all have more than 2,000 tokens). */
export const forcedIds = [1000, 2000] as const;

export function chatBody(context: ProbeContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: context.model, messages: referenceMessages, max_tokens: 16, temperature: 0, ...extra };
}

export function completionBody(context: ProbeContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: context.model, prompt: referencePrompt, max_tokens: 16, temperature: 0, ...extra };
}

export interface Generation {
  text: string;
  /** Token texts from logprobs, when they concatenate to the text. */
  tokens: string[] | null;
  finishReason: unknown;
  usage: unknown;
}

/** The greedy chat answer to the reference messages (24 tokens, with logprobs). */
export function referenceChat(context: ProbeContext): Promise<Generation> {
  return context.memo("reference-chat", async () => {
    const exchange = await context.client.post("/chat/completions", chatBody(context, { max_tokens: 24, logprobs: true }));
    const body = accepted(exchange);
    const text = field(body, "choices", 0, "message", "content");
    expect(typeof text === "string", "choices[0].message.content is a string", exchange);
    const logprobs = field(body, "choices", 0, "logprobs", "content");
    const tokens = Array.isArray(logprobs) ? logprobs.map((entry) => String(field(entry, "token"))) : null;
    return { text, tokens: tokens && tokens.join("") === text ? tokens : null, finishReason: field(body, "choices", 0, "finish_reason"), usage: field(body, "usage") };
  });
}

/** The greedy completion of the reference prompt (24 tokens, with logprobs). */
export function referenceCompletion(context: ProbeContext): Promise<Generation> {
  return context.memo("reference-completion", async () => {
    const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 24, logprobs: 0 }));
    const body = accepted(exchange);
    const text = field(body, "choices", 0, "text");
    expect(typeof text === "string", "choices[0].text is a string", exchange);
    const tokens = field(body, "choices", 0, "logprobs", "tokens");
    const list = Array.isArray(tokens) ? tokens.map(String) : null;
    return { text, tokens: list && list.join("") === text ? list : null, finishReason: field(body, "choices", 0, "finish_reason"), usage: field(body, "usage") };
  });
}

/** The greedy chat answer's tokens under `extra` (from logprobs: OpenAI's shape, which more servers share than the completions one). */
export async function chatTokens(context: ProbeContext, extra: Record<string, unknown>) {
  const exchange = await context.client.post("/chat/completions", chatBody(context, { logprobs: true, ...extra }));
  const body = accepted(exchange);
  const content = field(body, "choices", 0, "logprobs", "content");
  expect(Array.isArray(content), "the generated tokens (choices[0].logprobs.content)", exchange);
  return { exchange, body, tokens: content.map((entry) => String(field(entry, "token"))) };
}

/** Fails as SKIP when the model's greedy text is too short for a probe that cuts it. */
export function needLength(text: string, numChars: number): void {
  if (text.length < numChars) throw new ProbeSkipped(`the model's greedy text is ${text.length} characters; this probe needs ${numChars}`);
}

/**
 * The text of token `id`, learned by forcing it: logit_bias +100 must make
 * every one of `numTokens` greedy tokens that token, so the text is one
 * string repeated.
 */
export function forcedTokenText(context: ProbeContext, id: number, numTokens = 4): Promise<string> {
  return context.memo(`forced-${id}`, async () => {
    const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: numTokens, logit_bias: { [id]: 100 } }));
    const body = accepted(exchange);
    const text = String(field(body, "choices", 0, "text") ?? "");
    const unit = text.slice(0, text.length / numTokens);
    expect(text.length > 0 && text.length % numTokens === 0 && unit.repeat(numTokens) === text, `logit_bias {${id}: 100} makes all ${numTokens} tokens token ${id}: one text repeated ${numTokens} times`, exchange, text);
    expect(field(body, "usage", "completion_tokens") === numTokens, `usage.completion_tokens = ${numTokens}`, exchange);
    return unit;
  });
}

export interface ServerTokenizer {
  tokenize(text: string): Promise<number[]>;
}

/**
 * The server's tokenizer: vLLM's and pagoda's POST /tokenize {prompt}, or
 * llama-server's {content}; UNSUPPORTED when neither answers.
 */
export function serverTokenizer(context: ProbeContext): Promise<ServerTokenizer> {
  return context.memo("tokenizer", async () => {
    const url = `${context.client.rootUrl}/tokenize`;
    const tryShape = async (body: Record<string, unknown>) => {
      const exchange = await context.client.post(url, { model: context.model, add_special_tokens: false, ...body });
      const tokens = field(exchange.body, "tokens");
      return exchange.status === 200 && Array.isArray(tokens) && tokens.every((id) => Number.isInteger(id)) ? (tokens as number[]) : null;
    };
    const shapes = [(text: string) => ({ prompt: text }), (text: string) => ({ content: text })];
    for (const shape of shapes) {
      // A server may answer 200 with no tokens for a field it does not read (llama-server and "prompt").
      if (((await tryShape(shape("hello"))) ?? []).length > 0) return { tokenize: async (text: string) => (await tryShape(shape(text))) ?? [] };
    }
    throw new ProbeUnsupported("needs token ids, and the server has no /tokenize (vLLM's {prompt} or llama-server's {content})");
  });
}
