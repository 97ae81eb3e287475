/**
 * The Vercel AI SDK's default OpenAI provider, unchanged: `openai(model)`
 * calls /v1/responses with `store` left at its default (true), so earlier
 * turns go back as `item_reference` ids the server resolves from its store.
 * Greedy sampling (temperature 0) makes two runs of the same prompt equal;
 * structure comes from constrained decoding (the model has random weights).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, stepCountIs, streamText, tool, type ModelMessage } from "ai";
import { z } from "zod";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { useServer, type TestServer } from "./server-harness.js";

const apiKey = "sk-responses";
let server: TestServer;
let model: string;
useServer(
  { preset: "tiny-qwen2", apiKey, args: ["--api-key", apiKey, "--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja")] },
  (served) => ({ server, model } = served),
);

const person = z.object({ name: z.string().regex(/^[A-Za-z ]{1,10}$/), age: z.number().int().min(0).max(120), role: z.enum(["admin", "user"]) });
const cityArgument = z.object({ city: z.string().regex(/^[A-Za-z]{1,8}$/) });

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
