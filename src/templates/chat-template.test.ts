import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { InvalidRequestError } from "../errors.js";
import { chatTemplatesDir } from "../testing/paths.js";
import { ChatTemplate, type ChatMessage } from "./chat-template.js";

const TOKENS = { bosToken: "<s>", eosToken: "</s>" };
/** 2025-07-04 13:05:09 local time: what strftime_now sees in these tests. */
const NOW = (): Date => new Date(2025, 6, 4, 13, 5, 9);

function fixture(name: string, specialTokens = TOKENS): ChatTemplate {
  return new ChatTemplate(readFileSync(join(chatTemplatesDir, name), "utf8"), specialTokens, { now: NOW });
}

function assertInOrder(text: string, parts: string[]): void {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    assert.ok(at >= 0, `expected ${JSON.stringify(part)} after offset ${from} in:\n${text}`);
    from = at + part.length;
  }
}

function assertRequestError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.equal(error.status, 400);
    return true;
  });
}

const SYSTEM_USER: ChatMessage[] = [
  { role: "system", content: "SYS-MSG" },
  { role: "user", content: "USER-ONE" },
];
const MULTI_TURN: ChatMessage[] = [
  ...SYSTEM_USER,
  { role: "assistant", content: "ASSIST-ONE" },
  { role: "user", content: "USER-TWO" },
];

/**
 * Templates that cannot render the basic conversations, with why. HF
 * transformers (what vLLM uses) fails on them the same way.
 */
const KNOWN_UNRENDERABLE: Record<string, { reason: string; error: RegExp; rendersWithoutSystem: boolean }> = {
  "fireworks-ai-llama-3-firefunction-v2.jinja": {
    reason:
      "reads a `functions` variable (Fireworks' own API) that OpenAI requests do not provide; " +
      "only renders with chat_template_kwargs {functions: ...}",
    error: /undefined/,
    rendersWithoutSystem: false,
  },
  "google-gemma-2-2b-it.jinja": {
    reason: "Gemma 2 has no system role: the template calls raise_exception('System role not supported') (a 400)",
    error: /^System role not supported$/,
    rendersWithoutSystem: true,
  },
};

/**
 * Templates that never read add_generation_prompt: Mistral's `[INST] ... [/INST]`
 * already ends where the reply starts; Command R7B always opens the chatbot turn.
 */
const IGNORE_GENERATION_PROMPT = new Set([
  "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja",
  "Mistral-Small-3.2-24B-Instruct-2506.jinja",
  "mistralai-Ministral-3-14B-Reasoning-2512.jinja",
  "mistralai-Mistral-Nemo-Instruct-2407.jinja",
  "unsloth-mistral-Devstral-Small-2507.jinja",
]);

/** Templates that move the system prompt: Mistral Nemo prepends it to the last user message. */
const MULTI_TURN_ORDER: Record<string, string[]> = {
  "mistralai-Mistral-Nemo-Instruct-2407.jinja": ["USER-ONE", "ASSIST-ONE", "SYS-MSG", "USER-TWO"],
};

describe("every fixture chat template", () => {
  const files = readdirSync(chatTemplatesDir)
    .filter((name) => name.endsWith(".jinja"))
    .sort();

  test("the fixtures are there, and the lists above name only real files", () => {
    assert.ok(files.length >= 70, `found only ${files.length} templates in ${chatTemplatesDir}`);
    for (const name of [...Object.keys(KNOWN_UNRENDERABLE), ...IGNORE_GENERATION_PROMPT, ...Object.keys(MULTI_TURN_ORDER)]) {
      assert.ok(files.includes(name), `${name} is not a fixture`);
    }
  });

  for (const name of files) {
    test(name, () => {
      const template = fixture(name); // every fixture parses
      const render = (messages: ChatMessage[], addGenerationPrompt: boolean): string =>
        template.render(messages, { addGenerationPrompt });
      const known = KNOWN_UNRENDERABLE[name];
      if (known) {
        assert.throws(() => render(SYSTEM_USER, true), (error: unknown) => {
          assert.ok(error instanceof InvalidRequestError);
          assert.match(error.message, known.error);
          return true;
        });
        if (!known.rendersWithoutSystem) return;
        const output = render(MULTI_TURN.slice(1), true);
        assertInOrder(output, ["USER-ONE", "ASSIST-ONE", "USER-TWO"]);
        assert.notEqual(output, render(MULTI_TURN.slice(1), false));
        return;
      }

      const withPrompt = render(SYSTEM_USER, true);
      const withoutPrompt = render(SYSTEM_USER, false);
      assertInOrder(withPrompt, ["SYS-MSG", "USER-ONE"]);
      assertInOrder(withoutPrompt, ["SYS-MSG", "USER-ONE"]);

      const multi = render(MULTI_TURN, true);
      const multiWithoutPrompt = render(MULTI_TURN, false);
      assertInOrder(multi, MULTI_TURN_ORDER[name] ?? ["SYS-MSG", "USER-ONE", "ASSIST-ONE", "USER-TWO"]);

      if (IGNORE_GENERATION_PROMPT.has(name)) {
        assert.ok(!template.source.includes("add_generation_prompt"), "the template reads add_generation_prompt after all");
        assert.equal(withPrompt, withoutPrompt);
        assert.equal(multi, multiWithoutPrompt);
      } else {
        assert.notEqual(withPrompt, withoutPrompt, "add_generation_prompt changed nothing");
        assert.notEqual(multi, multiWithoutPrompt, "add_generation_prompt changed nothing");
        const tail = (text: string): string => text.slice(Math.max(0, text.lastIndexOf("USER-ONE")));
        assert.notEqual(tail(withPrompt), tail(withoutPrompt));
      }
    });
  }
});

