/**
 * logit_bias (+100 forces a token, -100 bans it, checked by token id) and
 * presence/frequency penalties, checked against the raw logprobs: greedy
 * decoding must pick the best alternative after subtracting the penalty.
 */
import { accepted, expect, field, ProbeSkipped, type Probe, type ProbeContext } from "../probe.js";
import { chatBody, chatTokens, forcedIds, forcedTokenText, openaiDocs, referenceChat, serverTokenizer } from "./shared.js";

type PenaltyKind = "presence_penalty" | "frequency_penalty";

/** Greedy with a penalty of 2: at each position, does the chosen token win after penalties (output tokens so far)? */
async function checkPenalty(context: ProbeContext, kind: PenaltyKind): Promise<void> {
  const penalty = 2;
  const exchange = await context.client.post("/chat/completions", chatBody(context, { [kind]: penalty, logprobs: true, top_logprobs: 20, max_tokens: 24 }));
  const content = field(accepted(exchange), "choices", 0, "logprobs", "content");
  expect(Array.isArray(content) && content.length > 0, "logprobs to check the penalty against (choices[0].logprobs.content)", exchange);
  const counts = new Map<string, number>();
  const penaltyOf = (token: string) => {
    const count = counts.get(token) ?? 0;
    return kind === "frequency_penalty" ? penalty * count : count > 0 ? penalty : 0;
  };
  content.forEach((entry, position) => {
    const alternatives = (field(entry, "top_logprobs") as unknown[] | undefined ?? []).map((alternative) => ({ token: String(field(alternative, "token")), logprob: field(alternative, "logprob") as number }));
    // When every listed alternative is penalized, the winner may be one not listed: nothing to check here.
    if (alternatives.some((alternative) => penaltyOf(alternative.token) === 0)) {
      const best = Math.max(...alternatives.map((alternative) => alternative.logprob - penaltyOf(alternative.token)));
      const token = String(field(entry, "token"));
      const chosen = (field(entry, "logprob") as number) - penaltyOf(token);
      expect(chosen >= best - 1e-3, `greedy under ${kind} ${penalty} picks the best alternative after the penalty (token ${position}: ${JSON.stringify(token)}, raw logprob minus ${penaltyOf(token)})`, exchange, { chosen: entry, seenBefore: Object.fromEntries(counts) });
    }
    const token = String(field(entry, "token"));
    counts.set(token, (counts.get(token) ?? 0) + 1);
  });
}

export const biasProbes: Probe[] = [
  {
    id: "logit-bias.force",
    group: "bias",
    description: "logit_bias +100 on a token id makes every greedy token that token (two ids, two different texts)",
    doc: openaiDocs.completions("logit_bias"),
    async run(context) {
      const [a, b] = [await forcedTokenText(context, forcedIds[0]), await forcedTokenText(context, forcedIds[1])];
      expect(a !== b, `tokens ${forcedIds[0]} and ${forcedIds[1]} force different texts`, undefined, { [forcedIds[0]]: a, [forcedIds[1]]: b });
    },
  },
  {
    id: "logit-bias.ban",
    group: "bias",
    description: "logit_bias -100 on the greedy first token's id: that token never appears",
    doc: openaiDocs.completions("logit_bias"),
    async run(context) {
      const reference = await referenceChat(context);
      if (!reference.tokens || reference.tokens.length === 0) throw new ProbeSkipped("no token texts in the reference answer's logprobs");
      const tokenizer = await serverTokenizer(context);
      const first = reference.tokens[0];
      const ids = await tokenizer.tokenize(first);
      if (ids.length !== 1) throw new ProbeSkipped(`the first greedy token ${JSON.stringify(first)} re-tokenizes to ${ids.length} tokens`);
      const { exchange, tokens } = await chatTokens(context, { max_tokens: 24, logit_bias: { [ids[0]]: -100 } });
      expect(tokens.length > 0 && !tokens.includes(first), `token ${ids[0]} (${JSON.stringify(first)}) is never generated`, exchange, tokens);
    },
  },
  {
    id: "penalty.presence",
    group: "bias",
    description: "presence_penalty 2: greedy picks the best raw logprob minus 2 for tokens already generated",
    doc: openaiDocs.chat("presence_penalty"),
    run: (context) => checkPenalty(context, "presence_penalty"),
  },
  {
    id: "penalty.frequency",
    group: "bias",
    description: "frequency_penalty 2: greedy picks the best raw logprob minus 2 x the times a token was generated",
    doc: openaiDocs.chat("frequency_penalty"),
    run: (context) => checkPenalty(context, "frequency_penalty"),
  },
];
