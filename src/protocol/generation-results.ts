/**
 * Engine outputs -> OpenAI responses: whole bodies for non-streaming requests,
 * chunk sequences for SSE (role-first chunk per choice, one id, finish_reason
 * on the last chunk, optional usage chunk with `choices: []`).
 */
import type { FinishReason, RequestOutput, TokenLogprob } from "../engine/types.js";
import { ChatOutputParser, type ChatOutputOptions } from "./chat-output/chat-output-parser.js";
import { toChatDeltas, toChatMessage } from "./chat-output/chat-output-wire.js";
import type { LogprobFormatter, PromptLogprobEntry } from "./logprobs.js";
import {
  chatChoice,
  chatChunk,
  chatCompletion,
  chatDeltaChoice,
  completion,
  completionChoice,
  toUsage,
  type ResponseMeta,
  type UsageCounts,
} from "./responses.js";

export interface StreamUsageOptions {
  include: boolean;
  continuous: boolean;
}

/** What a response carries beyond text: logprobs, echoed prompts, prompt logprobs. */
export interface ResultOptions {
  /** Set when the request asked for logprobs of sampled tokens. */
  logprobs: LogprobFormatter | null;
  /** Set when the request asked for vLLM's `prompt_logprobs`. */
  promptLogprobs: LogprobFormatter | null;
  /** Completions' `echo` (one per prompt) or chat's `echo` (one): text put before the output, with its tokens. */
  echo: Array<{ text: string; tokens: readonly number[] }> | null;
  /** Chat only: tool-call and reasoning parsing of the generated text. */
  chatOutput?: ChatOutputOptions;
}

/** Without tools or a reasoning parser the text is the content as generated. */
const plainChatOutput: ChatOutputOptions = { toolMode: { kind: "plain" }, reasoningParser: null, idStyle: "openai" };

export const plainResults: ResultOptions = { logprobs: null, promptLogprobs: null, echo: null };

interface ChoiceAccumulator {
  text: string;
  tokenIds: number[];
  logprobs: TokenLogprob[];
  finishReason: FinishReason;
  stopReason: string | number | null;
}

/** Sums usage over the latest output of each of a request's prompts. */
class UsageTracker {
  private readonly latest: Array<UsageCounts | undefined>;
  constructor(numSources: number) {
    this.latest = new Array(numSources);
  }
  update(source: number, output: RequestOutput): void {
    this.latest[source] = output;
  }
  get total(): UsageCounts {
    const sum = { numPromptTokens: 0, numCompletionTokens: 0, numCachedPromptTokens: 0 };
    for (const counts of this.latest) {
      if (!counts) continue;
      sum.numPromptTokens += counts.numPromptTokens;
      sum.numCompletionTokens += counts.numCompletionTokens;
      sum.numCachedPromptTokens += counts.numCachedPromptTokens;
    }
    return sum;
  }
}

async function collect(streams: AsyncIterable<RequestOutput>[], n: number) {
  const choices = new Map<number, ChoiceAccumulator>();
  const usage = new UsageTracker(streams.length);
  const promptLogprobs: Array<Array<TokenLogprob | null> | null> = streams.map(() => null);
  for await (const { source, value } of mergeStreams(streams)) {
    usage.update(source, value);
    promptLogprobs[source] ??= value.promptLogprobs;
    for (const choice of value.choices) {
      const index = source * n + choice.index;
      const accumulator = choices.get(index) ?? { text: "", tokenIds: [], logprobs: [], finishReason: "stop", stopReason: null };
      accumulator.text += choice.text;
      accumulator.tokenIds.push(...choice.tokenIds);
      if (choice.logprobs) accumulator.logprobs.push(...choice.logprobs);
      if (choice.finishReason) {
        accumulator.finishReason = choice.finishReason;
        accumulator.stopReason = choice.stopReason;
      }
      choices.set(index, accumulator);
    }
  }
  return { choices: [...choices.entries()].sort(([a], [b]) => a - b), usage: toUsage(usage.total), promptLogprobs };
}

export async function collectChat(meta: ResponseMeta, outputs: AsyncIterable<RequestOutput>, options: ResultOptions = plainResults) {
  const { choices, usage, promptLogprobs } = await collect([outputs], 0);
  const echo = options.echo?.[0]?.text ?? "";
  const body = chatCompletion(
    meta,
    choices.map(([index, c]) => {
      const parser = new ChatOutputParser(options.chatOutput ?? plainChatOutput);
      const { content, ...extras } = toChatMessage(parser, c.text);
      const logprobs = options.logprobs?.chat(c.logprobs) ?? null;
      return chatChoice(index, echo === "" ? content : echo + (content ?? ""), parser.finishReason(c.finishReason), c.stopReason, extras, logprobs);
    }),
    usage,
  );
  return options.promptLogprobs ? { ...body, prompt_logprobs: options.promptLogprobs.prompt(promptLogprobs[0] ?? []) } : body;
}

export async function collectCompletion(meta: ResponseMeta, streams: AsyncIterable<RequestOutput>[], n: number, options: ResultOptions = plainResults) {
  const { choices, usage, promptLogprobs } = await collect(streams, n);
  return completion(
    meta,
    choices.map(([index, c]) => {
      const source = Math.floor(index / n);
      const echo = options.echo?.[source];
      const logprobs = options.logprobs
        ? options.logprobs.completion(
            [...(echo ? echoedPromptLogprobs(echo.tokens, promptLogprobs[source]) : []), ...c.logprobs],
            [...(echo?.tokens ?? []), ...c.tokenIds],
            0,
          )
        : null;
      const choice = completionChoice(index, (echo?.text ?? "") + c.text, c.finishReason, c.stopReason, logprobs);
      return withPromptLogprobs(choice, options, promptLogprobs[source]);
    }),
    usage,
  );
}

