/**
 * The frameworks built on the OpenAI API, unchanged, against the real server:
 * the Vercel AI SDK (its OpenAI provider's default Responses model and chat
 * model, and the openai-compatible provider) and LangChain's ChatOpenAI. Text, streams,
 * usage, schema-constrained objects and tool calls with a tool-result round
 * trip, each checked for what the framework hands its user. The tiny model
 * writes random text, so anything structured comes from constrained decoding.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { tool as langchainTool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { generateObject, generateText, stepCountIs, streamText, tool, type ModelMessage } from "ai";
import { z } from "zod";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { useServer, type TestServer } from "./server-harness.js";

const apiKey = "sk-frameworks";
let server: TestServer;
let model: string;
useServer(
  { preset: "tiny-qwen2", apiKey, args: ["--api-key", apiKey, "--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja")] },
  (served) => ({ server, model } = served),
);

// Lengths come from patterns over ASCII letters: zod counts UTF-16 units and
// JSON Schema's maxLength counts characters, which differ for the astral
// characters a random model writes.
const person = z.object({ name: z.string().regex(/^[A-Za-z ]{1,10}$/), age: z.number().int().min(0).max(120), role: z.enum(["admin", "user"]) });
const cityArgument = z.object({ city: z.string().regex(/^[A-Za-z]{1,8}$/) });

function vercelModels() {
  return {
    "@ai-sdk/openai chat": createOpenAI({ baseURL: server.baseURL, apiKey }).chat(model),
    "@ai-sdk/openai-compatible": createOpenAICompatible({ name: "pagoda", baseURL: server.baseURL, apiKey, includeUsage: true, supportsStructuredOutputs: true }).chatModel(model),
  };
}

function langchainChat(options: { maxTokens: number; seed?: number }): ChatOpenAI {
  return new ChatOpenAI({
    model,
    apiKey,
    configuration: { baseURL: server.baseURL },
    maxTokens: options.maxTokens,
    maxRetries: 0,
    ...(options.seed === undefined ? {} : { modelKwargs: { seed: options.seed } }),
  });
}

/** Random weights may draw EOS early (and CPU kernels differ between hosts), so a seeded run may stop short. */
function assertFinishMatchesUsage(finishReason: unknown, outputTokens: number | undefined, maxTokens: number, label: string): void {
  assert.ok(finishReason === "length" || finishReason === "stop", `${label}: finish reason ${String(finishReason)}`);
  if (finishReason === "length") assert.equal(outputTokens, maxTokens, label);
  else assert.ok(outputTokens !== undefined && outputTokens >= 1 && outputTokens <= maxTokens, `${label}: ${outputTokens} tokens`);
}

test("Vercel AI SDK: generateText and streamText give the same seeded text, with usage and finish reason", async () => {
  for (const [provider, languageModel] of Object.entries(vercelModels())) {
    const request = { model: languageModel, prompt: "Tell me a story.", maxOutputTokens: 12, temperature: 0.8, seed: 5, maxRetries: 0 };
    const generated = await generateText(request);
    assertFinishMatchesUsage(generated.finishReason, generated.usage.outputTokens, 12, provider);
    assert.ok(generated.usage.inputTokens! > 0, provider);

    const streamed = streamText(request);
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    assert.equal(text, generated.text, provider);
    assert.equal(await streamed.finishReason, generated.finishReason, provider);
    assert.equal((await streamed.usage).outputTokens, generated.usage.outputTokens, provider);
  }
});

test("Vercel AI SDK: generateObject returns an object its zod schema accepts", async () => {
  for (const [provider, languageModel] of Object.entries(vercelModels())) {
    for (const seed of [1, 2, 3]) {
      const { object } = await generateObject({ model: languageModel, schema: person, prompt: "A person.", temperature: 1, seed, maxOutputTokens: 200, maxRetries: 0 });
      assert.ok(person.safeParse(object).success, `${provider}: ${JSON.stringify(object)}`);
    }
  }
});

