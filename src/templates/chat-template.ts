/**
 * Chat templates: a model's own Jinja template (GGUF `tokenizer.chat_template`
 * or a `--chat-template` file) rendered with OpenAI chat `messages` into the
 * prompt string that is then tokenized with special tokens parsed.
 *
 * Rendering follows what vLLM does through HF transformers, so prompts match
 * the ones models were trained and evaluated with: messages are normalized as
 * vLLM does (./chat-messages.ts), Jinja has Python's semantics
 * (./jinja/python-interpreter.ts), and the template globals are the ones
 * transformers passes: `messages`, `tools`, `add_generation_prompt`,
 * `bos_token`, `eos_token`, `raise_exception`, `strftime_now`, plus the
 * request's chat_template_kwargs (`extraContext`). transformers passes
 * `tools=None` when there are none; we leave `tools` undefined instead: every
 * fixture template renders the same either way, except the "tool_use" variants
 * (Hermes, Command R+), which only render with it undefined.
 *
 * The `developer` role: OpenAI maps it to `system` for models that do not know
 * it. We pass `developer` through when the template mentions the role (e.g.
 * gpt-oss, Gemma 4, DeepSeek V3.2) and map it to `system` otherwise, so a
 * system-style instruction is never dropped or rejected by a template that
 * predates the role.
 */
import { InvalidRequestError } from "../errors.js";
import { type ChatMessage, toTemplateMessages } from "./chat-messages.js";
import { type Node, type RV, bool, str, toRV } from "./jinja/runtime-values.js";
import { jinjaLibrary } from "./jinja/library-slice.js";
import { pyStr } from "./jinja/python-format.js";
import { fn, pythonEnvironment } from "./jinja/python-globals.js";
import { PythonicInterpreter } from "./jinja/python-interpreter.js";
import { strftime } from "./jinja/strftime.js";

export type { ChatContentPart, ChatMessage } from "./chat-messages.js";

export interface ChatTemplateSpecialTokens {
  bosToken: string;
  eosToken: string;
}

export interface ChatTemplateOptions {
  /** The clock behind `strftime_now` (local time, like Python's datetime.now()). */
  now?: () => Date;
}

export interface ChatTemplateRenderOptions {
  addGenerationPrompt: boolean;
  /** OpenAI `tools` (`[{type: "function", function: {...}}]`); undefined in the template when omitted. */
  tools?: unknown[];
  /** chat_template_kwargs, e.g. `{ enable_thinking: false }`; cannot replace the variables above. */
  extraContext?: Record<string, unknown>;
}

/** Template variables a request cannot override through `extraContext`. */
const RESERVED_CONTEXT_KEYS = new Set([
  "messages",
  "tools",
  "add_generation_prompt",
  "bos_token",
  "eos_token",
  "raise_exception",
  "strftime_now",
]);

export class ChatTemplate {
  readonly source: string;
  private readonly program: Node;
  private readonly specialTokens: ChatTemplateSpecialTokens;
  private readonly now: () => Date;
  /** Whether the template knows the `developer` role (else it is sent as `system`). */
  readonly handlesDeveloperRole: boolean;

  /** Parses the template; throws a plain Error (a start-up failure) when it cannot be parsed. */
  constructor(source: string, specialTokens: ChatTemplateSpecialTokens, options: ChatTemplateOptions = {}) {
    this.source = source;
    this.specialTokens = specialTokens;
    this.now = options.now ?? (() => new Date());
    this.handlesDeveloperRole = /(["'])developer\1/.test(source);
    try {
      // Jinja normalizes newlines; transformers enables trim_blocks and lstrip_blocks.
      const normalized = source.replace(/\r\n?/g, "\n");
      this.program = jinjaLibrary.parse(jinjaLibrary.tokenize(normalized, { lstrip_blocks: true, trim_blocks: true })) as Node;
    } catch (error) {
      throw new Error(`Cannot parse the chat template: ${errorMessage(error)}`);
    }
  }

  /**
   * Renders `messages` into a prompt. Request problems (content that is not
   * text, the template's own `raise_exception`, a template that fails on these
   * messages) throw InvalidRequestError.
   */
  render(messages: ChatMessage[], options: ChatTemplateRenderOptions): string {
    const templateMessages = toTemplateMessages(messages, this.handlesDeveloperRole);
    const env = pythonEnvironment();
    const set = (name: string, value: RV): void => void env.setVariable(name, value);

    set(
      "raise_exception",
      fn((args) => {
        throw new TemplateRaisedError(args.length > 0 ? pyStr(args[0]) : "");
      }),
    );
    set("strftime_now", fn((args) => str(strftime(this.now(), args.length > 0 ? pyStr(args[0]) : ""))));

    for (const [key, value] of Object.entries(options.extraContext ?? {})) {
      if (RESERVED_CONTEXT_KEYS.has(key)) {
        throw new InvalidRequestError(`chat_template_kwargs cannot set \`${key}\`.`, { param: "chat_template_kwargs" });
      }
      set(key, toRV(value));
    }
    set("messages", toRV(templateMessages));
    if (options.tools !== undefined) set("tools", toRV(options.tools));
    set("add_generation_prompt", bool(options.addGenerationPrompt));
    set("bos_token", str(this.specialTokens.bosToken));
    set("eos_token", str(this.specialTokens.eosToken));

    try {
      const result = new PythonicInterpreter(env).run(this.program);
      return pyStr(result);
    } catch (error) {
      if (error instanceof TemplateRaisedError) {
        throw new InvalidRequestError(error.message, { param: "messages" });
      }
      if (error instanceof InvalidRequestError) throw error;
      throw new InvalidRequestError(`The chat template failed on these messages: ${errorMessage(error)}`, {
        param: "messages",
      });
    }
  }
}

/** Thrown by the template's `raise_exception(message)`. */
class TemplateRaisedError extends Error {}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
