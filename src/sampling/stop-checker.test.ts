import { test } from "node:test";
import assert from "node:assert/strict";
import { StopChecker, type StopCheckerOptions } from "./stop-checker.js";

interface Outcome {
  output: string;
  matched: string | undefined;
}

/** The specification, by brute force: the stop string completed first wins; on a tie, the longest. */
function expected(text: string, stops: readonly string[], include = false): Outcome {
  const live = stops.filter((s) => s.length > 0);
  for (let end = 1; end <= text.length; end++) {
    const done = live.filter((s) => text.slice(0, end).endsWith(s)).sort((a, b) => b.length - a.length);
    if (done.length > 0) return { output: text.slice(0, include ? end : end - done[0].length), matched: done[0] };
  }
  return { output: text, matched: undefined };
}

/** Longest suffix of `text` that is a proper prefix of a stop string, plus a dangling high surrogate. */
function expectedHeld(text: string, stops: readonly string[]): number {
  let held = 0;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > held; k--) {
      if (s.startsWith(text.slice(text.length - k))) {
        held = k;
        break;
      }
    }
  }
  const before = text.charCodeAt(text.length - held - 1);
  return before >= 0xd800 && before <= 0xdbff ? held + 1 : held;
}

/** Feeds the chunks, checking the per-push invariants; returns what a client would have received. */
function feed(stops: readonly string[], chunks: readonly string[], options: StopCheckerOptions = {}): Outcome {
  const checker = new StopChecker(stops, options);
  let output = "";
  let input = "";
  for (const chunk of chunks) {
    const result = checker.push(chunk);
    output += result.text;
    input += chunk;
    if (result.stopped) {
      assert.equal(checker.stopped, true);
      assert.equal(checker.matched, result.matched);
      // Nothing after the stop, even if the caller keeps pushing.
      assert.deepEqual(checker.push("more text"), { text: "", stopped: true, matched: result.matched });
      assert.equal(checker.flush(), "");
      return { output, matched: result.matched };
    }
    assert.equal(result.matched, undefined);
    assert.ok(input.startsWith(output), "emitted text is not a prefix of the input");
    assert.equal(input.length - output.length, expectedHeld(input, stops), `held back too much or too little of ${JSON.stringify(input)}`);
  }
  assert.equal(checker.stopped, false);
  output += checker.flush();
  assert.equal(output, input);
  return { output, matched: undefined };
}

/** Every way to feed `text`: whole, split once anywhere, split twice (short texts), per code unit, per code point. */
function* chunkings(text: string): Generator<string[]> {
  yield [text];
  for (let i = 0; i <= text.length; i++) yield [text.slice(0, i), text.slice(i)];
  if (text.length <= 40) {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) yield [text.slice(0, i), text.slice(i, j), text.slice(j)];
    }
  }
  yield text.split("");
  yield Array.from(text);
}

function checkAllChunkings(text: string, stops: readonly string[]): void {
  for (const include of [false, true]) {
    const want = expected(text, stops, include);
    for (const chunks of chunkings(text)) {
      const got = feed(stops, chunks, { includeStopStringInOutput: include });
      assert.deepEqual(got, want, `${JSON.stringify(chunks)} with stops ${JSON.stringify(stops)}, include=${include}`);
      const visible = include && got.matched !== undefined ? got.output.slice(0, -1) : got.output;
      for (const s of stops.filter((s) => s.length > 0)) {
        assert.ok(!visible.includes(s), `${JSON.stringify(s)} leaked into ${JSON.stringify(got.output)}`);
      }
    }
  }
}

test("hold-back is only what could still start a stop string", () => {
  const checker = new StopChecker(["END"]);
  assert.deepEqual(checker.push("hello E"), { text: "hello ", stopped: false });
  assert.deepEqual(checker.push("N"), { text: "", stopped: false });
  assert.deepEqual(checker.push("x"), { text: "ENx", stopped: false });
  assert.deepEqual(checker.push("hello"), { text: "hello", stopped: false });
  assert.deepEqual(checker.push(" EN"), { text: " ", stopped: false });
  assert.deepEqual(checker.push("D and more"), { text: "", stopped: true, matched: "END" });
});

test("flush releases the held text when generation ends otherwise", () => {
  const checker = new StopChecker("END");
  assert.equal(checker.push("hello EN").text, "hello ");
  assert.equal(checker.flush(), "EN");
  assert.equal(checker.stopped, false);
});

test("the stop string is cut off, or kept with includeStopStringInOutput", () => {
  assert.deepEqual(new StopChecker(["END"]).push("hello END more"), { text: "hello ", stopped: true, matched: "END" });
  const inclusive = new StopChecker(["END"], { includeStopStringInOutput: true });
  assert.deepEqual(inclusive.push("hello END more"), { text: "hello END", stopped: true, matched: "END" });
});

