import { test } from "node:test";
import assert from "node:assert/strict";
import { IncrementalDetokenizer, type Decode } from "./incremental-detokenizer.js";

const encoder = new TextEncoder();
const lenient = new TextDecoder("utf-8", { fatal: false });

/** Tokens are bytes, like a byte-level BPE vocabulary with only single-byte tokens. */
const byteDecode: Decode = (ids) => lenient.decode(Uint8Array.from(ids));

/** A vocabulary built on the fly: every distinct byte sequence becomes a token. */
class ByteVocab {
  private readonly pieces: Uint8Array[] = [];
  private readonly ids = new Map<string, number>();

  id(bytes: readonly number[]): number {
    const key = bytes.join(",");
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(Uint8Array.from(bytes));
      this.ids.set(key, id);
    }
    return id;
  }

  readonly decode: Decode = (ids) => {
    const parts = ids.map((id) => this.pieces[id]);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return lenient.decode(all);
  };
}

/** SentencePiece-like: "▁" is a space, "<0xNN>" a fallback byte, and one leading space is dropped. */
function sentencePiece(vocab: readonly string[]): Decode {
  return (ids) => {
    const bytes: number[] = [];
    for (const id of ids) {
      const piece = vocab[id];
      const fallback = /^<0x([0-9A-F]{2})>$/.exec(piece);
      if (fallback) bytes.push(parseInt(fallback[1], 16));
      else bytes.push(...encoder.encode(piece.replaceAll("▁", " ")));
    }
    const text = lenient.decode(Uint8Array.from(bytes));
    return text.startsWith(" ") ? text.slice(1) : text;
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function withoutTrailingReplacement(text: string): string {
  return text.replace(/\uFFFD+$/, "");
}

/** Runs the tokens through a fresh detokenizer, checking the invariants that hold for any input. */
function run(decode: Decode, ids: readonly number[], reference: Decode = decode): { pushes: string[]; flushed: string } {
  const detok = new IncrementalDetokenizer(decode);
  const pushes = ids.map((id) => detok.push(id));
  const flushed = detok.flush();
  assert.equal(pushes.join("") + flushed, reference(ids), `tokens ${JSON.stringify(ids)}`);
  assert.equal(detok.text, reference(ids));
  return { pushes, flushed };
}

/** Checks that valid UTF-8 comes out whole, without delay and without U+FFFD. */
function runValid(decode: Decode, ids: readonly number[]): void {
  const detok = new IncrementalDetokenizer(decode);
  for (let i = 0; i < ids.length; i++) {
    const delta = detok.push(ids[i]);
    assert.ok(!delta.includes("\uFFFD"), `push ${i} of ${JSON.stringify(ids)} gave ${JSON.stringify(delta)}`);
    assert.ok(!LONE_SURROGATE.test(delta), `push ${i} split a surrogate pair`);
    // Everything that is final must be out already: holding back is only for unfinished characters.
    assert.equal(detok.text, withoutTrailingReplacement(decode(ids.slice(0, i + 1))));
  }
  assert.equal(detok.flush(), "");
  assert.equal(detok.text, decode(ids));
}

/** Every way to cut `bytes` into consecutive non-empty tokens. */
function* segmentations(bytes: readonly number[]): Generator<number[][]> {
  const cuts = bytes.length - 1;
  for (let mask = 0; mask < 1 << cuts; mask++) {
    const tokens: number[][] = [];
    let start = 0;
    for (let i = 0; i < cuts; i++) {
      if (mask & (1 << i)) {
        tokens.push(bytes.slice(start, i + 1));
        start = i + 1;
      }
    }
    tokens.push(bytes.slice(start));
    yield tokens;
  }
}

function bytesOf(text: string): number[] {
  return Array.from(encoder.encode(text));
}

test("ASCII comes out one token at a time", () => {
  const detok = new IncrementalDetokenizer(byteDecode);
  assert.deepEqual(bytesOf("Hi!").map((b) => detok.push(b)), ["H", "i", "!"]);
  assert.equal(detok.flush(), "");
  assert.equal(detok.text, "Hi!");
});

test("a multi-byte character is held until its last byte", () => {
  for (const [char, size] of [["é", 2], ["中", 3], ["﷽", 3], ["𝄞", 4]] as const) {
    const bytes = bytesOf(char);
    assert.equal(bytes.length, size);
    const detok = new IncrementalDetokenizer(byteDecode);
    const pushes = bytes.map((b) => detok.push(b));
    assert.deepEqual(pushes, [...new Array<string>(size - 1).fill(""), char]);
  }
});

test("single-byte tokens: valid text is emitted whole and at once", () => {
  for (const text of ["plain ascii", "café", "x中y", "a𝄞b", "﷽!", "é中𝄞﷽", "\uFEFFbom", "🎉🎉 done"]) {
    runValid(byteDecode, bytesOf(text));
  }
});

test("every segmentation into multi-byte tokens keeps characters whole", () => {
  let cases = 0;
  for (const text of ["aéb", "x中y", "﷽!", "a𝄞b", "𝄞𝄞", "é中𝄞﷽", "ab中"]) {
    for (const tokens of segmentations(bytesOf(text))) {
      const vocab = new ByteVocab();
      runValid(vocab.decode, tokens.map((t) => vocab.id(t)));
      cases++;
    }
  }
  assert.ok(cases > 2000, `only ${cases} segmentations`);
});

test("tokens that all end mid-character, over a long stream", () => {
  // [E4] [B8 AD E4] [B8 AD E4] ...: the window is always unfinished, yet each 中 comes out as soon as it is complete.
  const bytes = bytesOf("中".repeat(200));
  const tokens = [bytes.slice(0, 1)];
  for (let i = 1; i + 3 <= bytes.length; i += 3) tokens.push(bytes.slice(i, i + 3));
  tokens.push(bytes.slice(bytes.length - 2));
  const vocab = new ByteVocab();
  const ids = tokens.map((t) => vocab.id(t));
  const detok = new IncrementalDetokenizer(vocab.decode);
  const pushes = ids.map((id) => detok.push(id));
  assert.deepEqual(pushes, ["", ...new Array<string>(200).fill("中")]);
  assert.equal(detok.flush(), "");
});

test("invalid bytes come out as U+FFFD, in order", () => {
  assert.deepEqual(run(byteDecode, [0x61, 0xff, 0x62]), { pushes: ["a", "", "\uFFFDb"], flushed: "" });
  // A lead byte followed by ASCII: the lead byte was invalid after all.
  assert.deepEqual(run(byteDecode, [0xe4, 0x41]), { pushes: ["", "\uFFFDA"], flushed: "" });
  // A stray continuation byte in the middle.
  assert.deepEqual(run(byteDecode, [0x61, 0xb8, 0xe4, 0xb8, 0xad]).pushes.join(""), "a\uFFFD中");
  // Truncated at the end: flush releases it.
  assert.deepEqual(run(byteDecode, [0x61, 0xe4, 0xb8]), { pushes: ["a", "", ""], flushed: "\uFFFD" });
  assert.deepEqual(run(byteDecode, [0xf0, 0x9d, 0x84]), { pushes: ["", "", ""], flushed: "\uFFFD" });
  run(byteDecode, [0xed, 0xa0, 0x80, 0x61]); // an encoded surrogate
  run(byteDecode, [0xc0, 0xaf, 0x61]); // an overlong encoding
});

test("a long run of garbage is released instead of held forever", () => {
  const ids = [0x61, ...new Array<number>(100).fill(0xff), 0x62];
  const detok = new IncrementalDetokenizer(byteDecode);
  const pushes = ids.map((id) => detok.push(id));
  assert.ok(pushes.slice(0, 20).join("").includes("\uFFFD"), "garbage still held after 20 tokens");
  assert.equal(pushes.join("") + detok.flush(), byteDecode(ids));
});

test("releasing garbage keeps back a character that may still complete", () => {
  // The ninth unfinished token forces a release; the lead byte E4 at its end must survive it.
  const ids = [...new Array<number>(8).fill(0xff), 0xe4, 0xb8, 0xad];
  assert.equal(run(byteDecode, ids).pushes.join(""), "\uFFFD".repeat(8) + "中");
  // Tokens that decode to nothing (skipped special tokens) inside a character.
  const skipZero: Decode = (window) => byteDecode(window.filter((id) => id !== 0));
  assert.equal(run(skipZero, [0xc3, ...new Array<number>(12).fill(0), 0xa9]).pushes.join(""), "é");
});

test("random byte streams, valid or not, always add up to the full decode", () => {
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const interesting = [0x41, 0x20, 0xc3, 0xa9, 0xe4, 0xb8, 0xad, 0xf0, 0x9d, 0x84, 0x9e, 0xff, 0x80];
  for (let round = 0; round < 500; round++) {
    const bytes = Array.from({ length: 1 + random(40) }, () => interesting[random(interesting.length)]);
    const vocab = new ByteVocab();
    const ids: number[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + random(4);
      ids.push(vocab.id(bytes.slice(at, at + size)));
      at += size;
    }
    run(vocab.decode, ids);
  }
  for (let round = 0; round < 300; round++) {
    const text = Array.from({ length: 1 + random(60) }, () => ["a", " ", "é", "中", "𝄞", "﷽", "\n"][random(7)]).join("");
    const bytes = bytesOf(text);
    const vocab = new ByteVocab();
    const ids: number[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + random(5);
      ids.push(vocab.id(bytes.slice(at, at + size)));
      at += size;
    }
    runValid(vocab.decode, ids);
  }
});

test("each push decodes a bounded window, however long the output", () => {
  for (const ids of [
    bytesOf("lorem ipsum ".repeat(500)),
    bytesOf("中𝄞".repeat(500)),
    new Array<number>(2000).fill(0xff),
  ]) {
    let longest = 0;
    const spy: Decode = (window) => {
      longest = Math.max(longest, window.length);
      return byteDecode(window);
    };
    run(spy, ids, byteDecode);
    assert.ok(longest <= 32, `decoded ${longest} tokens at once`);
  }
});

test("tokens that decode to nothing do not grow the window", () => {
  // Id 0 stands for a special token the decoder skips.
  const skipZero: Decode = (ids) => byteDecode(ids.filter((id) => id !== 0));
  let longest = 0;
  const spy: Decode = (window) => {
    longest = Math.max(longest, window.length);
    return skipZero(window);
  };
  const ids = [0x61, ...new Array<number>(1000).fill(0), 0xc3, 0, 0xa9, ...new Array<number>(1000).fill(0), 0x62];
  const { pushes } = run(spy, ids, skipZero);
  assert.equal(pushes.join(""), "aéb");
  assert.ok(longest <= 32, `decoded ${longest} tokens at once`);
});

const SP_VOCAB = ["▁Hello", ",", "▁world", "▁", "!", "<0xE4>", "<0xB8>", "<0xAD>", "▁the", "re", "▁▁", "<0xF0>", "<0x9D>", "<0x84>", "<0x9E>", "\n"];
const spDecode = sentencePiece(SP_VOCAB);
const sp = (...pieces: string[]): number[] => pieces.map((p) => {
  const id = SP_VOCAB.indexOf(p);
  assert.ok(id >= 0, p);
  return id;
});

test("SentencePiece: spaces inside the text survive although each token starts a fresh decode", () => {
  // Decoding tokens one by one would lose every space.
  const ids = sp("▁Hello", ",", "▁world", "!");
  assert.equal(ids.map((id) => spDecode([id])).join(""), "Hello,world!");
  const detok = new IncrementalDetokenizer(spDecode);
  assert.deepEqual(ids.map((id) => detok.push(id)), ["Hello", ",", " world", "!"]);
  runValid(spDecode, ids);
  runValid(spDecode, sp("▁the", "re", "▁", "▁", "▁▁", "▁world", "\n", "▁Hello"));
  runValid(spDecode, sp("▁", "▁Hello"));
});

test("SentencePiece: byte-fallback pieces form characters", () => {
  const ids = sp("▁Hello", "▁", "<0xE4>", "<0xB8>", "<0xAD>", "<0xF0>", "<0x9D>", "<0x84>", "<0x9E>", "!");
  const detok = new IncrementalDetokenizer(spDecode);
  assert.deepEqual(ids.map((id) => detok.push(id)), ["Hello", " ", "", "", "中", "", "", "", "𝄞", "!"]);
  runValid(spDecode, ids);
});

test("SentencePiece: a long stream keeps its spaces across window trims", () => {
  const sentence = sp("▁Hello", ",", "▁", "▁world", "<0xE4>", "<0xB8>", "<0xAD>", "▁the", "re", "!", "▁▁", "\n");
  const ids = Array.from({ length: 60 }, () => sentence).flat();
  runValid(spDecode, ids);
});

test("context tokens render the first output token as a continuation", () => {
  const prompt = sp("▁the", "re");
  const detok = new IncrementalDetokenizer(spDecode, { contextTokenIds: prompt });
  assert.equal(detok.push(sp("▁world")[0]), " world");
  assert.equal(detok.push(sp("!")[0]), "!");
  assert.equal(detok.flush(), "");
  assert.equal(detok.text, " world!");
  // Without context the leading space is lost, as in decode(output).
  const bare = new IncrementalDetokenizer(spDecode);
  assert.equal(bare.push(sp("▁world")[0]), "world");
});

test("a long prompt as context: only its tail is decoded", () => {
  let longest = 0;
  const spy: Decode = (window) => {
    longest = Math.max(longest, window.length);
    return byteDecode(window);
  };
  const detok = new IncrementalDetokenizer(spy, { contextTokenIds: bytesOf("x".repeat(10_000) + "中") });
  assert.equal(detok.push(0x21), "!");
  assert.ok(longest <= 16);
});
