/**
 * One streaming request for `pagoda bench serve`, over `fetch` (no SDK): POST
 * `{base}/chat/completions` or `{base}/completions` with `stream: true` and
 * `stream_options.include_usage`, timestamping every SSE chunk that carries
 * generated text. TTFT is the first such chunk, so the role-only first chunk of a
 * chat stream does not count.
 */
import { countWords, type BenchPrompt } from "./datasets.js";
import type { RequestTiming } from "./stats.js";

export type Endpoint = "chat" | "completions";

export interface RequestOptions {
  baseUrl: string;
  endpoint: Endpoint;
  model: string;
  apiKey?: string;
  maxTokens: number;
  temperature: number;
  isIgnoreEos: boolean;
}

export interface RequestResult extends RequestTiming {
  error?: string;
  finishReason?: string;
  /** Whether token counts came from the server's usage rather than the fallback. */
  hasUsage: boolean;
  /** Server-reported prefix-cache hits (usage.prompt_tokens_details.cached_tokens), when sent. */
  cachedTokens?: number;
  outputChars: number;
}

/** Splits an SSE byte stream (as text) into the data of each event, across any chunking. */
export class SseParser {
  private buffer = "";
  private data: string[] = [];

  /** Feeds text; returns the data of every event completed by it. */
  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      // A lone \r at the end of the buffer may be half of \r\n: wait for more.
      if (this.buffer[newline] === "\r" && newline === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith("\r\n", newline) ? 2 : 1));
      this.line(line, events);
    }
    return events;
  }

  /** At the end of the stream: an event not terminated by a blank line still counts. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== "") this.line(this.buffer.replace(/\r$/, ""), events);
    this.buffer = "";
    this.line("", events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push(this.data.join("\n"));
      this.data = [];
    } else if (line.startsWith("data:")) {
      this.data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    } // comments (":...") and other fields (event:, id:, retry:) are ignored
  }
}

export function requestBody(options: RequestOptions, prompt: BenchPrompt): Record<string, unknown> {
  const common: Record<string, unknown> = {
    model: options.model,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: options.maxTokens,
    temperature: options.temperature,
  };
  if (options.isIgnoreEos) common.ignore_eos = true;
  if (options.endpoint === "chat") {
    const messages = [...(prompt.system !== undefined ? [{ role: "system", content: prompt.system }] : []), { role: "user", content: prompt.prompt }];
    return { ...common, messages };
  }
  return { ...common, prompt: prompt.system !== undefined ? `${prompt.system}\n\n${prompt.prompt}` : prompt.prompt };
}

interface StreamChunk {
  error?: { message?: string } | string;
  choices?: Array<{ text?: string | null; delta?: { content?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
}

/** Mutable state of one stream while its events are applied. */
export interface StreamState {
  contentChunkTimesMs: number[];
  outputChars: number;
  isDone: boolean;
  error?: string;
  finishReason?: string;
  usage?: { promptTokens: number; outputTokens: number; cachedTokens?: number };
}

export function newStreamState(): StreamState {
  return { contentChunkTimesMs: [], outputChars: 0, isDone: false };
}

/** Applies one SSE event's data, received at `atMs`. */
export function applyEvent(state: StreamState, data: string, atMs: number): void {
  if (data.trim() === "[DONE]") {
    state.isDone = true;
    return;
  }
  let chunk: StreamChunk;
  try {
    chunk = JSON.parse(data) as StreamChunk;
  } catch {
    state.error ??= `unparsable SSE data: ${data.slice(0, 200)}`;
    return;
  }
  if (chunk.error !== undefined) {
    state.error ??= typeof chunk.error === "string" ? chunk.error : (chunk.error.message ?? JSON.stringify(chunk.error));
    return;
  }
  const choice = chunk.choices?.[0];
  if (choice) {
    const text = (choice.text ?? "") + (choice.delta?.content ?? "") + (choice.delta?.reasoning_content ?? "");
    if (text.length > 0) {
      state.contentChunkTimesMs.push(atMs);
      state.outputChars += text.length;
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }
  const usage = chunk.usage;
  if (usage && typeof usage.prompt_tokens === "number" && typeof usage.completion_tokens === "number") {
    const cached = usage.prompt_tokens_details?.cached_tokens;
    state.usage = { promptTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, ...(typeof cached === "number" ? { cachedTokens: cached } : {}) };
  }
}

/**
 * Token counts from the server's usage; without it, whitespace words of the prompt
 * and the number of content chunks (about one token each on llama.cpp-based servers).
 */
export function finishResult(state: StreamState, prompt: BenchPrompt, startMs: number, endMs: number, transportError?: string): RequestResult {
  const error = transportError ?? state.error ?? (state.isDone ? undefined : "the stream ended without data: [DONE]");
  return {
    isSuccess: error === undefined,
    ...(error !== undefined ? { error } : {}),
    ...(state.finishReason !== undefined ? { finishReason: state.finishReason } : {}),
    startMs,
    endMs,
    contentChunkTimesMs: state.contentChunkTimesMs,
    promptTokens: state.usage?.promptTokens ?? countWords(`${prompt.system ?? ""} ${prompt.prompt}`),
    outputTokens: state.usage?.outputTokens ?? state.contentChunkTimesMs.length,
    hasUsage: state.usage !== undefined,
    ...(state.usage?.cachedTokens !== undefined ? { cachedTokens: state.usage.cachedTokens } : {}),
    outputChars: state.outputChars,
  };
}

export function apiKeyHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** Sends one request and reads its stream to the end; never throws. */
export async function sendRequest(options: RequestOptions, prompt: BenchPrompt, now: () => number = () => performance.now()): Promise<RequestResult> {
  const url = `${options.baseUrl}/${options.endpoint === "chat" ? "chat/completions" : "completions"}`;
  const state = newStreamState();
  const startMs = now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...apiKeyHeaders(options.apiKey) },
      body: JSON.stringify(requestBody(options, prompt)),
    });
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => "");
      return finishResult(state, prompt, startMs, now(), `HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      const atMs = now();
      const events = done ? parser.push(decoder.decode()).concat(parser.end()) : parser.push(decoder.decode(value, { stream: true }));
      for (const data of events) applyEvent(state, data, atMs);
      if (done) break;
    }
    return finishResult(state, prompt, startMs, now());
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return finishResult(state, prompt, startMs, now(), `${error instanceof Error ? error.message : String(error)}${cause}`);
  }
}
