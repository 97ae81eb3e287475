#!/usr/bin/env node
// Sends malformed and oddly combined requests to a running pagoda and reports
// every 5xx (and a server that stops answering): a client's mistake must be a
// 4xx, never a 500. Usage (against the built-in model):
//   npm start -- --port 8013 &
//   node scripts/fuzz-requests.mjs [--base-url http://127.0.0.1:8013] [--model pagoda-builtin] [--rounds 3000] [--seed 1]
// Two passes: each known field of each route set to values of every JSON type,
// then seeded random mutations of rich valid requests (tools, schemas,
// logprobs, n, streaming). Findings are printed with the request body.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "base-url": { type: "string", default: "http://127.0.0.1:8013" },
    model: { type: "string", default: "pagoda-builtin" },
    rounds: { type: "string", default: "3000" },
    seed: { type: "string", default: "1" },
  },
});
const base = values["base-url"];
const model = values.model;

let seed = Number(values.seed) >>> 0 || 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(random() * list.length)];

const oddValues = [null, true, false, 0, -1, 1.5, 1e308, -1e20, 2 ** 53, "", "x", "\u0000", "😀", "\ud800", [], [1], ["a"], [[]], [{}], [null], [-1], {}, { a: 1 }, { type: "x" }, "9".repeat(400), "<|im_start|>", "root ::= x", "(a", "\\"];

const chatFields = ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "stream", "stream_options", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed", "user", "top_k", "min_p", "repetition_penalty", "min_tokens", "ignore_eos", "stop_token_ids", "include_stop_str_in_output", "skip_special_tokens", "prompt_logprobs", "allowed_token_ids", "bad_words", "truncate_prompt_tokens", "add_generation_prompt", "continue_final_message", "add_special_tokens", "chat_template_kwargs", "echo", "return_tokens_as_token_ids", "request_id", "priority", "response_format", "structured_outputs", "guided_json", "guided_regex", "guided_choice", "guided_grammar", "tools", "tool_choice", "parallel_tool_calls", "best_of", "use_beam_search", "functions", "suffix"];

const richRequests = [
  ["/v1/chat/completions", { model, max_tokens: 3, messages: [{ role: "system", content: "s" }, { role: "user", content: [{ type: "text", text: "hi" }] }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] }, { role: "tool", tool_call_id: "c1", content: "r" }], tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 9 }, b: { type: "string", pattern: "^[a-z]+$" }, c: { anyOf: [{ type: "null" }, { $ref: "#/$defs/x" }] } }, required: ["a"], $defs: { x: { type: "array", items: { enum: [1, "two"] }, maxItems: 3 } } } } }], tool_choice: "required", logprobs: true, top_logprobs: 2, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }],
  ["/v1/chat/completions", { model, max_tokens: 4, n: 2, messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "n", strict: true, schema: { type: "object", properties: { d: { type: "string", format: "date-time" }, t: { type: ["integer", "null"] }, p: { type: "array", prefixItems: [{ const: 1 }], items: false } }, additionalProperties: false } } }, seed: 3, logit_bias: { 10: 5 }, stop: ["a", "b"], top_k: 5, min_p: 0.1, repetition_penalty: 1.2, bad_words: ["x"], prompt_logprobs: 1, echo: true }],
  ["/v1/completions", { model, prompt: [[1, 2, 3], [4, 5]], max_tokens: 3, logprobs: 2, echo: true, n: 2, stream: true, structured_outputs: { regex: "[a-c]{1,3}" }, truncate_prompt_tokens: 2, stop_token_ids: [3], include_stop_str_in_output: true, return_tokens_as_token_ids: true }],
  ["/v1/completions", { model, prompt: "abc", max_tokens: 3, guided_choice: ["yes", "no"], priority: 0, ignore_eos: true, skip_special_tokens: false, allowed_token_ids: [1, 2, 3] }],
  ["/v1/embeddings", { model, input: ["a", "b"], encoding_format: "base64", dimensions: 4, truncate_prompt_tokens: 3 }],
  ["/tokenize", { model, messages: [{ role: "user", content: "x" }], add_generation_prompt: true, return_token_strs: true, chat_template_kwargs: { enable_thinking: false } }],
  ["/detokenize", { model, tokens: [1, 2, 3] }],
];

let sent = 0;
let findings = 0;
async function send(path, body) {
  sent++;
  let response;
  let text;
  try {
    response = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    text = await response.text();
  } catch (error) {
    findings++;
    console.log(`no answer: ${path} ${JSON.stringify(body)}: ${error.message}`);
    return;
  }
  if (response.status >= 500) {
    findings++;
    console.log(`${response.status} ${path} ${JSON.stringify(body)}\n  ${text.slice(0, 300)}`);
  }
}

function mutate(value, depth = 0) {
  if (random() < 0.25 || depth > 6) return pick(oddValues);
  if (Array.isArray(value)) {
    const copy = value.map((item) => (random() < 0.3 ? mutate(item, depth + 1) : item));
    if (random() < 0.1) copy.push(pick(oddValues));
    if (random() < 0.1) copy.splice(0, 1);
    return copy;
  }
  if (value !== null && typeof value === "object") {
    const copy = { ...value };
    for (const key of Object.keys(copy)) if (random() < 0.3) copy[key] = mutate(copy[key], depth + 1);
    if (random() < 0.1) delete copy[pick(Object.keys(copy))];
    return copy;
  }
  return pick(oddValues);
}

const chat = { model, messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
const completion = { model, prompt: "hi", max_tokens: 2 };
for (const field of chatFields) {
  for (const value of oddValues) {
    await send("/v1/chat/completions", { ...chat, [field]: value });
    await send("/v1/completions", { ...completion, [field]: value });
  }
}
for (const value of oddValues) {
  await send("/v1/embeddings", { model, input: value });
  await send("/tokenize", { model, prompt: value });
  await send("/detokenize", { model, tokens: value });
  for (const role of ["user", "assistant", "tool", value]) {
    for (const field of ["content", "name", "tool_calls", "tool_call_id"]) await send("/v1/chat/completions", { ...chat, messages: [{ role, content: "hi", tool_call_id: "a", [field]: value }] });
  }
}
for (const body of [null, [], "x", 1, true]) await send("/v1/chat/completions", body);

for (let round = 0; round < Number(values.rounds); round++) {
  const [path, valid] = pick(richRequests);
  const body = mutate(valid);
  const isObject = body !== null && typeof body === "object" && !Array.isArray(body);
  if (isObject && random() < 0.7) body.model = model;
  if (isObject && path !== "/tokenize" && typeof body.max_tokens !== "number") body.max_tokens = 3;
  await send(path, body);
}

const health = await fetch(`${base}/health`).then((response) => response.status, () => "no answer");
console.log(`${sent} requests, ${findings} findings; /health: ${health}`);
process.exit(findings === 0 ? 0 : 1);
