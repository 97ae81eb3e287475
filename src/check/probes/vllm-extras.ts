/**
 * vLLM's sampling extensions (sent as extra body fields): top_k, min_p,
 * min_tokens, ignore_eos, stop_token_ids, bad_words, allowed_token_ids,
 * prompt_logprobs, echo. Token ids come from logit_bias forcing, so no
 * tokenizer is needed.
 */
import { accepted, expect, field, ProbeSkipped, type Probe, type ProbeContext } from "../probe.js";
import { chatBody, chatTokens, completionBody, forcedIds, forcedTokenText, needLength, referenceChat, referenceCompletion, referencePrompt, vllmDocs } from "./shared.js";

const doc = vllmDocs.extraSampling;

/** Sampling at temperature 1.5 with a filter that keeps only the top token must equal greedy. */
async function expectGreedyUnder(context: ProbeContext, filter: Record<string, unknown>): Promise<void> {
  const reference = await referenceCompletion(context);
  for (const seed of [1, 2]) {
    const exchange = await context.client.post("/completions", completionBody(context, { ...filter, temperature: 1.5, seed, max_tokens: 24 }));
    const text = field(accepted(exchange), "choices", 0, "text");
    expect(text === reference.text, `with ${JSON.stringify(filter)}, temperature 1.5 samples the greedy text`, exchange, { got: text, greedy: reference.text });
  }
}

export const vllmProbes: Probe[] = [
  {
    id: "vllm.top-k",
    group: "vllm",
    description: "top_k: 1 at temperature 1.5 samples exactly the greedy text",
    doc,
    run: (context) => expectGreedyUnder(context, { top_k: 1 }),
  },
  {
    id: "vllm.min-p",
    group: "vllm",
    description: "min_p: 1 (keep tokens as likely as the top one) at temperature 1.5 samples the greedy text",
    doc,
    run: (context) => expectGreedyUnder(context, { min_p: 1 }),
  },
  {
    id: "vllm.stop-token-ids",
    group: "vllm",
    description: "stop_token_ids: a forced stop token ends the text at once, finish_reason stop, token not in text",
    doc,
    async run(context) {
      const [id] = forcedIds;
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 8, logit_bias: { [id]: 100 }, stop_token_ids: [id] }));
      const body = accepted(exchange);
      expect(field(body, "choices", 0, "text") === "" && field(body, "choices", 0, "finish_reason") === "stop", 'text "" and finish_reason "stop" (the stop token is the first one)', exchange);
    },
  },
  {
    id: "vllm.min-tokens",
    group: "vllm",
    description: "min_tokens: 4 holds back a forced stop token for 4 tokens",
    doc,
    async run(context) {
      const [id] = forcedIds;
      const stopText = await forcedTokenText(context, id);
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 8, logit_bias: { [id]: 100 }, stop_token_ids: [id], min_tokens: 4 }));
      const body = accepted(exchange);
      const completion = field(body, "usage", "completion_tokens") as number;
      expect(completion >= 4 && completion <= 5 && field(body, "choices", 0, "finish_reason") === "stop", "4 tokens, then the stop token: finish_reason stop", exchange);
      expect(!String(field(body, "choices", 0, "text")).includes(stopText), `the stop token's text ${JSON.stringify(stopText)} is not in the text`, exchange);
    },
  },
  {
    id: "vllm.ignore-eos",
    group: "vllm",
    description: "ignore_eos: a chat answer to 'reply with one word' runs to max_tokens (finish_reason length)",
    doc,
    async run(context) {
      for (const seed of [1, 2, 3]) {
        const exchange = await context.client.post("/chat/completions", chatBody(context, { messages: [{ role: "user", content: "Reply with one word: yes or no?" }], ignore_eos: true, max_tokens: 32, temperature: 1, seed }));
        const body = accepted(exchange);
        expect(field(body, "choices", 0, "finish_reason") === "length" && field(body, "usage", "completion_tokens") === 32, "finish_reason length after all 32 tokens", exchange);
      }
    },
  },
  {
    id: "vllm.bad-words",
    group: "vllm",
    description: "bad_words: the greedy first word is never generated",
    doc,
    async run(context) {
      const reference = await referenceChat(context);
      const first = reference.tokens?.[0];
      if (first === undefined || first.trim() === "" || first.includes("\ufffd")) throw new ProbeSkipped(`the first greedy token ${JSON.stringify(first)} is not a word`);
      const { exchange, tokens } = await chatTokens(context, { max_tokens: 24, bad_words: [first.trim()] });
      expect(tokens.length > 0 && !tokens.some((token) => token.trim() === first.trim()), `${JSON.stringify(first.trim())} is never generated`, exchange, tokens);
    },
  },
  {
    id: "vllm.allowed-token-ids",
    group: "vllm",
    description: "allowed_token_ids: [a, b] makes every token one of the two",
    doc,
    async run(context) {
      const allowed = [await forcedTokenText(context, forcedIds[0]), await forcedTokenText(context, forcedIds[1])];
      const { exchange, tokens } = await chatTokens(context, { max_tokens: 8, temperature: 1, seed: 3, allowed_token_ids: [...forcedIds] });
      expect(tokens.length > 0 && tokens.every((token) => allowed.includes(token)), `every token is ${JSON.stringify(allowed[0])} or ${JSON.stringify(allowed[1])}`, exchange, tokens);
    },
  },
  {
    id: "vllm.prompt-logprobs",
    group: "vllm",
    description: "prompt_logprobs: 1 gives one entry per prompt token, null first, then {token_id: {logprob, ...}}",
    doc,
    async run(context) {
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 1, prompt_logprobs: 1 }));
      const body = accepted(exchange);
      const entries = field(body, "choices", 0, "prompt_logprobs");
      expect(Array.isArray(entries) && entries.length === field(body, "usage", "prompt_tokens"), "choices[0].prompt_logprobs has one entry per prompt token", exchange);
      expect(entries[0] === null, "the first entry is null (nothing predicts the first token)", exchange, entries[0]);
      for (const entry of entries.slice(1)) {
        const values = Object.values((entry ?? {}) as Record<string, unknown>);
        expect(values.length >= 1 && values.every((value) => typeof field(value, "logprob") === "number" && (field(value, "logprob") as number) <= 0), "later entries map token ids to {logprob <= 0}", exchange, entry);
      }
    },
  },
  {
    id: "vllm.echo",
    group: "vllm",
    description: "completions echo: the text is the prompt followed by the greedy completion",
    doc: "https://platform.openai.com/docs/api-reference/completions/create#completions-create-echo",
    async run(context) {
      const reference = await referenceCompletion(context);
      needLength(reference.text, 1);
      const exchange = await context.client.post("/completions", completionBody(context, { max_tokens: 24, echo: true }));
      const text = field(accepted(exchange), "choices", 0, "text");
      expect(text === referencePrompt + reference.text, "prompt + completion", exchange, { got: text, expected: referencePrompt + reference.text });
    },
  },
];
