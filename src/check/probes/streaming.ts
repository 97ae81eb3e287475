/** Streaming shape: role-first chunk, one id, one finish_reason, [DONE], usage chunks, text equal to non-stream. */
import { accepted, expect, field, type Probe, type ProbeContext } from "../probe.js";
import type { StreamExchange } from "../http-client.js";
import { chatBody, completionBody, needLength, openaiDocs, referenceChat, referenceCompletion, vllmDocs } from "./shared.js";

/** The stream of the reference chat (greedy, 24 tokens), with include_usage. */
function streamedChat(context: ProbeContext): Promise<StreamExchange> {
  return context.memo("streamed-chat", async () => {
    const exchange = await context.client.stream("/chat/completions", chatBody(context, { max_tokens: 24, stream: true, stream_options: { include_usage: true } }));
    return acceptedStream(exchange);
  });
}

export function acceptedStream(exchange: StreamExchange): StreamExchange {
  if (exchange.events.length === 0) accepted(exchange); // a 4xx is UNSUPPORTED, anything else FAIL
  expect(exchange.events.length > 0, "a text/event-stream of data: events", exchange, exchange.text.slice(0, 500));
  const bad = exchange.events.find((event) => typeof event !== "object" || event === null || "error" in event);
  expect(bad === undefined, "every event is a JSON chunk, none an error", exchange, bad);
  return exchange;
}

/** The chunks that carry choice `index`, in order, with that choice. */
export function choiceChunks(events: unknown[], index = 0): unknown[] {
  return events.flatMap((event) => {
    const choices = field(event, "choices");
    return Array.isArray(choices) ? choices.filter((choice) => field(choice, "index") === index) : [];
  });
}

/** Concatenated streamed text of choice `index` (chat delta.content or completions text). */
export function streamedText(events: unknown[], index = 0): string {
  return choiceChunks(events, index)
    .map((choice) => String(field(choice, "delta", "content") ?? field(choice, "text") ?? ""))
    .join("");
}

function expectOneFinish(exchange: StreamExchange, index: number): void {
  const choices = choiceChunks(exchange.events, index);
  const finishes = choices.filter((choice) => field(choice, "finish_reason") != null);
  expect(finishes.length === 1, `exactly one chunk of choice ${index} has a finish_reason`, exchange, finishes);
  const last = choices[choices.length - 1];
  expect(last === finishes[0], `the finish_reason chunk is choice ${index}'s last`, exchange, choices.slice(-2));
}

