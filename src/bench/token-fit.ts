/**
 * `--input-len` in tokens, as `vllm bench serve` counts it: the generated
 * word prompts are cut to their length in the server's own tokens, through
 * its `/tokenize` and `/detokenize` (vLLM's and pagoda's `{prompt}` /
 * `{tokens}`, or llama-server's `{content}`). A server without them keeps the
 * word prompts, and the run says so.
 */
import { apiKeyHeaders } from "./client.js";
import { countWords, type BenchPrompt } from "./datasets.js";

export interface TextTokenizer {
  /** Which API answered, for the log line. */
  readonly flavour: "vllm" | "llama.cpp";
  tokenize(text: string): Promise<number[]>;
  detokenize(tokens: number[]): Promise<string>;
}

type Post = (path: string, body: unknown) => Promise<unknown | null>;

/** The server's tokenizer, or null when it has no /tokenize (OpenAI, most hosted APIs). */
export async function findServerTokenizer(baseUrl: string, model: string, apiKey: string | undefined): Promise<TextTokenizer | null> {
  const root = baseUrl.replace(/\/v1\/?$/, "");
  const post: Post = async (path, body) => {
    const response = await fetch(`${root}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...apiKeyHeaders(apiKey) },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!response?.ok) {
      await response?.body?.cancel();
      return null;
    }
    return response.json().catch(() => null);
  };
  const vllm = tokenizerOf(post, "vllm", (text) => ({ model, prompt: text, add_special_tokens: false }), (tokens) => ({ model, tokens }), "prompt");
  const llamaCpp = tokenizerOf(post, "llama.cpp", (text) => ({ content: text, add_special: false }), (tokens) => ({ tokens }), "content");
  // A server that ignores the field it does not know answers `{"tokens": []}` (llama-server to vLLM's shape): not a tokenizer.
  for (const candidate of [vllm, llamaCpp]) {
    if (await candidate.tokenize("hello").then((tokens) => tokens.length > 0, () => false)) return candidate;
  }
  return null;
}

function tokenizerOf(
  post: Post,
  flavour: TextTokenizer["flavour"],
  tokenizeBody: (text: string) => unknown,
  detokenizeBody: (tokens: number[]) => unknown,
  textField: string,
): TextTokenizer {
  return {
    flavour,
    async tokenize(text) {
      const tokens = ((await post("/tokenize", tokenizeBody(text))) as { tokens?: unknown } | null)?.tokens;
      if (!Array.isArray(tokens) || !tokens.every((token) => typeof token === "number")) throw new Error("no tokens from /tokenize");
      return tokens;
    },
    async detokenize(tokens) {
      const text = ((await post("/detokenize", detokenizeBody(tokens))) as Record<string, unknown> | null)?.[textField];
      if (typeof text !== "string") throw new Error("no text from /detokenize");
      return text;
    },
  };
}

/**
 * `text` made exactly `numTokens` tokens long (as far as a re-tokenization of
 * the cut text allows, as in vLLM): repeated until long enough, then cut.
 */
export async function fitToTokens(tokenizer: TextTokenizer, text: string, numTokens: number): Promise<string> {
  if (numTokens <= 0 || text === "") return text;
  let source = text;
  let tokens = await tokenizer.tokenize(source);
  while (tokens.length < numTokens) {
    source = `${source} ${text}`;
    const longer = await tokenizer.tokenize(source);
    if (longer.length <= tokens.length) throw new Error("the server's /tokenize does not count more tokens for a longer text");
    tokens = longer;
  }
  return tokens.length === numTokens ? source : tokenizer.detokenize(tokens.slice(0, numTokens));
}

/** Each generated prompt (and shared system prompt) cut to as many tokens as it has words; one tokenization per distinct text. */
export async function fitPromptsToTokens(tokenizer: TextTokenizer, prompts: readonly BenchPrompt[]): Promise<BenchPrompt[]> {
  const fitted = new Map<string, Promise<string>>();
  const fit = (text: string) => {
    let pending = fitted.get(text);
    if (!pending) {
      pending = fitToTokens(tokenizer, text, countWords(text));
      fitted.set(text, pending);
    }
    return pending;
  };
  return Promise.all(
    prompts.map(async (prompt) => ({ ...prompt, prompt: await fit(prompt.prompt), ...(prompt.system !== undefined ? { system: await fit(prompt.system) } : {}) })),
  );
}
