import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError, UnsupportedParameterError } from "../errors.js";
import { ChatTemplate } from "../templates/chat-template.js";
import { PromptBuilder, type Tokenizer } from "./prompts.js";
import { TokenizationServing } from "./tokenization.js";

const bos = 1;
const vocabSize = 300;

/** One token per character (id = code + 10); "<s>" is BOS when special tokens are parsed. */
const fakeTokenizer: Tokenizer = {
  tokenize(text, { parseSpecialTokens }) {
    const tokens: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (parseSpecialTokens && text.startsWith("<s>", i)) {
        tokens.push(bos);
        i += 2;
      } else tokens.push(text.charCodeAt(i) + 10);
    }
    return tokens;
  },
  detokenize(tokens, options = {}) {
    return tokens.map((t) => (t === bos ? (options.renderSpecialTokens ? "<s>" : "") : String.fromCharCode(t - 10))).join("");
  },
  tokenPieces(tokens) {
    return tokens.map((t) => (t === bos ? "<s>" : `piece${t}`));
  },
};

const plainTemplate = new ChatTemplate(
  "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}",
  { bosToken: "<s>", eosToken: "</s>" },
);
const bosTemplate = new ChatTemplate("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}", { bosToken: "<s>", eosToken: "</s>" });

function serving(options: { template?: ChatTemplate | null; addBosToken?: boolean } = {}) {
  const prompts = new PromptBuilder(fakeTokenizer, options.template === undefined ? plainTemplate : options.template, {
    vocabSize,
    bosToken: bos,
    addBosToken: options.addBosToken ?? true,
  });
  return new TokenizationServing(prompts, { maxModelLen: 64 });
}

const ids = (text: string) => [...text].map((c) => c.charCodeAt(0) + 10);
const messages = [{ role: "user", content: "Hi" }];

test("a text prompt: BOS by default (vLLM's add_special_tokens=true), never doubled; none with add_special_tokens false", () => {
  const tokenization = serving();
  assert.deepEqual(tokenization.tokenize({ prompt: "ab" }), { count: 3, max_model_len: 64, tokens: [bos, ...ids("ab")] });
  assert.deepEqual(tokenization.tokenize({ prompt: "ab", add_special_tokens: false }).tokens, ids("ab"));
  assert.deepEqual(tokenization.tokenize({ prompt: "<s>ab" }).tokens, [bos, ...ids("ab")]);
  assert.deepEqual(serving({ addBosToken: false }).tokenize({ prompt: "ab" }).tokens, ids("ab"));
  assert.deepEqual(tokenization.tokenize({ prompt: "" }), { count: 1, max_model_len: 64, tokens: [bos] }, "an empty prompt is counted, not rejected");
});

test("chat messages are rendered by the chat template, with the generation prompt by default", () => {
  const tokenization = serving();
  assert.deepEqual(tokenization.tokenize({ messages }).tokens, [bos, ...ids("[user]Hi[assistant]")]);
  assert.deepEqual(tokenization.tokenize({ messages, add_generation_prompt: false }).tokens, [bos, ...ids("[user]Hi")]);
  assert.deepEqual(tokenization.tokenize({ messages, add_special_tokens: false }).tokens, ids("[user]Hi[assistant]"));
  assert.deepEqual(serving({ template: bosTemplate }).tokenize({ messages }).tokens, [bos, ...ids("Hi")], "a template writing bos_token gets one BOS");
  const withKwargs = new ChatTemplate("{{ greeting }}{{ messages[0].content }}", { bosToken: "<s>", eosToken: "</s>" });
  assert.deepEqual(
    serving({ template: withKwargs, addBosToken: false }).tokenize({ messages, chat_template_kwargs: { greeting: "yo" } }).tokens,
    ids("yoHi"),
  );
});

test("token_strs only with return_token_strs", () => {
  const tokenization = serving();
  assert.equal("token_strs" in tokenization.tokenize({ prompt: "a" }), false);
  assert.deepEqual(tokenization.tokenize({ prompt: "a", return_token_strs: true }).token_strs, ["<s>", `piece${ids("a")[0]}`]);
  assert.deepEqual(tokenization.tokenize({ messages, return_token_strs: true, add_special_tokens: false }).token_strs?.length, ids("[user]Hi[assistant]").length);
});

test("detokenize renders special tokens and round-trips tokenize", () => {
  const tokenization = serving();
  const { tokens } = tokenization.tokenize({ prompt: "hello" });
  assert.deepEqual(tokenization.detokenize({ tokens }), { prompt: "<s>hello" });
  assert.deepEqual(tokenization.detokenize({ tokens: [] }), { prompt: "" });
  assert.deepEqual(tokenization.detokenize({ model: "alias", tokens: ids("x") }), { prompt: "x" });
});

function assertInvalid(run: () => unknown, param: string | null, code: string | null = null): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InvalidRequestError || error instanceof UnsupportedParameterError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.param, param);
    assert.equal(error.code, code);
    return true;
  });
}

test("bad requests are 400s naming the field; an unknown model is a 404", () => {
  const tokenization = serving();
  assertInvalid(() => tokenization.detokenize({ tokens: [5, vocabSize] }), "tokens");
  assertInvalid(() => tokenization.detokenize({ tokens: [-1] }), "tokens[0]");
  assertInvalid(() => tokenization.detokenize({ tokens: [1.5] }), "tokens[0]");
  assertInvalid(() => tokenization.detokenize({ tokens: "abc" }), "tokens");
  assertInvalid(() => tokenization.detokenize({}), "tokens");
  assertInvalid(() => tokenization.tokenize({}), "prompt");
  assertInvalid(() => tokenization.tokenize({ prompt: 5 }), "prompt");
  assertInvalid(() => tokenization.tokenize({ prompt: ["a"] }), "prompt");
  assertInvalid(() => tokenization.tokenize({ prompt: "a", messages }), "messages");
  assertInvalid(() => tokenization.tokenize({ messages: [] }), "messages");
  assertInvalid(() => tokenization.tokenize({ messages: [{ content: "x" }] }), "messages[0].role");
  assertInvalid(() => tokenization.tokenize({ prompt: "a", add_special_tokens: "yes" }), "add_special_tokens");
  assertInvalid(() => tokenization.tokenize({ messages, tools: [{ type: "function" }] }), "tools[0].function");
  assertInvalid(() => tokenization.tokenize({ messages, continue_final_message: true }), "continue_final_message", "unsupported_parameter");
  assertInvalid(() => serving({ template: null }).tokenize({ messages }), "messages");
});
