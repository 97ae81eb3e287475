/**
 * Engine outputs -> OpenAI responses: whole bodies for non-streaming requests,
 * chunk sequences for SSE (role-first chunk per choice, one id, finish_reason
 * on the last chunk, optional usage chunk with `choices: []`).
 */
import type { FinishReason, RequestOutput } from "../engine/types.js";
import { ChatOutputParser, type ChatOutputOptions } from "./chat-output/chat-output-parser.js";
import { toChatDeltas, toChatMessage } from "./chat-output/chat-output-wire.js";
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

interface ChoiceAccumulator {
  text: string;
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
  for await (const { source, value } of mergeStreams(streams)) {
    usage.update(source, value);
    for (const choice of value.choices) {
      const index = source * n + choice.index;
      const accumulator = choices.get(index) ?? { text: "", finishReason: "stop", stopReason: null };
      accumulator.text += choice.text;
      if (choice.finishReason) {
        accumulator.finishReason = choice.finishReason;
        accumulator.stopReason = choice.stopReason;
      }
      choices.set(index, accumulator);
    }
  }
  return { choices: [...choices.entries()].sort(([a], [b]) => a - b), usage: toUsage(usage.total) };
}

/** Without tools or a reasoning parser the text is the content as generated. */
const plainChatOutput: ChatOutputOptions = { toolMode: { kind: "plain" }, reasoningParser: null, idStyle: "openai" };

export async function collectChat(meta: ResponseMeta, outputs: AsyncIterable<RequestOutput>, chatOutput = plainChatOutput) {
  const { choices, usage } = await collect([outputs], 0);
  return chatCompletion(
    meta,
    choices.map(([index, c]) => {
      const parser = new ChatOutputParser(chatOutput);
      const { content, ...extras } = toChatMessage(parser, c.text);
      return chatChoice(index, content, parser.finishReason(c.finishReason), c.stopReason, extras);
    }),
    usage,
  );
}

export async function collectCompletion(meta: ResponseMeta, streams: AsyncIterable<RequestOutput>[], n: number) {
  const { choices, usage } = await collect(streams, n);
  return completion(
    meta,
    choices.map(([index, c]) => completionChoice(index, c.text, c.finishReason, c.stopReason)),
    usage,
  );
}

export async function* streamChat(
  meta: ResponseMeta,
  outputs: AsyncIterable<RequestOutput>,
  usageOptions: StreamUsageOptions,
  chatOutput = plainChatOutput,
) {
  const parsers = new Map<number, ChatOutputParser>();
  let last: RequestOutput | undefined;
  for await (const output of outputs) {
    last = output;
    const usage = usageOptions.continuous ? toUsage(output) : undefined;
    for (const choice of output.choices) {
      let parser = parsers.get(choice.index);
      if (!parser) {
        parser = new ChatOutputParser(chatOutput);
        parsers.set(choice.index, parser);
        yield chatChunk(meta, [chatDeltaChoice(choice.index, { role: "assistant", content: "" })], usage);
      }
      const events = parser.push(choice.text);
      const deltas = choice.finishReason === null ? toChatDeltas(events) : [...toChatDeltas(events), ...toChatDeltas(parser.finish())];
      if (choice.finishReason !== null && deltas.length === 0) deltas.push({});
      for (const [i, delta] of deltas.entries()) {
        const isLast = i === deltas.length - 1 && choice.finishReason !== null;
        const finishReason = isLast ? parser.finishReason(choice.finishReason!) : null;
        yield chatChunk(meta, [chatDeltaChoice(choice.index, delta, finishReason, isLast ? choice.stopReason : null)], usage);
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
) {
  const usage = new UsageTracker(streams.length);
  for await (const { source, value } of mergeStreams(streams)) {
    usage.update(source, value);
    const chunkUsage = usageOptions.continuous ? toUsage(usage.total) : undefined;
    for (const choice of value.choices) {
      if (choice.text === "" && choice.finishReason === null) continue;
      const body = completion(meta, [completionChoice(source * n + choice.index, choice.text, choice.finishReason, choice.stopReason)]);
      yield chunkUsage ? { ...body, usage: chunkUsage } : body;
    }
  }
  if (usageOptions.include) yield { ...completion(meta, []), usage: toUsage(usage.total) };
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
