/**
 * The Responses API's operations: create (JSON or event stream), retrieve
 * (also replayed as a stream), input items, delete, cancel. A create is
 * translated into a chat request (responses-input.ts) and run on the chat
 * path of the model it names; the chat output parser's events become output
 * items (responses-output.ts); the finished response goes to the store
 * unless `store: false` or the store is off.
 */
import { randomBytes } from "node:crypto";
import { asApiError, InvalidRequestError, ResponseNotFoundError } from "../errors.js";
import type { RequestOutput } from "../engine/types.js";
import { ChatOutputParser } from "./chat-output/chat-output-parser.js";
import { parseRequest } from "./parse.js";
import { chatCompletionRequestSchema } from "./request-schemas.js";
import { inResponsesTerms, rejectUnsupportedResponseFields, toChatMessages, toChatToolsAndFormat, toInputItems, type WireItem } from "./responses-input.js";
import { ResponseEventBuilder, toResponseUsage, type FinalStatus, type ResponseBody, type ResponseEvent } from "./responses-output.js";
import { responseCreateSchema, type ListQuery, type ResponseCreateRequest } from "./responses-request.js";
import { replayEvents } from "./responses-replay.js";
import type { ResponseStore } from "./responses-store.js";
import type { RequestHandle } from "../request-handle.js";
import type { ChatRun, OpenAIServing, ServingResult } from "./serving.js";

/** Runs an operation on the serving of the model a request body names, with that model's served name (ModelRouter.withServing). */
export type ServingRunner = (
  body: Record<string, unknown>,
  handle: RequestHandle,
  operation: (serving: OpenAIServing, model: string) => ServingResult,
) => Promise<ServingResult>;

interface RunningResponse {
  builder: ResponseEventBuilder;
  /** The create request's handle: cancelling it stops the generation (POST /v1/responses/{id}/cancel). */
  handle: RequestHandle;
  /** Settles with the final response once the generation has ended. */
  finished: Promise<ResponseBody>;
}

/** Sampling fields that mean the same on both routes and pass through as they are. */
const passThroughFields = [
  "model", "temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty",
  "seed", "stop", "ignore_eos", "min_tokens", "user", "request_id", "priority",
] as const;

export class ResponsesServing {
  private readonly running = new Map<string, RunningResponse>();

  /** `store`: null when the store is off (--no-responses-store). */
  constructor(
    private readonly runOnModel: ServingRunner,
    private readonly store: ResponseStore | null,
  ) {}

  async create(body: Record<string, unknown>, handle: RequestHandle): Promise<ServingResult> {
    const request = parseRequest(responseCreateSchema, body);
    rejectUnsupportedResponseFields(request);
    const isStored = (request.store ?? true) && this.store !== null;
    const history = request.previous_response_id ? this.conversation(request.previous_response_id) : [];
    const inputItems = toInputItems(request.input, (id) => this.store?.item(id), newId);
    const messages = [
      ...(request.instructions ? [{ role: "system", content: request.instructions }] : []),
      ...toChatMessages([...history, ...inputItems]),
    ];
    if (messages.length === 0) throw new InvalidRequestError("'input' must contain at least one item.", { param: "input" });
    const chatBody: Record<string, unknown> = { messages, max_completion_tokens: request.max_output_tokens, ...toChatToolsAndFormat(request) };
    for (const field of passThroughFields) chatBody[field] = request[field];
    const chatRequest = parseRequest(chatCompletionRequestSchema, chatBody);

    return this.runOnModel(body, handle, (serving, model) => {
      let run: ChatRun;
      try {
        run = serving.startChat(chatRequest, handle, model, "resp");
      } catch (error) {
        throw inResponsesTerms(error);
      }
      const builder = new ResponseEventBuilder(this.shell(request, run, isStored));
      const id = builder.response.id;
      let settle!: (response: ResponseBody) => void;
      const finished = new Promise<ResponseBody>((resolve) => (settle = resolve));
      this.running.set(id, { builder, handle, finished });
      // A request refused before it started (queue full) is an HTTP error, not a stored response.
      const onEnd = (response: ResponseBody, isStarted: boolean) => {
        this.running.delete(id);
        if (isStored && isStarted) this.store!.put(response, inputItems);
        settle(response);
      };
      const events = generateEvents(run, builder, request.stream === true, onEnd);
      if (request.stream) return { kind: "stream", chunks: events, eventNames: true, requestId: run.requestId };
      return { kind: "json", body: drain(events).then(() => builder.response), requestId: run.requestId };
    });
  }

  retrieve(id: string, query: URLSearchParams): ServingResult {
    const response = this.find(id);
    if (query.get("stream") !== "true") return { kind: "json", body: response };
    const startingAfter = Number(query.get("starting_after") ?? -1);
    if (!Number.isInteger(startingAfter)) throw new InvalidRequestError("'starting_after' must be an event's sequence_number.", { param: "starting_after" });
    const events = replayEvents(response).filter((event) => event.sequence_number > startingAfter);
    return { kind: "stream", chunks: toAsync(events), eventNames: true };
  }

  inputItems(id: string, query: ListQuery): unknown {
    this.find(id);
    const stored = this.store?.get(id);
    const items = [...(stored?.inputItems ?? [])];
    if (query.order === "desc") items.reverse();
    let start = 0;
    let end = items.length;
    if (query.after) start = items.findIndex((item) => item.id === query.after) + 1;
    if (query.before) end = Math.max(0, items.findIndex((item) => item.id === query.before));
    const page = items.slice(start, end).slice(0, query.limit);
    return {
      object: "list",
      data: page,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + page.length < end,
    };
  }

