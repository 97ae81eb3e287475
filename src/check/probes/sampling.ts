/** n, stop strings (also across token and chunk borders), seed reproducibility, max_tokens and finish_reason "length". */
import { accepted, expect, field, ProbeSkipped, type Probe, type ProbeContext } from "../probe.js";
import { acceptedStream, choiceChunks, expectOneFinish, streamedText } from "./streaming.js";
import { chatBody, completionBody, needLength, openaiDocs, referenceChat, referenceCompletion, type Generation } from "./shared.js";

/**
 * A stop string spanning a token border near the middle of a greedy text
 * (two characters of each side), or a middle slice when the token texts are
 * unknown; and the text the server must return: everything before its first
 * occurrence.
 */
export function stopAcrossBorder(reference: Generation): { stop: string; expected: string } {
  // Code points, not UTF-16 units: a stop string must not split a surrogate pair.
  const chars = Array.from(reference.text);
  let border = Math.floor(chars.length / 2);
  if (reference.tokens) {
    let offset = 0;
    const borders: number[] = [];
    for (const token of reference.tokens.slice(0, -1)) {
      offset += Array.from(token).length;
      if (offset >= 2 && chars.length - offset >= 2) borders.push(offset);
    }
    if (borders.length > 0) border = borders[Math.floor(borders.length / 2)];
  }
  const stop = chars.slice(border - 2, border + 2).join("");
  return { stop, expected: reference.text.slice(0, reference.text.indexOf(stop)) };
}

/** Code points `start` to `end` of `text` (negative counts from the end). */
export function codePointSlice(text: string, start: number, end?: number): string {
  return Array.from(text).slice(start, end).join("");
}

async function seededTexts(context: ProbeContext, seeds: number[]): Promise<string[]> {
  const texts: string[] = [];
  for (const seed of seeds) {
    const exchange = await context.client.post("/completions", completionBody(context, { temperature: 1, seed, max_tokens: 12 }));
    texts.push(String(field(accepted(exchange), "choices", 0, "text")));
  }
  return texts;
}

export const samplingProbes: Probe[] = [
  {
    id: "n.choices",
    group: "sampling",
    description: "n: 3 gives three choices, index 0..2, each with its own finish_reason",
    doc: openaiDocs.chat("n"),
    async run(context) {
      const exchange = await context.client.post("/chat/completions", chatBody(context, { n: 3, temperature: 1, seed: 11, max_tokens: 6 }));
      const choices = field(accepted(exchange), "choices");
      expect(Array.isArray(choices) && choices.length === 3, "three choices", exchange);
      expect(choices.map((choice) => field(choice, "index")).join() === "0,1,2", "indexes 0, 1, 2", exchange);
      for (const choice of choices) expect(field(choice, "finish_reason") != null && typeof field(choice, "message", "content") === "string", "each choice has content and a finish_reason", exchange, choice);
    },
  },
  {
    id: "n.stream",
    group: "sampling",
    description: "n: 2 streamed: chunks of both indexes, each index with one role-first chunk and one finish_reason",
    doc: openaiDocs.chatStreaming,
    async run(context) {
      const exchange = acceptedStream(await context.client.stream("/chat/completions", chatBody(context, { n: 2, temperature: 1, seed: 11, max_tokens: 6, stream: true })));
      for (const index of [0, 1]) {
        const chunks = choiceChunks(exchange.events, index);
        expect(chunks.length > 0 && field(chunks[0], "delta", "role") === "assistant", `choice ${index} streams, role first`, exchange, chunks[0]);
        expectOneFinish(exchange, index);
      }
    },
  },
  {
    id: "stop.string",
    group: "sampling",
    description: "stop: the greedy text ends right before the stop string's first occurrence, finish_reason stop",
    doc: openaiDocs.completions("stop"),
    async run(context) {
      const reference = await referenceCompletion(context);
      needLength(reference.text, 8);
      const { stop, expected } = stopAcrossBorder(reference);
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 24, stop }));
      const body = accepted(exchange);
      expect(field(body, "choices", 0, "text") === expected, `the text before ${JSON.stringify(stop)}: ${JSON.stringify(expected)}`, exchange, field(body, "choices", 0, "text"));
      expect(field(body, "choices", 0, "finish_reason") === "stop", 'finish_reason "stop"', exchange);
    },
  },
  {
    id: "stop.list",
    group: "sampling",
    description: "stop as a list: the earliest match in the text wins, whatever its place in the list",
    doc: openaiDocs.chat("stop"),
    async run(context) {
      const reference = await referenceChat(context);
      needLength(reference.text, 12);
      const early = codePointSlice(reference.text, 3, 6);
      const late = codePointSlice(reference.text, -4);
      const expected = reference.text.slice(0, Math.min(reference.text.indexOf(early), reference.text.indexOf(late)));
      const exchange = await context.client.post("/chat/completions", chatBody(context, { max_tokens: 24, stop: [late, early] }));
      const content = field(accepted(exchange), "choices", 0, "message", "content");
      expect(content === expected, `the text before the first of ${JSON.stringify([late, early])}: ${JSON.stringify(expected)}`, exchange, content);
    },
  },
  {
    id: "stop.across-chunks",
    group: "sampling",
    description: "streamed, a stop string spanning two tokens is never sent, not even its first part",
    doc: openaiDocs.chat("stop"),
    async run(context) {
      const reference = await referenceChat(context);
      needLength(reference.text, 8);
      const { stop, expected } = stopAcrossBorder(reference);
      const exchange = acceptedStream(await context.client.stream("/chat/completions", chatBody(context, { max_tokens: 24, stop, stream: true })));
      const text = streamedText(exchange.events);
      expect(text === expected, `streamed text stops before ${JSON.stringify(stop)}: ${JSON.stringify(expected)}`, exchange, text);
      expect(field(choiceChunks(exchange.events).at(-1), "finish_reason") === "stop", 'finish_reason "stop"', exchange);
    },
  },
  {
    id: "seed.reproducible",
    group: "sampling",
    description: "seed: the same seed at temperature 1 gives the same text; different seeds do not all agree",
    doc: openaiDocs.chat("seed"),
    async run(context) {
      const [a, b] = await seededTexts(context, [1234, 1234]);
      expect(a === b, "the same text twice with seed 1234", undefined, { first: a, second: b });
      const others = await seededTexts(context, [1, 2, 3]);
      expect(new Set([a, ...others]).size > 1, "seeds 1234, 1, 2, 3 do not all give one text (temperature 1 samples)", undefined, [a, ...others]);
    },
  },
  {
    id: "max-tokens.length",
    group: "sampling",
    description: 'max_tokens: 5 stops a longer greedy text after 5 tokens with finish_reason "length"',
    doc: openaiDocs.completions("max_tokens"),
    async run(context) {
      const reference = await referenceCompletion(context);
      if (reference.finishReason !== "length") throw new ProbeSkipped("the model's greedy text stops before 24 tokens: nothing for max_tokens to cut");
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 5 }));
      const body = accepted(exchange);
      expect(field(body, "choices", 0, "finish_reason") === "length", 'finish_reason "length"', exchange);
      expect(field(body, "usage", "completion_tokens") === 5, "usage.completion_tokens = 5", exchange);
      expect(reference.text.startsWith(String(field(body, "choices", 0, "text"))), "a prefix of the 24-token greedy text", exchange, { got: field(body, "choices", 0, "text"), reference: reference.text });
    },
  },
];
