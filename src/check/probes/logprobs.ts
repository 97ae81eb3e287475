/** Logprobs shapes (chat and completions) and their meaning: the model's distribution before sampling. */
import { accepted, expect, field, type Probe, type ProbeContext } from "../probe.js";
import { chatBody, completionBody, openaiDocs } from "./shared.js";

const isLogprob = (value: unknown) => typeof value === "number" && value <= 0;

/** choices[0].logprobs.content of a chat request with top_logprobs. */
async function chatLogprobs(context: ProbeContext, extra: Record<string, unknown>) {
  const exchange = await context.client.post("/chat/completions", chatBody(context, { logprobs: true, ...extra }));
  const body = accepted(exchange);
  const content = field(body, "choices", 0, "logprobs", "content");
  expect(Array.isArray(content) && content.length > 0, "choices[0].logprobs.content is a non-empty list", exchange);
  return { exchange, body, content: content as unknown[] };
}

export const logprobsProbes: Probe[] = [
  {
    id: "logprobs.chat-shape",
    group: "logprobs",
    description: "chat logprobs: per token {token, logprob <= 0, bytes, top_logprobs[3] sorted}; tokens spell the content",
    doc: openaiDocs.chat("logprobs"),
    async run(context) {
      const { exchange, body, content } = await chatLogprobs(context, { top_logprobs: 3, max_tokens: 8 });
      for (const entry of content) {
        expect(typeof field(entry, "token") === "string" && isLogprob(field(entry, "logprob")) && Array.isArray(field(entry, "bytes")), "each entry has token, logprob <= 0 and bytes", exchange, entry);
        const top = field(entry, "top_logprobs");
        expect(Array.isArray(top) && top.length === 3, "top_logprobs has 3 alternatives", exchange, entry);
        const values = top.map((alternative) => field(alternative, "logprob") as number);
        expect(values.every(isLogprob) && values.every((value, i) => i === 0 || value <= values[i - 1]), "alternatives sorted by logprob, each <= 0", exchange, entry);
      }
      const bytes = content.flatMap((entry) => field(entry, "bytes") as number[]);
      const text = Buffer.from(bytes).toString("utf8");
      expect(text === field(body, "choices", 0, "message", "content"), "the tokens' bytes spell the content", exchange, { fromBytes: text });
    },
  },
  {
    id: "logprobs.completions-shape",
    group: "logprobs",
    description: "completions logprobs: 2: tokens, token_logprobs, top_logprobs (dicts of >= 2), text_offset; tokens spell the text",
    doc: openaiDocs.completions("logprobs"),
    async run(context) {
      const exchange = await context.client.post("/completions", completionBody(context, { logprobs: 2, max_tokens: 8 }));
      const body = accepted(exchange);
      const logprobs = field(body, "choices", 0, "logprobs");
      const [tokens, values, top, offsets] = ["tokens", "token_logprobs", "top_logprobs", "text_offset"].map((key) => field(logprobs, key));
      expect(Array.isArray(tokens) && Array.isArray(values) && Array.isArray(top) && Array.isArray(offsets), "lists tokens, token_logprobs, top_logprobs, text_offset", exchange, logprobs);
      expect(new Set([tokens.length, values.length, top.length, offsets.length]).size === 1 && tokens.length > 0, "four lists of one length", exchange, logprobs);
      expect(values.every(isLogprob), "token_logprobs <= 0", exchange, values);
      expect(top.every((dict) => dict !== null && typeof dict === "object" && Object.keys(dict).length >= 2), "each top_logprobs entry is a dict of at least 2 tokens", exchange, top);
      expect(offsets.every((offset, i) => i === 0 || offset >= offsets[i - 1]), "text_offset never decreases", exchange, offsets);
      expect(tokens.join("") === field(body, "choices", 0, "text"), "the tokens spell the text", exchange, tokens);
    },
  },
  {
    id: "logprobs.greedy-is-top",
    group: "logprobs",
    description: "at temperature 0 each chosen token is its position's most likely alternative",
    doc: openaiDocs.chat("top_logprobs"),
    async run(context) {
      const { exchange, content } = await chatLogprobs(context, { top_logprobs: 5, max_tokens: 8 });
      for (const entry of content) {
        const best = Math.max(...(field(entry, "top_logprobs") as unknown[]).map((alternative) => field(alternative, "logprob") as number));
        expect(Math.abs((field(entry, "logprob") as number) - best) < 1e-3, "the chosen token's logprob = the best alternative's", exchange, entry);
      }
    },
  },
  {
    id: "logprobs.raw-distribution",
    group: "logprobs",
    description: "logprobs are the model's distribution: the first token's top_logprobs do not change with temperature",
    doc: "https://docs.vllm.ai/en/latest/features/logprobs.html",
    async run(context) {
      const cold = await chatLogprobs(context, { top_logprobs: 5, max_tokens: 1, temperature: 0.3, seed: 5 });
      const hot = await chatLogprobs(context, { top_logprobs: 5, max_tokens: 1, temperature: 1.7, seed: 5 });
      const pairs = (content: unknown[]) => (field(content[0], "top_logprobs") as unknown[]).map((alternative) => [field(alternative, "token"), field(alternative, "logprob") as number] as const);
      const [a, b] = [pairs(cold.content), pairs(hot.content)];
      const isSame = a.length === b.length && a.every(([token, logprob], i) => token === b[i][0] && Math.abs(logprob - b[i][1]) < 1e-3);
      expect(isSame, "the same top_logprobs at temperature 0.3 and 1.7", hot.exchange, { "temperature 0.3": a, "temperature 1.7": b });
    },
  },
];
