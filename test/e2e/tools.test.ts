/**
 * Tool calling against the real server on a tiny Qwen2-vocab model: tools and
 * multi-step agent messages through each family's real chat template; named
 * and required tool choices grammar-constrained to the tools' schemas, valid
 * in stream and non-stream modes; bad tool choices are 400s and the server
 * keeps serving. (Auto-mode parsing is unit-tested on canned outputs: a
 * random tiny model never writes tool-call syntax.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ajv } from "ajv";
import OpenAI from "openai";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { startServer, type TestServer } from "./server-harness.js";

const weatherParameters = {
  type: "object",
  properties: {
    city: { type: "string", maxLength: 8 },
    days: { type: "integer", minimum: 1, maximum: 7 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
  },
  required: ["city", "days", "unit"],
  additionalProperties: false,
};
const timeParameters = {
  type: "object",
  properties: { zone: { type: "string", enum: ["UTC", "CET", "PST"] }, exact: { type: "boolean" } },
  required: ["zone"],
  additionalProperties: false,
};
const tools: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Weather forecast for a city.", parameters: weatherParameters } },
  { type: "function", function: { name: "get_time", description: "Current time in a zone.", parameters: timeParameters } },
];
const validators = new Map(tools.map((tool) => [tool.type === "function" ? tool.function.name : "", new Ajv().compile(tool.type === "function" ? tool.function.parameters! : {})]));

const agentLoop: OpenAI.ChatCompletionMessageParam[] = [
  { role: "system", content: "You answer with tools." },
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: null, tool_calls: [{ id: "abcDEF123", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris", "days": 1, "unit": "celsius"}' } }] },
  { role: "tool", tool_call_id: "abcDEF123", content: "22 degrees" },
  { role: "assistant", content: "It is 22 degrees." },
  { role: "user", content: "And the time?" },
];
const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris for three days?" }];

function functionCall(call: OpenAI.ChatCompletionMessageToolCall): OpenAI.ChatCompletionMessageFunctionToolCall["function"] {
  assert.equal(call.type, "function");
  return (call as OpenAI.ChatCompletionMessageFunctionToolCall).function;
}

function assertValidCall(name: string, args: string): void {
  const validate = validators.get(name);
  assert.ok(validate, `unknown tool ${name}`);
  assert.ok(validate(JSON.parse(args)), `${name}(${args}): ${JSON.stringify(validate.errors)}`);
}

interface StreamedCall {
  id: string;
  name: string;
  arguments: string;
}

/** The stream's tool calls assembled as OpenAI documents it, checking each delta's shape on the way. */
async function streamToolCalls(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const calls: StreamedCall[] = [];
  let content = "";
  let finishReason: string | null = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? "";
      if (choice.finish_reason) finishReason = choice.finish_reason;
      for (const call of choice.delta.tool_calls ?? []) {
        if (call.index === calls.length) {
          assert.equal(call.type, "function", "the first delta of a call carries type");
          assert.match(call.id ?? "", /^call_/, "the first delta of a call carries its id");
          assert.equal(typeof call.function?.name, "string", "the first delta of a call carries the name");
          assert.equal(typeof call.function?.arguments, "string", "the first delta of a call carries an arguments fragment");
          calls.push({ id: call.id!, name: call.function!.name!, arguments: call.function!.arguments! });
        } else {
          assert.ok(call.index < calls.length, "calls are numbered in order");
          assert.equal(call.id, undefined, "later deltas carry no id");
          assert.equal(call.function?.name, undefined, "later deltas carry no name");
          calls[call.index].arguments += call.function?.arguments ?? "";
        }
      }
    }
  }
  return { calls, content, finishReason };
}