  delete(id: string): unknown {
    if (this.running.has(id)) throw new InvalidRequestError("This response is still in progress: cancel it first.", { param: "response_id" });
    if (!this.store?.delete(id)) throw this.notFound(id);
    return { id, object: "response", deleted: true };
  }

  async cancel(id: string): Promise<ResponseBody> {
    const running = this.running.get(id);
    if (!running) {
      this.find(id);
      throw new InvalidRequestError("Only a response in progress can be cancelled; this one has finished.", { param: "response_id" });
    }
    running.handle.cancel();
    return running.finished;
  }

  /** The items a continuation sees: every earlier turn's input and output, oldest first. */
  private conversation(previousId: string): WireItem[] {
    if (this.store === null) {
      throw new InvalidRequestError("'previous_response_id' needs the response store, which this server runs without (--no-responses-store).", { param: "previous_response_id" });
    }
    const turns: WireItem[][] = [];
    for (let id: string | null | undefined = previousId; id; ) {
      const stored = this.store.get(id);
      if (!stored) throw this.notFound(id, "previous_response_id");
      turns.unshift([...stored.inputItems, ...(stored.response.output as unknown as WireItem[])]);
      id = stored.response.previous_response_id;
    }
    return turns.flat();
  }

  private find(id: string): ResponseBody {
    const running = this.running.get(id);
    if (running) return running.builder.response;
    const stored = this.store?.get(id);
    if (!stored) throw this.notFound(id);
    return stored.response;
  }

  private notFound(id: string, param: string | null = null): ResponseNotFoundError {
    const why = this.store === null
      ? "this server runs without a response store (--no-responses-store)"
      : this.store.absence(id) === "evicted"
        ? "it was evicted from the response store (--responses-store-max-bytes / --responses-store-ttl)"
        : "it was never stored (store: false), was deleted, or belongs to another server";
    return new ResponseNotFoundError(`Response with id '${id}' not found: ${why}.`, param);
  }

  private shell(request: ResponseCreateRequest, run: ChatRun, isStored: boolean): ResponseBody {
    return {
      id: newId("resp"),
      object: "response",
      created_at: run.meta.created,
      status: "in_progress",
      model: run.meta.model,
      output: [],
      error: null,
      incomplete_details: null,
      instructions: request.instructions ?? null,
      metadata: request.metadata ?? {},
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      temperature: request.temperature ?? 1,
      top_p: request.top_p ?? 1,
      tool_choice: (request.tool_choice ?? "auto") as ResponseBody["tool_choice"],
      tools: (request.tools ?? []) as unknown as ResponseBody["tools"],
      text: { format: (request.text?.format ?? { type: "text" }) as NonNullable<ResponseBody["text"]>["format"] },
      max_output_tokens: request.max_output_tokens ?? null,
      previous_response_id: request.previous_response_id ?? null,
      reasoning: { effort: (request.reasoning?.effort ?? null) as never, summary: null },
      store: isStored,
      truncation: "disabled",
      user: request.user ?? undefined,
      background: false,
      service_tier: "default",
    };
  }
}

/**
 * The response's events from the engine's outputs. The first output is
 * awaited before `response.created`, so a request the engine refuses (queue
 * full) is still an HTTP status. In a stream, a failure after that is an
 * `error` event and `response.failed`; in a JSON answer it is thrown.
 */
export async function* generateEvents(run: ChatRun, builder: ResponseEventBuilder, isStream: boolean, onEnd: (response: ResponseBody, isStarted: boolean) => void): AsyncGenerator<ResponseEvent> {
  const parser = new ChatOutputParser(run.results.chatOutput!);
  const iterator = run.outputs[Symbol.asyncIterator]();
  let reasoning = "";
  let last: RequestOutput | undefined;
  let status: FinalStatus | null = null;
  let isStarted = false;
  const usage = () => (last ? toResponseUsage(last, reasoning === "" ? 0 : run.countTokens(reasoning)) : null);
  try {
    let next = await iterator.next();
    isStarted = true;
    yield* builder.start();
    for (; !next.done; next = await iterator.next()) {
      last = next.value;
      const choice = last.choices[0];
      if (!choice) continue;
      const events = [parser.push(choice.text), ...(choice.finishReason !== null ? [parser.finish()] : [])];
      for (const parsed of events) {
        reasoning += parsed.reasoning;
        yield* builder.push(parsed);
      }
      if (choice.finishReason !== null) status = choice.finishReason === "length" ? "incomplete" : choice.finishReason === "abort" ? "cancelled" : "completed";
    }
    const final = status ?? "completed";
    status = null;
    yield* builder.finish(final, usage());
    status = final;
  } catch (error) {
    const { message, code } = asApiError(error);
    // Built before the failure's own events, so sequence numbers keep increasing.
    const errorEvent = isStream && isStarted ? builder.error(message, code) : null;
    const failure = builder.finish("failed", usage(), { code: "server_error", message });
    status = "failed";
    if (!errorEvent) throw error;
    yield errorEvent;
    yield* failure;
  } finally {
    void iterator.return?.();
    // A reader that went away (disconnect) ends the generation: the response is kept as cancelled.
    if (status === null) builder.finish("cancelled", usage());
    onEnd(builder.response, isStarted);
  }
}

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events);
}

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString("hex")}`;
}