export async function* streamChat(
  meta: ResponseMeta,
  outputs: AsyncIterable<RequestOutput>,
  usageOptions: StreamUsageOptions,
  options: ResultOptions = plainResults,
) {
  const parsers = new Map<number, ChatOutputParser>();
  let last: RequestOutput | undefined;
  const echo = options.echo?.[0]?.text ?? "";
  for await (const output of outputs) {
    last = output;
    const usage = usageOptions.continuous ? toUsage(output) : undefined;
    for (const choice of output.choices) {
      let parser = parsers.get(choice.index);
      if (!parser) {
        parser = new ChatOutputParser(options.chatOutput ?? plainChatOutput);
        parsers.set(choice.index, parser);
        yield chatChunk(meta, [chatDeltaChoice(choice.index, { role: "assistant", content: echo })], usage);
      }
      const events = parser.push(choice.text);
      const deltas = choice.finishReason === null ? toChatDeltas(events) : [...toChatDeltas(events), ...toChatDeltas(parser.finish())];
      // Logprobs go with the first chunk of this output, even when the parser holds its text back.
      let logprobs = options.logprobs && choice.logprobs?.length ? options.logprobs.chat(choice.logprobs) : null;
      if ((choice.finishReason !== null || logprobs !== null) && deltas.length === 0) deltas.push({});
      for (const [i, delta] of deltas.entries()) {
        const isLast = i === deltas.length - 1 && choice.finishReason !== null;
        const finishReason = isLast ? parser.finishReason(choice.finishReason!) : null;
        yield chatChunk(meta, [chatDeltaChoice(choice.index, delta, finishReason, isLast ? choice.stopReason : null, logprobs)], usage);
        logprobs = null;
      }
    }
  }
  if (usageOptions.include && last) yield chatChunk(meta, [], toUsage(last));
}

export async function* streamCompletion(
  meta: ResponseMeta,
  streams: AsyncIterable<RequestOutput>[],
  n: number,
  usageOptions: StreamUsageOptions,
  options: ResultOptions = plainResults,
) {
  const usage = new UsageTracker(streams.length);
  /** Per choice: characters sent so far (text_offset), and whether its echo went out. */
  const sent = new Map<number, number>();
  for await (const { source, value } of mergeStreams(streams)) {
    usage.update(source, value);
    const chunkUsage = usageOptions.continuous ? toUsage(usage.total) : undefined;
    for (const choice of value.choices) {
      const index = source * n + choice.index;
      const echo = !sent.has(index) ? options.echo?.[source] : undefined;
      const text = (echo?.text ?? "") + choice.text;
      if (text === "" && choice.finishReason === null && !choice.logprobs?.length) continue;
      const offset = sent.get(index) ?? 0;
      sent.set(index, offset + text.length);
      const logprobs = options.logprobs
        ? options.logprobs.completion(
            [...(echo ? echoedPromptLogprobs(echo.tokens, value.promptLogprobs) : []), ...(choice.logprobs ?? [])],
            [...(echo?.tokens ?? []), ...choice.tokenIds],
            offset,
          )
        : null;
      let body = completion(meta, [completionChoice(index, text, choice.finishReason, choice.stopReason, logprobs)]);
      if (echo && options.promptLogprobs) body = { ...body, choices: [withPromptLogprobs(body.choices[0], options, value.promptLogprobs)] };
      yield chunkUsage ? { ...body, usage: chunkUsage } : body;
    }
  }
  if (usageOptions.include) yield { ...completion(meta, []), usage: toUsage(usage.total) };
}

/** An echoed prompt's logprobs: the engine's when it computed them, else nulls (no logprob asked for the prompt). */
function echoedPromptLogprobs(tokens: readonly number[], computed: ReadonlyArray<TokenLogprob | null> | null): Array<TokenLogprob | null> {
  return tokens.map((_, i) => computed?.[i] ?? null);
}

function withPromptLogprobs<T extends object>(choice: T, options: ResultOptions, logprobs: ReadonlyArray<TokenLogprob | null> | null): T & { prompt_logprobs?: PromptLogprobEntry[] } {
  return options.promptLogprobs ? { ...choice, prompt_logprobs: options.promptLogprobs.prompt(logprobs ?? []) } : choice;
}

/** Interleaves several async streams, tagging each value with its stream's index. */
export async function* mergeStreams<T>(streams: AsyncIterable<T>[]): AsyncGenerator<{ source: number; value: T }> {
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ source: number; result: IteratorResult<T> }>>();
  const pull = (source: number) => pending.set(source, iterators[source].next().then((result) => ({ source, result })));
  iterators.forEach((_, source) => pull(source));
  try {
    while (pending.size > 0) {
      const { source, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(source);
        continue;
      }
      pull(source);
      yield { source, value: result.value };
    }
  } finally {
    // Not awaited: a stream's pending next() settles only when its request ends.
    for (const source of pending.keys()) void iterators[source].return?.();
  }
}
