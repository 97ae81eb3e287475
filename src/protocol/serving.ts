/**
 * OpenAI routes as operations: validate the wire request, build the prompt,
 * run it on the engine and shape the result as a response body or a stream of
 * chunks. Transport (HTTP, SSE framing, disconnects) is http/'s job; which
 * model serves a request is serving/'s (the model name arrives resolved).
 */
import { randomBytes } from "node:crypto";
import { InvalidRequestError } from "../errors.js";
import type { GenerateRequest, RequestOutput } from "../engine/types.js";
import type { RequestHandle } from "../request-handle.js";
import { parseRequest } from "./parse.js";
import { finalMessageText, type PromptBuilder } from "./prompts.js";
import { LogprobFormatter } from "./logprobs.js";
import type { ResponseMeta } from "./responses.js";
import { chatCompletionRequestSchema, completionRequestSchema, type ChatCompletionRequest, type CompletionRequest } from "./request-schemas.js";
import { rejectUnsupported } from "./unsupported.js";
import { checkStreamOptions, resolveMaxTokens, toSamplingParams, truncatePrompt, type SamplingOptions } from "./sampling-params.js";
import { streamChat, collectChat, streamCompletion, collectCompletion, type ResultOptions } from "./generation-results.js";
import { planChatTools, type ServerToolOptions } from "./tool-choice.js";
import { withToolPlan } from "./tool-grammar.js";

/** The engine as the protocol layer uses it (engine/engine.ts). */
export interface GenerationEngine {
  /** Starts a generation tied to the request's handle: the handle's signal cancels it, its end is reported to the handle. */
  generate(request: GenerateRequest, handle: RequestHandle): AsyncIterable<RequestOutput>;
  /** Whether a request with this id is still in the engine. */
  hasRequest(requestId: string): boolean;
}

export interface ServingConfig {
  /** Whether requests may carry a non-zero `priority` (--scheduling-policy priority). */
  isPriorityScheduling: boolean;
  maxModelLen: number;
  /** --max-logprobs: most alternatives per token a request may ask for. */
  maxLogprobs: number;
  /** An embedding-only model (BERT): the generation routes answer 400. */
  isEmbeddingModel?: boolean;
  /** Tool-call and reasoning parsers (none when absent). */
  tools?: ServerToolOptions;
}

/** A chat request running on the engine, with what its answer is built from. */
export interface ChatRun {
  meta: ResponseMeta;
  outputs: AsyncIterable<RequestOutput>;
  results: ResultOptions;
  /** The id the request ran under (http echoes it in X-Request-Id). */
  requestId: string;
  /** Tokens of a text (e.g. the reasoning a parser split off), for usage details. */
  countTokens: (text: string) => number;
}

/** `requestId`: the id the request ran under, when the body chose it (vLLM's `request_id`); http echoes it in X-Request-Id. */
/** `eventNames`: each chunk is framed with `event: <its type>` and no `[DONE]` ends the stream (the Responses API's SSE). */
export type ServingResult = ({ kind: "json"; body: unknown } | { kind: "stream"; chunks: AsyncIterable<unknown>; eventNames?: boolean }) & { requestId?: string };

export class OpenAIServing {
  constructor(
    private readonly engine: GenerationEngine,
    private readonly prompts: PromptBuilder,
    private readonly config: ServingConfig,
  ) {}

  /** `model`: the served name the request resolved to (serving/model-router.ts), echoed in the answer. */
  chatCompletions(body: Record<string, unknown>, handle: RequestHandle, model: string): ServingResult {
    this.requireGenerationModel();
    const request = parseRequest(chatCompletionRequestSchema, body);
    rejectUnsupported(body, "chat");
    checkStreamOptions(request);
    const { meta, outputs, results, requestId } = this.startChat(request, handle, model, "chatcmpl");
    if (request.stream) return { kind: "stream", chunks: streamChat(meta, outputs, streamUsage(request), results), requestId };
    return { kind: "json", body: collectChat(meta, outputs, results), requestId };
  }

