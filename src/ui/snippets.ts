/**
 * "Copy as code": one chat request as a curl command, a Python `openai` call
 * and a TypeScript `openai` call. Fields the SDKs do not type (pagoda's and
 * vLLM's extras such as top_k) go through `extra_body` in Python and a cast
 * in TypeScript, as their documentation says.
 */
const openAIParams = new Set([
  "model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "seed",
  "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "response_format", "tools", "tool_choice",
  "parallel_tool_calls", "user",
]);

export interface SnippetInput {
  /** The API's base URL, ending in /v1. */
  baseUrl: string;
  /** Whether the server wants a key: the snippets read it from the environment, never inline. */
  needsKey: boolean;
  body: Record<string, unknown>;
}

export function curlSnippet({ baseUrl, needsKey, body }: SnippetInput): string {
  const json = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
  return [
    `curl ${baseUrl}/chat/completions \\`,
    `  -H "Content-Type: application/json" \\`,
    ...(needsKey ? [`  -H "Authorization: Bearer $OPENAI_API_KEY" \\`] : []),
    ...(body.stream ? ["  -N \\"] : []),
    `  -d '${json}'`,
  ].join("\n");
}

export function pythonSnippet({ baseUrl, needsKey, body }: SnippetInput): string {
  const { standard, extra } = splitExtras(body);
  const args = Object.entries(standard).map(([key, value]) => `    ${key}=${pythonValue(value, 1)},`);
  if (Object.keys(extra).length > 0) args.push(`    extra_body=${pythonValue(extra, 1)},`);
  const lines = [
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${needsKey ? 'os.environ["OPENAI_API_KEY"]' : '"none"'})`,
    "",
    "response = client.chat.completions.create(",
    ...args,
    ")",
    ...(body.stream
      ? ["for chunk in response:", "    if chunk.choices:", '        print(chunk.choices[0].delta.content or "", end="", flush=True)']
      : ["print(response.choices[0].message)"]),
  ];
  return (needsKey ? "import os\n" : "") + lines.join("\n");
}

export function typescriptSnippet({ baseUrl, needsKey, body }: SnippetInput): string {
  const { extra } = splitExtras(body);
  const hasExtras = Object.keys(extra).length > 0;
  const json = indent(JSON.stringify(body, null, 2), 0);
  const cast = hasExtras ? " as OpenAI.ChatCompletionCreateParams" : "";
  return [
    'import OpenAI from "openai";',
    "",
    `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: ${needsKey ? "process.env.OPENAI_API_KEY" : '"none"'} });`,
    "",
    hasExtras ? "// top_k, min_p, ignore_eos...: pagoda (and vLLM) extras the SDK's types do not list." : "",
    `const response = await client.chat.completions.create(${json}${cast});`,
    ...(body.stream
      ? ["for await (const chunk of response) process.stdout.write(chunk.choices[0]?.delta.content ?? \"\");"]
      : ["console.log(response.choices[0].message);"]),
  ]
    .filter((line, index) => line !== "" || index !== 4)
    .join("\n");
}

function splitExtras(body: Record<string, unknown>) {
  const standard: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) (openAIParams.has(key) ? standard : extra)[key] = value;
  return { standard, extra };
}

/** A JSON value as a Python literal (True/False/None), pretty-printed. */
export function pythonValue(value: unknown, depth = 0): string {
  const pad = "    ".repeat(depth + 1);
  const close = "    ".repeat(depth);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "None";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((item) => `${pad}${pythonValue(item, depth + 1)},`).join("\n")}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([key, item]) => `${pad}${JSON.stringify(key)}: ${pythonValue(item, depth + 1)},`).join("\n")}\n${close}}`;
}

function indent(text: string, depth: number): string {
  return text.replace(/\n/g, `\n${"  ".repeat(depth)}`);
}
