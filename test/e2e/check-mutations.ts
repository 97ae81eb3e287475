/**
 * One wrongness per `pagoda check` probe, applied by the proxy in
 * check-proxy.ts: each is a way real servers get the API wrong, and each
 * must turn its probe into a FAIL (a probe that cannot fail is a defect).
 */
import type { Json, Mutation } from "./check-proxy.js";

const onRequest = (change: (body: Json, path: string) => void): Mutation => ({
  request: (body, path) => {
    if (body && typeof body === "object") change(body, path);
    return body;
  },
});
/** The server ignores `field` (as if it did not know it). */
const ignores = (...fields: string[]): Mutation => onRequest((body) => fields.forEach((name) => delete body[name]));
const onJson = (change: (body: Json, request: Json, path: string) => void, status?: (status: number) => number): Mutation => ({
  response: (answer, path, request) => {
    if (answer.status < 300 && answer.body && typeof answer.body === "object") change(answer.body, request ?? {}, path);
    return { status: status ? status(answer.status) : answer.status, body: answer.body };
  },
});
const onChunks = (change: (events: Json[], request: Json) => Json[]): Mutation => ({ events: (events, _path, request) => change(events, request ?? {}) });
const chunks = (events: Json[]) => events.filter((event) => typeof event === "object");
const idsAsText = (prompt: Json): Json => (Array.isArray(prompt) && typeof prompt[0] === "number" ? prompt.join(" ") : Array.isArray(prompt) ? prompt.map(idsAsText) : prompt);

