/**
 * OpenAI routes as operations: validate the wire request, build the prompt,
 * run it on the engine and shape the result as a response body or a stream of
 * chunks. Transport (HTTP, SSE framing, disconnects) is http/'s job.
 */
import { randomBytes } from "node:crypto";
import { InvalidRequestError } from "../errors.js";
import type { GenerateRequest, RequestOutput } from "../engine/types.js";
import { parseRequest } from "./parse.js";
import { resolveModelName, type PromptBuilder } from "./prompts.js";
import { chatCompletionRequestSchema, completionRequestSchema, type ChatCompletionRequest, type CompletionRequest } from "./request-schemas.js";
import { rejectUnsupported } from "./unsupported.js";
import { checkStreamOptions, resolveMaxTokens, toSamplingParams } from "./sampling-params.js";
import { streamChat, collectChat, streamCompletion, collectCompletion } from "./generation-results.js";
import { planChatTools, type ServerToolOptions } from "./tool-choice.js";
import { withToolPlan } from "./tool-grammar.js";

export interface GenerationEngine {
  generate(request: GenerateRequest): AsyncIterable<RequestOutput>;
  abort(requestId: string): void;
  /** Whether a request with this id is still in the engine. */
  hasRequest(requestId: string): boolean;
}

/** What the transport knows about a request. */
export interface RequestContext {
  /** Aborts the request's generation (the client disconnected). */
  signal: AbortSignal;
  /**
   * The request's id for the engine and the logs: the client's X-Request-Id or
   * one made up by http/. Response `id` fields stay OpenAI-style and separate.
   */
  requestId: string;
}

export interface ServingConfig {
  /** Whether requests may carry a non-zero `priority` (--scheduling-policy priority). */
  isPriorityScheduling: boolean;
  servedModelNames: readonly string[];
  maxModelLen: number;
  createdAt: number;
  /** Tool-call and reasoning parsers (none when absent). */
  tools?: ServerToolOptions;
}

export type ServingResult = { kind: "json"; body: unknown } | { kind: "stream"; chunks: AsyncIterable<unknown> };

export class OpenAIServing {
  constructor(
    private readonly engine: GenerationEngine,
    private readonly prompts: PromptBuilder,
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

  chatCompletions(body: Record<string, unknown>, context: RequestContext): ServingResult {
    const request = parseRequest(chatCompletionRequestSchema, body);
    rejectUnsupported(body, "chat");
    checkStreamOptions(request);
    const model = resolveModelName(request.model, this.config.servedModelNames);
    const toolPlan = planChatTools(request, this.config.tools ?? { toolSyntax: null, reasoningParser: null });
    const promptTokens = this.prompts.chat(request);
    const maxTokens = resolveMaxTokens(
      request.max_completion_tokens ?? request.max_tokens,
      request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
      "chat", promptTokens.length, this.config.maxModelLen);
    const meta = { id: `chatcmpl-${newId()}`, created: nowSeconds(), model };
    const engineRequestId = this.uniqueRequestId(context.requestId);
    const params = withToolPlan(toSamplingParams(request, { maxTokens, vocabSize: this.prompts.vocabSize }), toolPlan, request);
    const outputs = this.run(engineRequestId, promptTokens, params, this.priorityOf(request), context.signal);
    if (request.stream) return { kind: "stream", chunks: streamChat(meta, outputs, streamUsage(request), toolPlan.chatOutput) };
    return { kind: "json", body: collectChat(meta, outputs, toolPlan.chatOutput) };
  }

  completions(body: Record<string, unknown>, context: RequestContext): ServingResult {
    const request = parseRequest(completionRequestSchema, body);
    rejectUnsupported(body, "completion");
    checkStreamOptions(request);
    const model = resolveModelName(request.model, this.config.servedModelNames);
    const prompts = this.completionPrompts(request);
    const meta = { id: `cmpl-${newId()}`, created: nowSeconds(), model };
    const runs = prompts.map((promptTokens, i) => {
      const maxTokens = resolveMaxTokens(request.max_tokens, "max_tokens", "completion", promptTokens.length, this.config.maxModelLen);
      const requestId = this.uniqueRequestId(prompts.length === 1 ? context.requestId : `${context.requestId}-${i}`);
      return { promptTokens, params: toSamplingParams(request, { maxTokens, vocabSize: this.prompts.vocabSize }), requestId };
    });
    const priority = this.priorityOf(request);
    const streams = runs.map((run) => this.run(run.requestId, run.promptTokens, run.params, priority, context.signal));
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

  /**
   * The engine id for a request: the given id while no running request has
   * it, else that id with a random suffix (a client reusing its X-Request-Id,
   * e.g. a proxy retrying, must not collide with the request it retries).
   */
  private uniqueRequestId(requestId: string): string {
    return this.engine.hasRequest(requestId) ? `${requestId}-${newId().slice(0, 8)}` : requestId;
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

  private completionPrompts(request: CompletionRequest): number[][] {
    const { prompt } = request;
    const list: Array<string | number[]> =
      typeof prompt === "string" ? [prompt] : typeof prompt[0] === "number" ? [prompt as number[]] : (prompt as Array<string | number[]>);
    return list.map((item, i) => {
      if (typeof item !== "string") {
        this.prompts.checkTokenIds(item, "prompt");
        return item;
      }
      if (item === "") throw new InvalidRequestError(`Prompt ${i} is empty.`, { param: "prompt" });
      return this.prompts.text(item, request.add_special_tokens ?? true);
    });
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