describe("exact prompts", () => {
  test("Qwen2.5 injects its default system prompt when there is none", () => {
    const prompt = fixture("Qwen-Qwen2.5-7B-Instruct.jinja").render([{ role: "user", content: "Hello" }], {
      addGenerationPrompt: true,
    });
    assert.equal(
      prompt,
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        "<|im_start|>user\nHello<|im_end|>\n" +
        "<|im_start|>assistant\n",
    );
  });

  test("Qwen2.5 multi-turn with a system prompt", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "You are a pirate." },
      { role: "user", content: "Hello" },
      { role: "assistant", content: "Arr!" },
      { role: "user", content: "Where is the gold?" },
    ];
    const template = fixture("Qwen-Qwen2.5-7B-Instruct.jinja");
    const history =
      "<|im_start|>system\nYou are a pirate.<|im_end|>\n" +
      "<|im_start|>user\nHello<|im_end|>\n" +
      "<|im_start|>assistant\nArr!<|im_end|>\n" +
      "<|im_start|>user\nWhere is the gold?<|im_end|>\n";
    assert.equal(template.render(messages, { addGenerationPrompt: false }), history);
    assert.equal(template.render(messages, { addGenerationPrompt: true }), history + "<|im_start|>assistant\n");
  });

  test("Llama 3.1 (its template has a fixed date)", () => {
    const template = fixture("meta-llama-Llama-3.1-8B-Instruct.jinja", { bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>" });
    const prompt = template.render(
      [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: "What is 2+2?" },
        { role: "assistant", content: "4" },
        { role: "user", content: "And 3+3?" },
      ],
      { addGenerationPrompt: true },
    );
    assert.equal(
      prompt,
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
        "You are a helpful assistant.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
  });

  test("Llama 3.2 dates the prompt with strftime_now", () => {
    const template = fixture("meta-llama-Llama-3.2-3B-Instruct.jinja", { bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>" });
    assert.equal(
      template.render([{ role: "user", content: "Hi" }], { addGenerationPrompt: true }),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
        "Cutting Knowledge Date: December 2023\nToday Date: 04 Jul 2025\n\n<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    // Without an injected clock it is today's date.
    const today = new ChatTemplate(template.source, TOKENS).render([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
    assert.match(today, /Today Date: \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\n/);
  });

  test("Mistral Nemo puts the system prompt in the last user turn", () => {
    const prompt = fixture("mistralai-Mistral-Nemo-Instruct-2407.jinja").render(
      [
        { role: "system", content: "You are helpful." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hi there!" },
        { role: "user", content: "How are you?" },
      ],
      { addGenerationPrompt: true },
    );
    assert.equal(prompt, "<s>[INST]Hello[/INST]Hi there!</s>[INST]You are helpful.\n\nHow are you?[/INST]");
  });

  test("ChatML (Qwen3), with chat_template_kwargs enable_thinking=false", () => {
    const template = fixture("Qwen-Qwen3-0.6B.jinja");
    const messages: ChatMessage[] = [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "<think>\nhmm\n</think>\n\nHello!" },
      { role: "user", content: "Bye" },
    ];
    const history =
      "<|im_start|>user\nHi<|im_end|>\n" +
      "<|im_start|>assistant\nHello!<|im_end|>\n" + // earlier reasoning is dropped
      "<|im_start|>user\nBye<|im_end|>\n";
    assert.equal(template.render(messages, { addGenerationPrompt: true }), history + "<|im_start|>assistant\n");
    assert.equal(
      template.render(messages, { addGenerationPrompt: true, extraContext: { enable_thinking: false } }),
      history + "<|im_start|>assistant\n<think>\n\n</think>\n\n",
    );
  });

  test("classic ChatML template", () => {
    const template = new ChatTemplate(
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      TOKENS,
    );
    assert.equal(
      template.render(SYSTEM_USER, { addGenerationPrompt: true }),
      "<|im_start|>system\nSYS-MSG<|im_end|>\n<|im_start|>user\nUSER-ONE<|im_end|>\n<|im_start|>assistant\n",
    );
  });
});

describe("tools", () => {
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Get the current weather in a city.",
        parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
      },
    },
  ];
  const qwenToolsSystem =
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n" +
    "You may call one or more functions to assist with the user query.\n\n" +
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
    '{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city.", ' +
    '"parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}\n' +
    "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n';

  test("Qwen2.5 renders the <tools> block", () => {
    const prompt = fixture("Qwen-Qwen2.5-7B-Instruct.jinja").render([{ role: "user", content: "Weather in Paris?" }], {
      addGenerationPrompt: true,
      tools,
    });
    assert.equal(prompt, qwenToolsSystem + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n");
  });

  test("Qwen2.5 renders tool calls (JSON-string arguments parsed) and tool results", () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"location": "Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"temperature": 22}' },
    ];
    const prompt = fixture("Qwen-Qwen2.5-7B-Instruct.jinja").render(messages, { addGenerationPrompt: true, tools });
    assert.equal(
      prompt,
      qwenToolsSystem +
        "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"location": "Paris"}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n{"temperature": 22}\n</tool_response><|im_end|>\n' +
        "<|im_start|>assistant\n",
    );
    // The request is not modified.
    assert.equal((messages[1].tool_calls?.[0] as { function: { arguments: unknown } }).function.arguments, '{"location": "Paris"}');
  });

  test("tool call arguments as vLLM normalizes them: invalid JSON becomes {}, empty tool_calls are dropped", () => {
    const template = new ChatTemplate(
      "{% for m in messages %}{{ m.role }}:{{ m.content }}|{% if m.tool_calls is defined %}" +
        "{% for c in m.tool_calls %}{{ c.function.arguments | tojson }};{% endfor %}{% else %}no-calls{% endif %}//{% endfor %}",
      TOKENS,
    );
    const prompt = template.render(
      [
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "f", arguments: "{not json" } },
            { id: "b", type: "function", function: { name: "f", arguments: { already: "an object" } } },
            { id: "c", type: "function", function: { name: "f", arguments: "" } },
          ],
        },
        { role: "assistant", content: "text", tool_calls: [] },
      ],
      { addGenerationPrompt: false },
    );
    assert.equal(prompt, 'assistant:|{};{"already": "an object"};{};//assistant:text|no-calls//');
  });
});