export const streamingProbes: Probe[] = [
  {
    id: "stream.role-first",
    group: "streaming",
    description: 'the first chunk of a chat stream has delta.role "assistant"',
    doc: openaiDocs.chatStreaming,
    async run(context) {
      const exchange = await streamedChat(context);
      const first = choiceChunks(exchange.events)[0];
      expect(field(first, "delta", "role") === "assistant", 'delta.role "assistant" in the first chunk', exchange, first);
    },
  },
  {
    id: "stream.one-id",
    group: "streaming",
    description: "every chunk has object chat.completion.chunk and the same id, created and model",
    doc: openaiDocs.chatStreaming,
    async run(context) {
      const exchange = await streamedChat(context);
      const [first] = exchange.events;
      for (const event of exchange.events) {
        expect(field(event, "object") === "chat.completion.chunk", 'object "chat.completion.chunk"', exchange, event);
        for (const key of ["id", "created", "model"]) expect(field(event, key) === field(first, key) && field(event, key) !== undefined, `the same ${key} in every chunk`, exchange, event);
      }
    },
  },
  {
    id: "stream.finish-reason",
    group: "streaming",
    description: "exactly one chunk carries finish_reason, the choice's last",
    doc: openaiDocs.chatStreaming,
    async run(context) {
      expectOneFinish(await streamedChat(context), 0);
    },
  },
  {
    id: "stream.done",
    group: "streaming",
    description: "the stream ends with data: [DONE]",
    doc: openaiDocs.chat("stream"),
    async run(context) {
      const exchange = await streamedChat(context);
      expect(exchange.endsWithDone, "data: [DONE] as the last event", exchange, exchange.text.slice(-300));
    },
  },
  {
    id: "stream.same-text",
    group: "streaming",
    description: "greedy streamed content concatenates to the non-stream content",
    doc: openaiDocs.chatStreaming,
    async run(context) {
      const exchange = await streamedChat(context);
      const reference = await referenceChat(context);
      const text = streamedText(exchange.events);
      expect(text === reference.text, "the same text as the non-stream answer", exchange, { streamed: text, nonStream: reference.text });
    },
  },
  {
    id: "stream.include-usage",
    group: "streaming",
    description: "stream_options.include_usage: one last chunk with choices [] and usage; null usage before it",
    doc: openaiDocs.chat("stream_options"),
    async run(context) {
      const exchange = await streamedChat(context);
      const last = exchange.events[exchange.events.length - 1];
      expect(Array.isArray(field(last, "choices")) && (field(last, "choices") as unknown[]).length === 0, "the last chunk has choices: []", exchange, last);
      const usage = field(last, "usage");
      expect(Number.isInteger(field(usage, "completion_tokens")) && field(usage, "total_tokens") === (field(usage, "prompt_tokens") as number) + (field(usage, "completion_tokens") as number), "the last chunk's usage adds up", exchange, last);
      const early = exchange.events.slice(0, -1).find((event) => field(event, "usage") != null);
      expect(early === undefined, "no usage in the chunks before it (null or absent)", exchange, early);
    },
  },
  {
    id: "stream.usage-only-when-asked",
    group: "streaming",
    description: "without stream_options, no chunk carries usage and none has empty choices",
    doc: openaiDocs.chat("stream_options"),
    async run(context) {
      const exchange = acceptedStream(await context.client.stream("/chat/completions", chatBody(context, { max_tokens: 4, stream: true })));
      const extra = exchange.events.find((event) => field(event, "usage") != null || (field(event, "choices") as unknown[] | undefined)?.length === 0);
      expect(extra === undefined, "no usage chunk unless stream_options.include_usage", exchange, extra);
    },
  },
  {
    id: "stream.continuous-usage",
    group: "streaming",
    description: "vLLM stream_options.continuous_usage_stats: usage in every chunk, completion_tokens never decreasing",
    doc: vllmDocs.extraSampling,
    async run(context) {
      const exchange = acceptedStream(await context.client.stream("/chat/completions", chatBody(context, { max_tokens: 8, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } })));
      let previous = 0;
      for (const event of exchange.events) {
        const completion = field(event, "usage", "completion_tokens");
        expect(Number.isInteger(completion) && (completion as number) >= previous, "every chunk has usage.completion_tokens, never decreasing", exchange, event);
        previous = completion as number;
      }
      expect(previous === 8 || field(choiceChunks(exchange.events).at(-1), "finish_reason") === "stop", "the last usage counts all 8 tokens (unless the model stopped)", exchange, previous);
    },
  },
  {
    id: "stream.completions",
    group: "streaming",
    description: "completions stream: text_completion chunks, one id, one finish_reason, [DONE], text equal to non-stream",
    doc: openaiDocs.completions("stream"),
    async run(context) {
      const reference = await referenceCompletion(context);
      needLength(reference.text, 1);
      const exchange = acceptedStream(await context.client.stream("/completions", completionBody(context, { max_tokens: 24, stream: true })));
      const id = field(exchange.events[0], "id");
      for (const event of exchange.events) expect(field(event, "object") === "text_completion" && field(event, "id") === id, 'object "text_completion" and one id in every chunk', exchange, event);
      expectOneFinish(exchange, 0);
      expect(exchange.endsWithDone, "data: [DONE] last", exchange, exchange.text.slice(-200));
      const text = streamedText(exchange.events);
      expect(text === reference.text, "the same text as the non-stream completion", exchange, { streamed: text, nonStream: reference.text });
    },
  },
];

export { expectOneFinish };
