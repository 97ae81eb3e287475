import assert from "node:assert/strict";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readGgufInfo, readGgufInfoSync } from "./gguf-reader.js";
import { gguf, type GgufMetadata, type GgufValue } from "./gguf-types.js";
import { writeGguf, type GgufTensorSource } from "./gguf-writer.js";
import { encodeTensorValues } from "./tensor-encoding.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "pagoda-gguf-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tensor whose values are 0, 1, 2, ... scaled, delivered in chunks of `chunk` values. */
function counting(name: string, shape: number[], type: GgufTensorSource["type"], chunk = 32): GgufTensorSource & { all: Float32Array } {
  const all = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => (i % 97) * 0.125 - 6);
  return {
    name,
    shape,
    type,
    all,
    *chunks() {
      for (let i = 0; i < all.length; i += chunk) yield all.slice(i, i + chunk);
    },
  };
}

const everyType: [string, GgufValue][] = [
  ["t.u8", gguf.u8(200)],
  ["t.i8", { type: "int8", value: -100 }],
  ["t.u16", { type: "uint16", value: 65535 }],
  ["t.i16", { type: "int16", value: -32768 }],
  ["t.i32", gguf.i32(-123456)],
  ["t.u32", gguf.u32(4000000000)],
  ["t.u64", gguf.u64(2n ** 40n + 7n)],
  ["t.i64", { type: "int64", value: -(2n ** 50n) }],
  ["t.f32", gguf.f32(0.5)],
  ["t.f64", { type: "float64", value: Math.PI }],
  ["t.bool", gguf.bool(true)],
  ["t.str", gguf.str("héllo <|im_end|> 𝄞")],
  ["t.strs", gguf.strs(["a", "", "Ġthe", "wörld"])],
  ["t.i32s", gguf.i32s([1, -2, 3])],
  ["t.f32s", gguf.f32s([0.25, -1.5])],
  ["t.empty", gguf.strs([])],
];

test("metadata round-trips through the reader with types and order intact", async () => {
  const path = join(dir, "kv.gguf");
  await writeGguf(path, new Map(everyType), []);
  const info = await readGgufInfo(path);
  assert.equal(info.version, 3);
  assert.deepEqual([...info.metadata], [...everyType, ["general.alignment", gguf.u32(32)]]);
  assert.deepEqual(info.tensors, []);
});

test("skipArrays leaves out array keys, even ones longer than the read window, and reads every key and tensor after them", async () => {
  const path = join(dir, "skip.gguf");
  const vocabulary = Array.from({ length: 200_000 }, (_, i) => `token-${i}`); // ~3.6 MB: past the 1 MB window
  const metadata: GgufMetadata = new Map([["tokenizer.ggml.tokens", gguf.strs(vocabulary)], ...everyType, ["after.arrays", gguf.u32(7)]]);
  await writeGguf(path, metadata, [counting("w", [4], "F32", 4)]);
  const full = readGgufInfoSync(path);
  const scalars = readGgufInfoSync(path, { skipArrays: true });
  assert.deepEqual([...scalars.metadata], [...full.metadata].filter(([, value]) => value.type !== "array"));
  assert.equal(scalars.metadata.get("after.arrays")?.value, 7);
  assert.deepEqual(scalars.tensors, full.tensors);
  assert.equal(scalars.dataOffset, full.dataOffset);
});

test("tensor infos, offsets and data round-trip for F32, F16 and Q8_0", async () => {
  const path = join(dir, "tensors.gguf");
  const tensors = [
    counting("a.weight", [3], "F32", 1), // 12 bytes: forces padding before the next tensor
    counting("b.weight", [64, 5], "Q8_0", 64 * 2),
    counting("c.weight", [7, 3], "F16", 7),
    counting("d.weight", [32, 2, 2], "Q8_0"),
  ];
  await writeGguf(path, new Map([["general.architecture", gguf.str("llama")]]), tensors);
  const info = await readGgufInfo(path);
  assert.deepEqual(
    info.tensors.map(({ name, shape, type }) => ({ name, shape, type })),
    tensors.map(({ name, shape, type }) => ({ name, shape, type })),
  );
  assert.deepEqual(info.tensors.map((t) => t.offset), [0, 32, 32 + 352, 32 + 352 + 64]);

  const file = await readFile(path);
  for (const [i, t] of tensors.entries()) {
    const expected = encodeTensorValues(t.type, t.all);
    const start = info.dataOffset + info.tensors[i].offset;
    assert.deepEqual(file.subarray(start, start + expected.length), expected, t.name);
  }
});

test("data section, every tensor and the file end are aligned", async () => {
  for (const alignment of [32, 64, 256]) {
    const path = join(dir, `align-${alignment}.gguf`);
    const tensors = [counting("x", [5], "F32", 5), counting("y", [32, 3], "Q8_0"), counting("z", [9], "F16", 9)];
    const metadata: GgufMetadata = new Map([["general.name", gguf.str("odd-length-name")]]);
    await writeGguf(path, metadata, tensors, { alignment });
    const info = await readGgufInfo(path);
    assert.equal(info.alignment, alignment);
    assert.equal(info.dataOffset % alignment, 0);
    for (const t of info.tensors) assert.equal(t.offset % alignment, 0);
    assert.equal((await stat(path)).size % alignment, 0);
    // The header ends in zero padding right up to the data section.
    const handle = await open(path, "r");
    const pad = Buffer.alloc(alignment);
    await handle.read(pad, 0, alignment, info.dataOffset - alignment);
    await handle.close();
    assert.ok(pad.subarray(pad.length - 1).every((b) => b === 0));
  }
});

test("writer refuses what llama.cpp would refuse", async () => {
  const path = join(dir, "bad.gguf");
  const none = new Map();
  await assert.rejects(writeGguf(path, none, [counting("q", [48, 2], "Q8_0", 96)]), /divisible by 32/);
  await assert.rejects(writeGguf(path, none, [counting("a", [4], "F32"), counting("a", [4], "F32")]), /duplicate/);
  await assert.rejects(writeGguf(path, none, [counting("n".repeat(64), [4], "F32")]), /too long/);
  await assert.rejects(writeGguf(path, none, [], { alignment: 48 }), /power of two/);
  const short: GgufTensorSource = { name: "s", shape: [8], type: "F32", *chunks() { yield new Float32Array(4); } };
  await assert.rejects(writeGguf(path, none, [short]), /source gave 16 bytes, shape needs 32/);
});