describe("messages", () => {
  const echo = new ChatTemplate("{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}", TOKENS);

  test("content as a list of text parts equals the string content (parts joined with newlines)", () => {
    const template = fixture("Qwen-Qwen2.5-7B-Instruct.jinja");
    const asParts = template.render(
      [
        { role: "system", content: [{ type: "text", text: "Be brief." }] },
        { role: "user", content: [{ type: "text", text: "Line one" }, { type: "text", text: "Line two" }] },
      ],
      { addGenerationPrompt: true },
    );
    const asString = template.render(
      [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Line one\nLine two" },
      ],
      { addGenerationPrompt: true },
    );
    assert.equal(asParts, asString);
  });

  test("non-text content parts are rejected", () => {
    assertRequestError(
      () =>
        echo.render([{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }], {
          addGenerationPrompt: true,
        }),
      /only text content is supported/,
    );
  });

  test("null content renders as an empty string", () => {
    assert.equal(echo.render([{ role: "assistant", content: null }], { addGenerationPrompt: false }), "[assistant]");
  });

  test("developer becomes system unless the template knows the developer role", () => {
    const messages: ChatMessage[] = [
      { role: "developer", content: "DEV-MSG" },
      { role: "user", content: "Hi" },
    ];
    assert.equal(echo.render(messages, { addGenerationPrompt: false }), "[system]DEV-MSG[user]Hi");
    const qwen = fixture("Qwen-Qwen2.5-7B-Instruct.jinja");
    assert.equal(qwen.handlesDeveloperRole, false);
    assert.ok(qwen.render(messages, { addGenerationPrompt: true }).startsWith("<|im_start|>system\nDEV-MSG<|im_end|>\n"));

    const knowsDeveloper = new ChatTemplate(
      "{% for m in messages %}{% if m.role == 'developer' %}<dev>{% endif %}[{{ m.role }}]{{ m.content }}{% endfor %}",
      TOKENS,
    );
    assert.equal(knowsDeveloper.handlesDeveloperRole, true);
    assert.equal(knowsDeveloper.render(messages, { addGenerationPrompt: false }), "<dev>[developer]DEV-MSG[user]Hi");
    const gptOss = fixture("openai-gpt-oss-120b.jinja");
    assert.equal(gptOss.handlesDeveloperRole, true);
    assert.match(gptOss.render(messages, { addGenerationPrompt: true }), /<\|start\|>developer<\|message\|># Instructions\n\nDEV-MSG/);
  });
});

describe("errors", () => {
  test("raise_exception in the template is a 400 with the template's message", () => {
    const template = fixture("mistralai-Mistral-Nemo-Instruct-2407.jinja");
    assertRequestError(
      () =>
        template.render(
          [
            { role: "user", content: "one" },
            { role: "user", content: "two" },
          ],
          { addGenerationPrompt: true },
        ),
      /^After the optional system message, conversation roles must alternate user\/assistant\/user\/assistant\/\.\.\.$/,
    );
    assertRequestError(
      () => new ChatTemplate("{{ raise_exception('nope: ' ~ messages[0].role) }}", TOKENS).render([{ role: "user", content: "x" }], { addGenerationPrompt: true }),
      /^nope: user$/,
    );
  });

  test("a template that fails on the request is a 400", () => {
    assertRequestError(
      () => new ChatTemplate("{% for x in messages[0].role.length %}{% endfor %}", TOKENS).render([{ role: "user", content: "x" }], { addGenerationPrompt: true }),
      /chat template failed/,
    );
  });

  test("a template that cannot be parsed fails at construction with a plain Error", () => {
    assert.throws(
      () => new ChatTemplate("{% for m in messages %}{{ m.content }}", TOKENS),
      (error: unknown) => error instanceof Error && !(error instanceof InvalidRequestError) && /^Cannot parse the chat template: /.test(error.message),
    );
  });

  test("chat_template_kwargs cannot replace the template's inputs", () => {
    assertRequestError(
      () => fixture("Qwen-Qwen2.5-7B-Instruct.jinja").render(SYSTEM_USER, { addGenerationPrompt: true, extraContext: { messages: [] } }),
      /cannot set `messages`/,
    );
  });
});

describe("Jinja semantics follow Python's jinja2", () => {
  const render = (source: string, extraContext: Record<string, unknown> = {}): string =>
    new ChatTemplate(source, TOKENS).render([{ role: "user", content: "U" }], { addGenerationPrompt: true, extraContext });

  const cases: Array<[string, string, Record<string, unknown>?]> = [
    // str() of values, as Python prints them
    ["{{ [1, 'a', none, true, 1.5, {'k': [2]}] }}|{{ none }}|{{ false }}|{{ 2.0 }}", "[1, 'a', None, True, 1.5, {'k': [2]}]|None|False|2.0"],
    // undefined: iterates as empty, has length 0, prints as ''
    ["{% for x in nothing %}x{% endfor %}{{ nothing | length }}{{ nothing }}{{ 'a' ~ nothing ~ 'b' }}", "0ab"],
    // filters the library lacks or gets wrong
    ["{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}|{{ 5 | string }}|{{ ['a', 'b'] | map('upper') | join(',') }}", "13|5|A,B"],
    ["{{ {'b': 1, 'a': 2} | dictsort }}|{{ {'a': 1} | items | list }}", "[('a', 2), ('b', 1)]|[('a', 1)]"],
    ["{{ 'xxhixx'.strip('x') }}|{{ '\\n hi'.lstrip('\\n') }}|{{ '{} and {}'.format('a', 2) }}", "hi| hi|a and 2"],
    ["{% set ns = namespace(l=[]) %}{% set _ = ns.l.append(1) %}{% set _ = ns.l.append(2) %}{{ ns.l.pop(0) }}{{ ns.l }}", "1[2]"],
    // equality and comparison
    ["{{ [1, 2] == [1, 2] }}{{ 'b' > 'a' }}{{ none == nothing }}{{ 1 == 1.0 }}", "TrueTrueFalseTrue"],
    ["{{ {'a': 'é', 'b': [1, 2.5, true, none]} | tojson }}", '{"a": "é", "b": [1, 2.5, true, null]}'],
    ["{{ {'a': {'b': 1}} | tojson(indent=2) }}", '{\n  "a": {\n    "b": 1\n  }\n}'],
    ["{{ x | from_json | tojson }}", '{"a": [1, 2]}', { x: '{"a": [1, 2]}' }],
  ];
  for (const [source, expected, context] of cases) {
    test(source, () => assert.equal(render(source, context), expected));
  }
});