describe("tools through each family's chat template", () => {
  const families = [
    "Qwen-Qwen2.5-7B-Instruct.jinja",
    "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "Mistral-Small-3.2-24B-Instruct-2506.jinja",
    "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
    "Qwen-Qwen3-0.6B.jinja",
  ];
  for (const family of families) {
    test(`${family}: an agent loop with tools renders and generates`, async () => {
      const server = await startServer({ preset: "tiny-qwen2", args: ["--served-model-name", "tiny", "--chat-template", join(chatTemplatesDir, family)] });
      try {
        const client = server.client();
        const r = await client.chat.completions.create({ model: "tiny", messages: agentLoop, tools, max_tokens: 2 }).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${server.output()}`);
        });
        assert.equal(r.choices[0].message.role, "assistant");
        const count = async (body: Record<string, unknown>) => {
          const response = await fetch(`${server.url}/tokenize`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          assert.equal(response.status, 200, await response.clone().text());
          return ((await response.json()) as { count: number }).count;
        };
        // The R1 distills' templates never show the tool list.
        if (!family.includes("DeepSeek-R1")) assert.ok((await count({ messages: agentLoop, tools })) > (await count({ messages: agentLoop })), "tools are rendered");
        const named = await client.chat.completions.create({
          model: "tiny",
          messages: agentLoop,
          tools,
          tool_choice: { type: "function", function: { name: "get_time" } },
          max_tokens: 64,
          temperature: 1,
        });
        assertValidCall("get_time", functionCall(named.choices[0].message.tool_calls![0]).arguments);
      } finally {
        await server.stop();
      }
    });
  }
});

describe("named and required tool choices", () => {
  let server: TestServer;
  let client: OpenAI;
  before(async () => {
    server = await startServer({ preset: "tiny-qwen2", args: ["--served-model-name", "tiny", "--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja")] });
    client = server.client();
  });
  after(async () => {
    await server?.stop();
  });

  const named = { type: "function", function: { name: "get_weather" } } as const;

  test("named: one call to that function with arguments valid against its schema; finish_reason stop; content empty", async () => {
    for (let seed = 0; seed < 10; seed++) {
      const r = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: named, max_tokens: 64, temperature: 1, seed });
      const choice = r.choices[0];
      assert.equal(choice.finish_reason, "stop");
      assert.equal(choice.message.content, "");
      assert.equal(choice.message.tool_calls?.length, 1);
      const call = choice.message.tool_calls![0];
      assert.match(call.id, /^call_[A-Za-z0-9]+$/);
      assert.equal(functionCall(call).name, "get_weather");
      assertValidCall("get_weather", functionCall(call).arguments);
    }
  });

  test("named, streamed: fragments concatenate to the non-stream arguments of the same seed", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const body = { model: "tiny", messages, tools, tool_choice: named, max_tokens: 64, temperature: 1, seed };
      const whole = await client.chat.completions.create(body);
      const streamed = await streamToolCalls(await client.chat.completions.create({ ...body, stream: true }));
      assert.equal(streamed.content, "");
      assert.equal(streamed.finishReason, "stop");
      assert.equal(streamed.calls.length, 1);
      assert.equal(streamed.calls[0].name, "get_weather");
      assert.equal(streamed.calls[0].arguments, functionCall(whole.choices[0].message.tool_calls![0]).arguments);
      assertValidCall("get_weather", streamed.calls[0].arguments);
    }
  });

  test("required: one or more calls, each valid against its tool's schema; finish_reason tool_calls", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const body = { model: "tiny", messages, tools, tool_choice: "required" as const, max_tokens: 1200, temperature: 1, seed };
      const whole = await client.chat.completions.create(body);
      const choice = whole.choices[0];
      assert.equal(choice.finish_reason, "tool_calls", JSON.stringify(choice));
      assert.equal(choice.message.content, null);
      assert.ok((choice.message.tool_calls?.length ?? 0) >= 1);
      for (const call of choice.message.tool_calls!) assertValidCall(functionCall(call).name, functionCall(call).arguments);

      const streamed = await streamToolCalls(await client.chat.completions.create({ ...body, stream: true }));
      assert.equal(streamed.finishReason, "tool_calls");
      assert.equal(streamed.content, "");
      assert.deepEqual(
        streamed.calls.map((call) => [call.name, call.arguments]),
        choice.message.tool_calls!.map((call) => [functionCall(call).name, functionCall(call).arguments]),
      );
    }
  });

  test("required, cut off by max_tokens: finish_reason length, only complete calls, nothing in content", async () => {
    const r = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: "required", max_tokens: 8, temperature: 1, seed: 3 });
    assert.equal(r.choices[0].finish_reason, "length");
    assert.ok(!r.choices[0].message.content, "null or empty content");
    for (const call of r.choices[0].message.tool_calls ?? []) assertValidCall(functionCall(call).name, functionCall(call).arguments);
  });

  test("required with parallel_tool_calls false: exactly one call", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const r = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: "required", parallel_tool_calls: false, max_tokens: 100, temperature: 1, seed });
      assert.equal(r.choices[0].message.tool_calls?.length, 1);
    }
  });

  test("tool_choice none and auto without a call: plain content, finish_reason not tool_calls", async () => {
    for (const toolChoice of ["none", "auto"] as const) {
      const r = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: toolChoice, max_tokens: 4, seed: 1 });
      assert.equal(typeof r.choices[0].message.content, "string");
      assert.equal(r.choices[0].message.tool_calls, undefined);
      assert.notEqual(r.choices[0].finish_reason, "tool_calls");
    }
  });

  test("bad tool choices are 400s naming the field, and the server keeps serving", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ tools, tool_choice: { type: "function", function: { name: "no_such_tool" } } }, "tool_choice"],
      [{ tools, tool_choice: "sometimes" }, "tool_choice"],
      [{ tool_choice: "required" }, "tool_choice"],
      [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", not: {} } } }], tool_choice: "required" }, "tools[0].function.parameters.not"],
      [{ tools: [{ type: "function" }] }, "tools[0].function"],
    ];
    for (const [fields, param] of cases) {
      for (const stream of [false, true]) {
        await assert.rejects(
          client.chat.completions.create({ model: "tiny", messages, max_tokens: 4, stream, ...fields } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
          (error: unknown) => {
            assert.ok(error instanceof OpenAI.BadRequestError, String(error));
            assert.equal((error as InstanceType<typeof OpenAI.BadRequestError>).param, param, JSON.stringify(fields));
            return true;
          },
        );
      }
    }
    const r = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: named, max_tokens: 64 });
    assertValidCall("get_weather", functionCall(r.choices[0].message.tool_calls![0]).arguments);
  });
});

test("--reasoning-parser deepseek_r1: the output after the template's <think> is reasoning_content, in stream and non-stream", async () => {
  const server = await startServer({
    preset: "tiny-qwen2",
    args: ["--served-model-name", "tiny", "--chat-template", join(chatTemplatesDir, "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"), "--reasoning-parser", "deepseek_r1"],
  });
  try {
    const client = server.client();
    // The random model never closes </think>, so everything it writes is reasoning.
    const body = { model: "tiny", messages, max_tokens: 12, temperature: 1, seed: 5 };
    const whole = (await client.chat.completions.create(body)).choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; reasoning?: string };
    assert.equal(whole.content, "");
    assert.ok((whole.reasoning_content ?? "").length > 0);
    assert.equal(whole.reasoning, whole.reasoning_content);
    let reasoning = "";
    let content = "";
    for await (const chunk of await client.chat.completions.create({ ...body, stream: true })) {
      const delta = (chunk.choices[0]?.delta ?? {}) as { content?: string | null; reasoning_content?: string };
      reasoning += delta.reasoning_content ?? "";
      content += delta.content ?? "";
    }
    assert.equal(content, "");
    assert.equal(reasoning, whole.reasoning_content);
  } finally {
    await server.stop();
  }
});