test("Vercel AI SDK: a forced tool is called with valid input, executed, and its result goes back for the next step", async () => {
  for (const [provider, languageModel] of Object.entries(vercelModels())) {
    const executed: string[] = [];
    const tools = {
      weather: tool({ description: "Weather in a city.", inputSchema: cityArgument, execute: async ({ city }) => (executed.push(city), { city, celsius: 21 }) }),
    };
    const result = await generateText({
      model: languageModel,
      tools,
      toolChoice: { type: "tool", toolName: "weather" },
      prompt: "Weather in Paris?",
      maxOutputTokens: 60,
      maxRetries: 0,
      // Step 2 sends the call and its result back through the chat template; with
      // the tool no longer forced, the model answers (random) text.
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? {} : { toolChoice: "none" }),
      stopWhen: stepCountIs(2),
    });
    const [first, second] = result.steps;
    assert.equal(first.toolCalls.length, 1, provider);
    assert.equal(first.toolCalls[0].toolName, "weather", provider);
    assert.ok(cityArgument.safeParse(first.toolCalls[0].input).success, provider);
    assert.deepEqual(executed, [(first.toolCalls[0].input as { city: string }).city], provider);
    assert.equal(first.toolResults.length, 1, provider);
    assert.ok(second, `${provider}: no second step`);
    assert.equal(second.toolCalls.length, 0, provider);
    assert.ok(second.usage.inputTokens! > first.usage.inputTokens!, `${provider}: the tool result is part of the second prompt`);
  }
});

test("LangChain ChatOpenAI: invoke and stream give the same seeded text, with usage metadata", async () => {
  const chat = langchainChat({ maxTokens: 10, seed: 9 });
  const message = await chat.invoke([new HumanMessage("Hello")]);
  assert.equal(typeof message.content, "string");
  assertFinishMatchesUsage(message.response_metadata.finish_reason, message.usage_metadata?.output_tokens, 10, "langchain");

  let text = "";
  let usage: typeof message.usage_metadata;
  for await (const chunk of await chat.stream([new HumanMessage("Hello")])) {
    text += chunk.content as string;
    usage = chunk.usage_metadata ?? usage;
  }
  assert.equal(text, message.content);
  assert.equal(usage?.output_tokens, message.usage_metadata?.output_tokens);
});

test("LangChain ChatOpenAI: withStructuredOutput (json_schema and function calling) parses into the schema", async () => {
  for (const method of ["jsonSchema", "functionCalling"] as const) {
    const structured = langchainChat({ maxTokens: 200, seed: 4 }).withStructuredOutput(person, { method });
    const value = await structured.invoke("A person.");
    assert.ok(person.safeParse(value).success, `${method}: ${JSON.stringify(value)}`);
  }
});

test("LangChain ChatOpenAI: bindTools with a forced tool, the tool run, and its ToolMessage back to the model", async () => {
  const weather = langchainTool(async ({ city }) => `21 degrees in ${city}`, { name: "weather", description: "Weather in a city.", schema: cityArgument });
  const messages: BaseMessage[] = [new HumanMessage("Weather in Paris?")];
  const call = await langchainChat({ maxTokens: 60 }).bindTools([weather], { tool_choice: "weather" }).invoke(messages);
  assert.equal(call.tool_calls?.length, 1);
  const [toolCall] = call.tool_calls!;
  assert.equal(toolCall.name, "weather");
  assert.ok(cityArgument.safeParse(toolCall.args).success, JSON.stringify(toolCall.args));
  messages.push(call, new ToolMessage({ content: await weather.invoke(toolCall.args as { city: string }), tool_call_id: toolCall.id! }));

  const answer = await langchainChat({ maxTokens: 5 }).bindTools([weather]).invoke(messages);
  // Unseeded on random weights: EOS may come before the fifth token.
  const outputTokens = answer.usage_metadata?.output_tokens ?? 0;
  assert.ok(outputTokens >= 1 && outputTokens <= 5, `output_tokens ${outputTokens}`);
  assert.ok(answer.usage_metadata!.input_tokens > call.usage_metadata!.input_tokens, "the tool result is part of the second prompt");
});

