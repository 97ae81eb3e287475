import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../errors.js";
import { parseServeArgs } from "./serve-config.js";
import { resolveToolOptions } from "./tool-options.js";

const qwenLike = "{% for m in messages %}{{ m.content }}{% endfor %}<tool_call>";

test("--tool-call-parser and --reasoning-parser, from flags or PAGODA_ env", () => {
  const fromFlags = parseServeArgs(["--tool-call-parser", "mistral", "--reasoning-parser", "qwen3"], {});
  assert.equal(fromFlags.toolCallParser, "mistral");
  assert.equal(fromFlags.reasoningParser, "qwen3");
  const fromEnv = parseServeArgs([], { PAGODA_TOOL_CALL_PARSER: "pythonic", PAGODA_REASONING_PARSER: "deepseek_r1" });
  assert.deepEqual(resolveToolOptions(fromEnv, qwenLike).toolSyntax?.name, "pythonic");
  assert.equal(resolveToolOptions(fromEnv, qwenLike).reasoningParser, "deepseek_r1");
});

test("without a flag the parser is guessed from the template; none without a template", () => {
  const config = parseServeArgs([], {});
  assert.equal(resolveToolOptions(config, qwenLike).toolSyntax?.name, "hermes");
  assert.equal(resolveToolOptions(config, null).toolSyntax, null);
  assert.equal(resolveToolOptions(config, null).reasoningParser, null);
});

test("unknown parser names are usage errors", () => {
  assert.throws(() => resolveToolOptions(parseServeArgs(["--tool-call-parser", "nope"], {}), null), UsageError);
  assert.throws(() => resolveToolOptions(parseServeArgs(["--reasoning-parser", "nope"], {}), null), UsageError);
});