  /**
   * A validated chat request started on the engine: the one path chat
   * completions and the Responses API (which translates into a chat request)
   * both take, from template and tool plan to sampling params.
   */
  startChat(request: ChatCompletionRequest, handle: RequestHandle, model: string, idPrefix: string): ChatRun {
    this.requireGenerationModel();
    const toolPlan = planChatTools(request, this.config.tools ?? { toolSyntax: null, reasoningParser: null });
    const promptTokens = truncatePrompt(this.prompts.chat(request), request.truncate_prompt_tokens, this.config.maxModelLen);
    const maxTokens = resolveMaxTokens(
      request.max_completion_tokens ?? request.max_tokens,
      request.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens",
      "chat", promptTokens.length, this.config.maxModelLen);
    const meta = { id: `${idPrefix}-${newId()}`, created: nowSeconds(), model };
    const baseRequestId = requestIdToRun(request, handle);
    const engineRequestId = this.uniqueRequestId(baseRequestId);
    const params = withToolPlan(toSamplingParams(request, this.samplingOptions(maxTokens)), toolPlan, request);
    const outputs = this.engine.generate({ requestId: engineRequestId, promptTokens, params, priority: this.priorityOf(request) }, handle);
    // vLLM's chat echo: the final message is repeated when it is the assistant's own (continued) turn.
    const isEchoed = request.echo === true && request.messages[request.messages.length - 1].role === "assistant";
    const echo = isEchoed ? [{ text: finalMessageText(request.messages), tokens: [] }] : null;
    const results = { ...this.resultOptions(request, params, echo), chatOutput: toolPlan.chatOutput };
    return { meta, outputs, results, requestId: baseRequestId, countTokens: (text) => this.prompts.tokenizer.tokenize(text, { parseSpecialTokens: false }).length };
  }

  completions(body: Record<string, unknown>, handle: RequestHandle, model: string): ServingResult {
    this.requireGenerationModel();
    const request = parseRequest(completionRequestSchema, body);
    rejectUnsupported(body, "completion");
    checkStreamOptions(request);
    const baseRequestId = requestIdToRun(request, handle);
    const prompts = this.completionPrompts(request).map((tokens) => truncatePrompt(tokens, request.truncate_prompt_tokens, this.config.maxModelLen));
    const meta = { id: `cmpl-${newId()}`, created: nowSeconds(), model };
    const runs = prompts.map((promptTokens, i) => {
      const maxTokens = resolveMaxTokens(request.max_tokens, "max_tokens", "completion", promptTokens.length, this.config.maxModelLen);
      const requestId = this.uniqueRequestId(prompts.length === 1 ? baseRequestId : `${baseRequestId}-${i}`);
      return { promptTokens, params: toSamplingParams(request, this.samplingOptions(maxTokens)), requestId };
    });
    const priority = this.priorityOf(request);
    const streams = runs.map(({ requestId, promptTokens, params }) => this.engine.generate({ requestId, promptTokens, params, priority }, handle));
    const n = request.n ?? 1;
    const echo = request.echo ? prompts.map((tokens) => ({ text: this.prompts.tokenizer.detokenize(tokens, { renderSpecialTokens: true }), tokens })) : null;
    const results = this.resultOptions(request, runs[0].params, echo);
    if (request.stream) return { kind: "stream", chunks: streamCompletion(meta, streams, n, streamUsage(request), results), requestId: baseRequestId };
    return { kind: "json", body: collectCompletion(meta, streams, n, results), requestId: baseRequestId };
  }

  private samplingOptions(maxTokens: number): SamplingOptions {
    return {
      maxTokens,
      vocabSize: this.prompts.vocabSize,
      maxLogprobs: this.config.maxLogprobs,
      tokenize: (text) => this.prompts.tokenizer.tokenize(text, { parseSpecialTokens: false }),
    };
  }

  private resultOptions(request: ChatCompletionRequest | CompletionRequest, params: GenerateRequest["params"], echo: ResultOptions["echo"]): ResultOptions {
    const formatter = new LogprobFormatter(
      (token) => this.prompts.tokenizer.detokenize([token], { renderSpecialTokens: true }),
      request.return_tokens_as_token_ids ?? false,
    );
    return {
      logprobs: params.logprobs !== null ? formatter : null,
      promptLogprobs: request.prompt_logprobs != null ? formatter : null,
      echo,
    };
  }

  private requireGenerationModel(): void {
    if (this.config.isEmbeddingModel) {
      throw new InvalidRequestError("This model is an embedding model: it serves /v1/embeddings, not text generation.", { param: "model" });
    }
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

/** The client's X-Request-Id, else the body's `request_id` (vLLM), else the id http made up. */
function requestIdToRun(request: ChatCompletionRequest | CompletionRequest, handle: RequestHandle): string {
  if (handle.hasClientId || request.request_id == null || request.request_id === "") return handle.id;
  return request.request_id;
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