test("a stop string spread over many deltas", () => {
  const checker = new StopChecker(["</answer>"]);
  const results = ["The answer is 42</", "ans", "wer", ">", " trailing"].map((d) => checker.push(d));
  assert.deepEqual(results.map((r) => r.text), ["The answer is 42", "", "", "", ""]);
  assert.equal(results[3].stopped, true);
});

test("the stop string completed first wins, then the longest", () => {
  // "ab" is complete before "abc" could be.
  assert.deepEqual(expected("xxabcxx", ["abc", "ab", "bc"]), { output: "xx", matched: "ab" });
  // "bc" completes before "abcd", although "abcd" starts earlier.
  assert.deepEqual(feed(["abcd", "bc"], ["abcd"]), { output: "a", matched: "bc" });
  // Both complete at "c": the longer one, which started first.
  assert.deepEqual(feed(["bc", "abc"], ["xabcx"]), { output: "x", matched: "abc" });
  assert.deepEqual(feed(["bc", "abc"], ["xabcx"], { includeStopStringInOutput: true }), { output: "xabc", matched: "abc" });
  // List order does not matter.
  assert.deepEqual(feed(["x", "b"], ["abx"]), { output: "a", matched: "b" });
});

test("self-overlapping stop strings are matched where they first complete", () => {
  assert.deepEqual(feed(["aab"], ["a", "a", "a", "b"]), { output: "a", matched: "aab" });
  assert.deepEqual(feed(["abab"], ["ababab"]), { output: "", matched: "abab" });
  assert.deepEqual(feed(["aabaaab"], ["aabaabaaab"]), { output: "aab", matched: "aabaaab" });
});

test("output does not depend on chunking", () => {
  const cases: [string, string[]][] = [
    ["hello END world", ["END"]],
    ["hello EN", ["END"]],
    ["no stop here", ["END", "STOP"]],
    ["xxabcxx", ["ab", "abc", "bc"]],
    ["xxbcabc", ["ab", "abc", "bc"]],
    ["aaab aab", ["aab"]],
    ["abababx", ["ababx", "abx"]],
    ["Stop\n\nUser: hi", ["\n\nUser:", "\n\n"]],
    ["日本語の中文です", ["中文"]],
    ["中中文", ["中文"]],
    ["music 𝄞 end 𝄞end!", ["𝄞end"]],
    ["naïve café", ["é", "ï"]],
    ["𝄞𝄞𝄢", ["𝄞𝄢"]],
    ["emoji 🎉 party", ["🎊"]],
    ["﷽ text", ["﷽"]],
    ["a long stop string almost: <|im_end|", ["<|im_end|>"]],
    ["chat<|im_end|>\nnext", ["<|im_end|>", "<|im"]],
    ["empty ones are ignored", ["", "ignored"]],
    ["nothing to stop", []],
  ];
  for (const [text, stops] of cases) checkAllChunkings(text, stops);
});

test("no stop strings: everything passes straight through", () => {
  for (const stop of [undefined, null, [], [""], ""]) {
    const checker = new StopChecker(stop);
    assert.deepEqual(checker.push("anything END"), { text: "anything END", stopped: false });
    assert.equal(checker.flush(), "");
  }
});

test("a surrogate pair split across deltas is not emitted by halves", () => {
  const checker = new StopChecker(["END"]);
  assert.deepEqual(checker.push("a\uD834"), { text: "a", stopped: false });
  assert.deepEqual(checker.push("\uDD1Eb"), { text: "𝄞b", stopped: false });
});

test("random texts, stops and chunkings agree with the brute-force specification", () => {
  let seed = 2024;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const word = (alphabet: string[], max: number): string =>
    Array.from({ length: 1 + random(max) }, () => alphabet[random(alphabet.length)]).join("");
  for (let round = 0; round < 3000; round++) {
    const alphabet = round % 2 === 0 ? ["a", "b"] : ["a", "b", "é", "𝄞"];
    const text = word(alphabet, 30);
    const stops = Array.from({ length: random(4) }, () => word(alphabet, 5));
    const include = random(2) === 1;
    const chunks: string[] = [];
    for (let at = 0; at < text.length; ) {
      const size = random(5);
      chunks.push(text.slice(at, at + size));
      at += size;
    }
    assert.deepEqual(feed(stops, chunks, { includeStopStringInOutput: include }), expected(text, stops, include),
      `${JSON.stringify(chunks)} with stops ${JSON.stringify(stops)}, include=${include}`);
  }
});
