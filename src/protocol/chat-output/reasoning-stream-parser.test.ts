import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReasoning, ReasoningStreamParser, type ReasoningParserName } from "./reasoning-stream-parser.js";

const cases: Array<{ parser: ReasoningParserName; output: string; reasoning: string | null; content: string }> = [
  { parser: "deepseek_r1", output: "Let me think.\n</think>\n\nThe answer is 4.", reasoning: "Let me think.\n", content: "\n\nThe answer is 4." },
  { parser: "deepseek_r1", output: "<think>\nHmm.</think>Four.", reasoning: "\nHmm.", content: "Four." },
  { parser: "deepseek_r1", output: "still thinking when cut off", reasoning: "still thinking when cut off", content: "" },
  { parser: "deepseek_r1", output: "a < b </thin k></think>x", reasoning: "a < b </thin k>", content: "x" },
  { parser: "qwen3", output: "<think>\nPlan.\n</think>\n\nDone.", reasoning: "\nPlan.\n", content: "\n\nDone." },
  { parser: "qwen3", output: "No thinking here.", reasoning: null, content: "No thinking here." },
  { parser: "qwen3", output: "<thinking is not a tag", reasoning: null, content: "<thinking is not a tag" },
  { parser: "qwen3", output: "<think>cut off", reasoning: "cut off", content: "" },
  { parser: "qwen3", output: "<th", reasoning: null, content: "<th" },
];

for (const [i, c] of cases.entries()) {
  test(`${c.parser} #${i}: whole output and every split point`, () => {
    assert.deepEqual(parseReasoning(c.parser, c.output), { reasoning: c.reasoning, content: c.content });
    const chunkings = [...Array(c.output.length + 1).keys()].map((at) => [c.output.slice(0, at), c.output.slice(at)]);
    chunkings.push([...c.output]);
    for (const chunks of chunkings) {
      const parser = new ReasoningStreamParser(c.parser);
      let reasoning = "";
      let content = "";
      for (const events of [...chunks.map((chunk) => parser.push(chunk)), parser.finish()]) {
        reasoning += events.reasoning;
        content += events.content;
        assert.ok(!content.includes("</think>") && !reasoning.includes("</think>"), JSON.stringify(chunks));
      }
      assert.equal(reasoning === "" ? null : reasoning, c.reasoning, JSON.stringify(chunks));
      assert.equal(content, c.content, JSON.stringify(chunks));
    }
  });
}
