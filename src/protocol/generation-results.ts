/**
 * Engine outputs -> OpenAI responses: whole bodies for non-streaming requests,
 * chunk sequences for SSE (role-first chunk per choice, one id, finish_reason
 * on the last chunk, optional usage chunk with `choices: []`).
 */
import type { FinishReason, RequestOutput } from "../engine/types.js";
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

export async function collectChat(meta: ResponseMeta, outputs: AsyncIterable<RequestOutput>) {
  const { choices, usage } = await collect([outputs], 0);
  return chatCompletion(
    meta,
    choices.map(([index, c]) => chatChoice(index, c.text, c.finishReason, c.stopReason)),
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

export async function* streamChat(meta: ResponseMeta, outputs: AsyncIterable<RequestOutput>, usageOptions: StreamUsageOptions) {
  const started = new Set<number>();
  let last: RequestOutput | undefined;
  for await (const output of outputs) {
    last = output;
    const usage = usageOptions.continuous ? toUsage(output) : undefined;
    for (const choice of output.choices) {
      if (!started.has(choice.index)) {
        started.add(choice.index);
        yield chatChunk(meta, [chatDeltaChoice(choice.index, { role: "assistant", content: "" })], usage);
      }
      if (choice.text === "" && choice.finishReason === null) continue;
      const delta = choice.text === "" ? {} : { content: choice.text };
      yield chatChunk(meta, [chatDeltaChoice(choice.index, delta, choice.finishReason, choice.stopReason)], usage);
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