export const mutations: Record<string, Mutation> = {
  "models.list": onJson((body) => body.data?.forEach((model: Json) => delete model.owned_by)),
  "chat.basic": onJson((body) => (body.object = "chat.completions")),
  "chat.max-completion-tokens": onRequest((body) => {
    if (body.max_completion_tokens !== undefined) body.max_tokens = body.max_completion_tokens + 3;
    delete body.max_completion_tokens;
  }),
  "completions.string-prompt": onJson((body) => body.choices?.forEach((choice: Json) => (choice.finish_reason = null))),
  "completions.list-prompt": onRequest((body) => Array.isArray(body.prompt) && typeof body.prompt[0] === "string" && (body.prompt = body.prompt.join(" "))),
  "completions.token-prompt": onRequest((body) => (body.prompt = idsAsText(body.prompt))),
  "completions.token-prompts": onRequest((body) => (body.prompt = idsAsText(body.prompt))),
  "stream.role-first": onChunks((events) => events.map((event) => (event.choices?.forEach((choice: Json) => delete choice.delta?.role), event))),
  "stream.one-id": onChunks((events) => events.map((event, i) => (typeof event === "object" ? { ...event, id: `chatcmpl-${i}` } : event))),
  "stream.finish-reason": onChunks((events) => events.map((event) => (event.choices?.forEach((choice: Json) => (choice.finish_reason = "stop")), event))),
  "stream.done": onChunks((events) => chunks(events)),
  "stream.same-text": onRequest((body) => body.stream && Object.assign(body, { temperature: 1, seed: 99 })),
  "stream.include-usage": onChunks((events) => events.filter((event) => event === "[DONE]" || event.choices?.length > 0)),
  "stream.usage-only-when-asked": onRequest((body) => body.stream && (body.stream_options = { include_usage: true })),
  "stream.continuous-usage": onRequest((body) => body.stream_options && delete body.stream_options.continuous_usage_stats),
  "stream.completions": onChunks((events) => events.map((event) => (typeof event === "object" ? { ...event, object: "completion.chunk" } : event))),
  "n.choices": ignores("n"),
  "n.stream": ignores("n"),
  "stop.string": ignores("stop"),
  "stop.list": onRequest((body) => Array.isArray(body.stop) && (body.stop = body.stop[0])),
  "stop.across-chunks": onRequest((body) => body.stream && delete body.stop),
  "seed.reproducible": ignores("seed"),
  "max-tokens.length": onRequest((body, path) => path === "/completions" && delete body.max_tokens),
  "logprobs.chat-shape": onJson((body) => body.choices?.[0]?.logprobs?.content?.forEach((entry: Json) => delete entry.bytes)),
  "logprobs.completions-shape": onJson((body) => body.choices?.[0]?.logprobs && delete body.choices[0].logprobs.text_offset),
  "logprobs.greedy-is-top": onJson((body) => body.choices?.[0]?.logprobs?.content?.forEach((entry: Json) => (entry.logprob -= 1))),
  // Logprobs after temperature scaling (not the model's distribution).
  "logprobs.raw-distribution": onJson((body, request) =>
    body.choices?.[0]?.logprobs?.content?.forEach((entry: Json) => entry.top_logprobs.forEach((top: Json) => (top.logprob /= request.temperature || 1))),
  ),
  "logit-bias.force": ignores("logit_bias"),
  "logit-bias.ban": ignores("logit_bias"),
  "penalty.presence": ignores("presence_penalty"),
  "penalty.frequency": ignores("frequency_penalty"),
  "vllm.top-k": ignores("top_k"),
  "vllm.min-p": ignores("min_p"),
  "vllm.stop-token-ids": ignores("stop_token_ids"),
  "vllm.min-tokens": ignores("min_tokens"),
  // A server that still stops at EOS: the tiny model never draws EOS, so its early stop is simulated.
  "vllm.ignore-eos": onJson((body, request) => {
    if (!request.ignore_eos) return;
    body.choices[0].finish_reason = "stop";
    body.usage.completion_tokens = 3;
  }),
  "vllm.bad-words": ignores("bad_words"),
  "vllm.allowed-token-ids": ignores("allowed_token_ids"),
  "vllm.prompt-logprobs": ignores("prompt_logprobs"),
  "vllm.echo": ignores("echo"),
  "structured.json-object": ignores("response_format"),
  "structured.json-schema": ignores("response_format"),
  "structured.regex": ignores("structured_outputs"),
  "structured.choice": ignores("structured_outputs"),
  "structured.grammar": ignores("structured_outputs"),
  "tools.none": onRequest((body) => body.tool_choice === "none" && (body.tool_choice = { type: "function", function: { name: "get_time" } })),
  "tools.auto": onJson((body) => body.choices?.forEach((choice: Json) => (choice.finish_reason = "tool_calls"))),
  "tools.required": onRequest((body) => body.tool_choice === "required" && (body.tool_choice = "none")),
  "tools.named": onRequest((body) => body.tool_choice?.function && (body.tool_choice = { type: "function", function: { name: "get_weather" } })),
  "tools.stream-deltas": onChunks((events) => events.map((event) => (event.choices?.forEach((choice: Json) => choice.delta?.tool_calls?.forEach((call: Json) => delete call.id)), event))),
  // Ignoring parallel_tool_calls: false; the random model's calls are simulated by repeating the first.
  "tools.parallel-false": onJson((body, request) => {
    const calls = body.choices?.[0]?.message?.tool_calls;
    if (request.parallel_tool_calls === false && calls?.length === 1) calls.push({ ...calls[0], id: `${calls[0].id}b` });
  }),
  "embeddings.float": onJson((body) => body.data?.forEach((entry: Json) => delete entry.index)),
  "embeddings.base64": onJson((body, request) => {
    if (request.encoding_format !== "base64") return;
    body.data.forEach((entry: Json) => (entry.embedding = Buffer.from(entry.embedding, "base64").reverse().toString("base64")));
  }),
  "embeddings.dimensions": ignores("dimensions"),
  "responses.create": onJson((body, _request, path) => path === "/responses" && (body.usage.total_tokens += 1)),
  "responses.stream": onChunks((events) => events.map((event) => ({ ...event, sequence_number: 0 }))),
  "errors.bad-type": onRequest((body) => typeof body.temperature === "string" && delete body.temperature),
  "errors.out-of-range": onRequest((body) => typeof body.temperature === "number" && (body.temperature = Math.max(0, body.temperature))),
  // A crash: 500 instead of 400.
  "errors.missing-field": { response: (answer) => ({ status: answer.status === 400 ? 500 : answer.status, body: answer.body }) },
  "errors.unknown-model": onRequest((body) => body.model === "no-such-model-pagoda-check" && (body.model = "tiny")),
  "errors.context-overflow": onRequest((body) => body.messages?.forEach((message: Json) => (message.content = String(message.content).slice(0, 100)))),
  "errors.bad-json": { response: (answer) => (answer.status === 400 ? { status: 400, body: { detail: "bad request" } } : answer) },
  "errors.content-type": { headers: (headers) => ({ ...headers, "content-type": "application/json" }) },
  "errors.top-logprobs": onRequest((body) => typeof body.top_logprobs === "number" && (body.top_logprobs = Math.min(20, body.top_logprobs))),
  "errors.unknown-route": { response: (answer, path) => (path === "/no-such-route" ? { status: 200, body: {} } : answer) },
  "auth.no-key": { headers: (headers) => ({ ...headers, authorization: "Bearer sk-check" }) },
  "auth.wrong-key": { headers: (headers) => ({ ...headers, authorization: "Bearer sk-check" }) },
};