// The AI SDK's default provider model, `openai(model)`, calls /v1/responses
// with `store` left at its default (true): earlier turns go back as
// `item_reference` ids the server resolves from its store. Greedy sampling
// (temperature 0) makes two runs of one prompt equal (the Responses API has no seed).
/** The provider as its docs show it: `createOpenAI({ baseURL })` and the default model function. */
const openaiModel = () => createOpenAI({ baseURL: server.baseURL, apiKey })(model);

test("AI SDK default provider: generateText and streamText give the same greedy text, with usage and finish reason", async () => {
  const request = { model: openaiModel(), prompt: "Tell me a story.", maxOutputTokens: 12, temperature: 0, maxRetries: 0 };
  const generated = await generateText(request);
  assert.ok(generated.finishReason === "length" || generated.finishReason === "stop", generated.finishReason);
  assert.ok(generated.usage.inputTokens! > 0);
  assert.ok(generated.usage.outputTokens! >= 1 && generated.usage.outputTokens! <= 12);
  assert.match(String(generated.providerMetadata?.openai?.responseId), /^resp_/);

  const streamed = streamText(request);
  let text = "";
  for await (const delta of streamed.textStream) text += delta;
  assert.equal(text, generated.text);
  assert.equal(await streamed.finishReason, generated.finishReason);
  assert.equal((await streamed.usage).outputTokens, generated.usage.outputTokens);
});

test("AI SDK default provider: a multi-turn chat built from response.messages (earlier turns sent as item references)", async () => {
  const messages: ModelMessage[] = [{ role: "user", content: "Hello!" }];
  const first = await generateText({ model: openaiModel(), messages, maxOutputTokens: 6, temperature: 0, maxRetries: 0 });
  messages.push(...first.response.messages, { role: "user", content: "And then?" });
  const second = await generateText({ model: openaiModel(), messages, maxOutputTokens: 6, temperature: 0, maxRetries: 0 });
  assert.ok(second.usage.inputTokens! > first.usage.inputTokens! + first.usage.outputTokens! - 1, JSON.stringify([first.usage, second.usage]));
  // The first answer went back as an item_reference: the second response's input items hold that very item.
  const client = server.client({ apiKey });
  const firstResponse = await client.responses.retrieve(String(first.providerMetadata!.openai!.responseId));
  const secondItems = await client.responses.inputItems.list(String(second.providerMetadata!.openai!.responseId), { order: "asc" });
  assert.ok(secondItems.data.some((item) => item.id === firstResponse.output[0].id), JSON.stringify(secondItems.data));
  assert.ok(second.usage.cachedInputTokens! > 0, JSON.stringify(second.usage));
});

test("AI SDK default provider: generateObject returns an object its zod schema accepts", async () => {
  for (const temperature of [0, 1]) {
    const { object } = await generateObject({ model: openaiModel(), schema: person, prompt: "A person.", temperature, maxOutputTokens: 200, maxRetries: 0 });
    assert.ok(person.safeParse(object).success, JSON.stringify(object));
  }
});

test("AI SDK default provider: a tool loop with stopWhen, each call executed and its result sent back", async () => {
  const executed: string[] = [];
  const tools = {
    weather: tool({ description: "Weather in a city.", inputSchema: cityArgument, execute: async ({ city }) => (executed.push(city), { city, celsius: 21 }) }),
  };
  const result = await generateText({
    model: openaiModel(),
    tools,
    toolChoice: { type: "tool", toolName: "weather" },
    prompt: "Weather in Paris, then in Rome?",
    maxOutputTokens: 60,
    maxRetries: 0,
    // The forced tool is called on every step: the loop ends where stopWhen says.
    stopWhen: stepCountIs(3),
  });
  assert.equal(result.steps.length, 3);
  for (const [i, step] of result.steps.entries()) {
    assert.equal(step.toolCalls.length, 1, `step ${i}`);
    assert.ok(cityArgument.safeParse(step.toolCalls[0].input).success, JSON.stringify(step.toolCalls[0].input));
    assert.equal(step.toolResults.length, 1, `step ${i}`);
  }
  assert.equal(executed.length, 3);
  const [first, second, third] = result.steps;
  assert.ok(second.usage.inputTokens! > first.usage.inputTokens!, "the first call and its result are part of the second prompt");
  assert.ok(third.usage.inputTokens! > second.usage.inputTokens!);
});
