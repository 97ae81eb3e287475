/**
 * OpenAI routes as operations: validate the wire request, build the prompt,
 * run it on the engine and shape the result as a response body or a stream of
 * chunks. Transport (HTTP, SSE framing, disconnects) is http/'s job.
 */
import { randomBytes } from "node:crypto";
import { InvalidRequestError, ModelNotFoundError } from "../errors.js";
import type { GenerateRequest, RequestOutput } from "../engine/types.js";
import type { ChatTemplate } from "./chat-template.js";
import { parseRequest } from "./parse.js";
import { chatCompletionRequestSchema, completionRequestSchema, type ChatCompletionRequest, type CompletionRequest } from "./request-schemas.js";
import { rejectUnsupported } from "./unsupported.js";
import { checkStreamOptions, resolveMaxTokens, toSamplingParams } from "./sampling-params.js";
import { streamChat, collectChat, streamCompletion, collectCompletion } from "./generation-results.js";

export interface GenerationEngine {
  generate(request: GenerateRequest): AsyncIterable<RequestOutput>;
  abort(requestId: string): void;
}

export interface Tokenizer {
  tokenize(text: string, options: { parseSpecialTokens: boolean }): number[];
}

export interface ServingConfig {
  /** Whether requests may carry a non-zero `priority` (--scheduling-policy priority). */
  isPriorityScheduling: boolean;
  servedModelNames: readonly string[];
  maxModelLen: number;
  vocabSize: number;
  bosToken: number | null;
  addBosToken: boolean;
  createdAt: number;
}

export type ServingResult = { kind: "json"; body: unknown } | { kind: "stream"; chunks: AsyncIterable<unknown> };

export class OpenAIServing {
  constructor(
    private readonly engine: GenerationEngine,
    private readonly tokenizer: Tokenizer,
    private readonly chatTemplate: ChatTemplate | null,
    private readonly config: ServingConfig,
  ) {}

  listModels(): unknown {
    return {
      object: "list",
      data: this.config.servedModelNames.map((id) => ({
        id,
        object: "model",
        created: this.config.createdAt,
        owned_by: "pagoda",
        root: this.config.servedModelNames[0],
        parent: null,
        max_model_len: this.config.maxModelLen,
      })),
    };
  }

  chatCompletions(body: Record<string, unknown>, signal: AbortSignal): ServingResult {
    const request = parseRequest(chatCompletionRequestSchema, body);
    rejectUnsupported(body, "chat");
    checkStreamOptions(request);
    const model = this.resolveModel(request.model);
    if (this.chatTemplate === null) {
      throw new InvalidRequestError(
        "This model has no chat template, so /v1/chat/completions cannot format messages. Start pagoda with --chat-template FILE, or use /v1/completions.",
        { param: "messages" },
      );
    }
    const prompt = this.chatTemplate.render(request.messages, {
      addGenerationPrompt: request.add_generation_prompt ?? true,
      extraContext: request.chat_template_kwargs ?? undefined,
    });
    const promptTokens = this.withBos(this.tokenizer.tokenize(prompt, { parseSpecialTokens: true }));
    const maxTokens = resolveMaxTokens(
      request.max_completion_tokens ?? request.max_tokens,
      request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
      "chat", promptTokens.length, this.config.maxModelLen);
    const meta = { id: `chatcmpl-${newId()}`, created: nowSeconds(), model };
    const outputs = this.run(meta.id, promptTokens, toSamplingParams(request, { maxTokens }), this.priorityOf(request), signal);
    if (request.stream) return { kind: "stream", chunks: streamChat(meta, outputs, streamUsage(request)) };
    return { kind: "json", body: collectChat(meta, outputs) };
  }

  completions(body: Record<string, unknown>, signal: AbortSignal): ServingResult {
    const request = parseRequest(completionRequestSchema, body);
    rejectUnsupported(body, "completion");
    checkStreamOptions(request);
    const model = this.resolveModel(request.model);
    const prompts = this.completionPrompts(request);
    const meta = { id: `cmpl-${newId()}`, created: nowSeconds(), model };
    const runs = prompts.map((promptTokens, i) => {
      const maxTokens = resolveMaxTokens(request.max_tokens, "max_tokens", "completion", promptTokens.length, this.config.maxModelLen);
      return { promptTokens, params: toSamplingParams(request, { maxTokens }), requestId: prompts.length === 1 ? meta.id : `${meta.id}-${i}` };
    });
    const priority = this.priorityOf(request);
    const streams = runs.map((run) => this.run(run.requestId, run.promptTokens, run.params, priority, signal));
    const n = request.n ?? 1;
    if (request.stream) return { kind: "stream", chunks: streamCompletion(meta, streams, n, streamUsage(request)) };
    return { kind: "json", body: collectCompletion(meta, streams, n) };
  }

  private priorityOf(request: ChatCompletionRequest | CompletionRequest): number {
    const priority = request.priority ?? 0;
    if (priority !== 0 && !this.config.isPriorityScheduling) {
      throw new InvalidRequestError("'priority' needs the server to run with --scheduling-policy priority.", { param: "priority" });
    }
    return priority;
  }

  private run(
    requestId: string,
    promptTokens: number[],
    params: GenerateRequest["params"],
    priority: number,
    signal: AbortSignal,
  ): AsyncIterable<RequestOutput> {
    const outputs = this.engine.generate({ requestId, promptTokens, params, priority });
    const abort = () => this.engine.abort(requestId);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
    return outputs;
  }

  private resolveModel(requested: string | null | undefined): string {
    const names = this.config.servedModelNames;
    if (requested == null || requested === "") return names[0];
    if (!names.includes(requested)) throw new ModelNotFoundError(requested, names);
    return requested;
  }

  private completionPrompts(request: CompletionRequest): number[][] {
    const { prompt } = request;
    const list: Array<string | number[]> =
      typeof prompt === "string" ? [prompt] : typeof prompt[0] === "number" ? [prompt as number[]] : (prompt as Array<string | number[]>);
    return list.map((item, i) => {
      if (typeof item !== "string") {
        const bad = item.find((token) => token >= this.config.vocabSize);
        if (bad !== undefined) {
          throw new InvalidRequestError(`Token id ${bad} is out of vocabulary (vocab size ${this.config.vocabSize}).`, { param: "prompt" });
        }
        return item;
      }
      if (item === "") throw new InvalidRequestError(`Prompt ${i} is empty.`, { param: "prompt" });
      return this.withBos(this.tokenizer.tokenize(item, { parseSpecialTokens: true }));
    });
  }

  /** Prepends BOS when the tokenizer wants it and the text did not already start with it. */
  private withBos(tokens: number[]): number[] {
    const { bosToken, addBosToken } = this.config;
    if (!addBosToken || bosToken === null || tokens[0] === bosToken) return tokens;
    return [bosToken, ...tokens];
  }
}

function streamUsage(request: ChatCompletionRequest | CompletionRequest): { include: boolean; continuous: boolean } {
  return {
    include: request.stream_options?.include_usage ?? false,
    continuous: request.stream_options?.continuous_usage_stats ?? false,
  };
}

function newId(): string {
  return randomBytes(12).toString("hex");
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
