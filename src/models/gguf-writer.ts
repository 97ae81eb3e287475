/**
 * Writes GGUF v3 files: header, typed metadata, tensor infos, then aligned tensor data.
 * Tensor data is pulled chunk by chunk from each tensor's source and written as it
 * comes, so a 500 MB model never sits in memory at once.
 */
import { open } from "node:fs/promises";
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  ggmlTypeLayout,
  GgufValueType,
  tensorByteSize,
  elementCount,
  type GgmlTypeName,
  type GgufMetadata,
  type GgufScalarType,
  type GgufValue,
} from "./gguf-types.js";
import { encodeTensorValues } from "./tensor-encoding.js";

export interface GgufTensorSource {
  /** llama.cpp name, e.g. "blk.0.attn_q.weight"; under 64 bytes (GGML_MAX_NAME). */
  name: string;
  /** ggml `ne` order: ne[0] is the row length (innermost), e.g. [hidden, vocab] for token_embd. */
  shape: readonly number[];
  type: GgmlTypeName;
  /**
   * The values with ne[0] varying fastest, in any chunking whose chunks are whole
   * blocks (multiples of 32 values for Q8_0). Called once, while the tensor is written;
   * each chunk is encoded before the next is pulled, so a source may reuse one buffer.
   */
  chunks(): Iterable<Float32Array>;
}

export interface WriteGgufOptions {
  /** Data alignment in bytes, a power of two; written as general.alignment. Default 32. */
  alignment?: number;
}

/** Writes `path` (overwriting it). Resolves once the file is complete and closed. */
export async function writeGguf(
  path: string,
  metadata: GgufMetadata,
  tensors: readonly GgufTensorSource[],
  options: WriteGgufOptions = {},
): Promise<void> {
  const alignment = resolveAlignment(metadata, options.alignment);
  const kvs = new Map(metadata);
  kvs.set("general.alignment", { type: "uint32", value: alignment });
  const header = encodeGgufHeader(kvs, tensors, alignment);

  const file = await open(path, "w");
  try {
    let position = 0;
    const write = async (buf: Buffer) => {
      await file.write(buf, 0, buf.length, position);
      position += buf.length;
    };
    await write(header);
    for (const tensor of tensors) {
      const expectedBytes = tensorByteSize(tensor.type, tensor.shape);
      const start = position;
      for (const chunk of tensor.chunks()) await write(encodeTensorValues(tensor.type, chunk));
      if (position - start !== expectedBytes) {
        throw new Error(`tensor ${tensor.name}: source gave ${position - start} bytes, shape needs ${expectedBytes}`);
      }
      // llama.cpp expects every tensor, the last one included, padded to the alignment.
      await write(Buffer.alloc(alignUp(position, alignment) - position));
    }
  } finally {
    await file.close();
  }
}

function resolveAlignment(metadata: GgufMetadata, requested: number | undefined): number {
  const existing = metadata.get("general.alignment");
  if (existing && existing.type !== "uint32") throw new Error("general.alignment must be uint32");
  const fromMetadata = existing?.value as number | undefined;
  if (requested !== undefined && fromMetadata !== undefined && requested !== fromMetadata) {
    throw new Error(`alignment ${requested} conflicts with general.alignment ${fromMetadata}`);
  }
  const alignment = requested ?? fromMetadata ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new Error(`alignment must be a power of two, got ${alignment}`);
  }
  return alignment;
}

/** Everything before the tensor data: header, KVs, tensor infos and padding to the data section. */
export function encodeGgufHeader(metadata: GgufMetadata, tensors: readonly GgufTensorSource[], alignment: number): Buffer {
  const out = new ByteWriter();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.size));
  for (const [key, value] of metadata) {
    out.string(key);
    writeValue(out, value);
  }
  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    validateTensor(t, names);
    out.string(t.name);
    out.u32(t.shape.length);
    for (const dim of t.shape) out.u64(BigInt(dim));
    out.u32(GgmlType[t.type]);
    // Offsets are relative to the data section and must be exactly the running padded sum.
    out.u64(BigInt(offset));
    offset += alignUp(tensorByteSize(t.type, t.shape), alignment);
  }
  out.zeros(alignUp(out.length, alignment) - out.length);
  return out.toBuffer();
}

function validateTensor(t: GgufTensorSource, seen: Set<string>): void {
  if (Buffer.byteLength(t.name) >= 64) throw new Error(`tensor name too long for ggml: ${t.name}`);
  if (seen.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
  seen.add(t.name);
  if (t.shape.length < 1 || t.shape.length > 4) throw new Error(`tensor ${t.name}: 1..4 dims, got ${t.shape.length}`);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new Error(`tensor ${t.name}: bad shape ${t.shape}`);
  if (t.shape[0] % ggmlTypeLayout[t.type].blockSize !== 0) {
    throw new Error(`tensor ${t.name}: ${t.type} needs ne[0] divisible by ${ggmlTypeLayout[t.type].blockSize}`);
  }
  if (elementCount(t.shape) > Number.MAX_SAFE_INTEGER) throw new Error(`tensor ${t.name} too large`);
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  out.u32(GgufValueType[value.type]);
  if (value.type !== "array") {
    writeScalar(out, value.type, value.value);
    return;
  }
  out.u32(GgufValueType[value.itemType]);
  out.u64(BigInt(value.value.length));
  for (const item of value.value) writeScalar(out, value.itemType, item);
}

function writeScalar(out: ByteWriter, type: GgufScalarType, v: number | bigint | boolean | string): void {
  switch (type) {
    case "uint8": return out.fixed(1, (b, o) => b.writeUInt8(v as number, o));
    case "int8": return out.fixed(1, (b, o) => b.writeInt8(v as number, o));
    case "uint16": return out.fixed(2, (b, o) => b.writeUInt16LE(v as number, o));
    case "int16": return out.fixed(2, (b, o) => b.writeInt16LE(v as number, o));
    case "uint32": return out.u32(v as number);
    case "int32": return out.fixed(4, (b, o) => b.writeInt32LE(v as number, o));
    case "float32": return out.fixed(4, (b, o) => b.writeFloatLE(v as number, o));
    case "float64": return out.fixed(8, (b, o) => b.writeDoubleLE(v as number, o));
    case "uint64": return out.u64(v as bigint);
    case "int64": return out.fixed(8, (b, o) => b.writeBigInt64LE(v as bigint, o));
    case "bool": return out.fixed(1, (b, o) => b.writeUInt8(v ? 1 : 0, o));
    case "string": return out.string(v as string);
  }
}

/** Growable little-endian buffer; the qwen2 vocab's ~300k strings make per-item Buffers slow. */
class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  fixed(size: number, put: (buf: Buffer, offset: number) => void): void {
    this.reserve(size);
    put(this.buf, this.length);
    this.length += size;
  }
  u32(v: number): void {
    this.fixed(4, (b, o) => b.writeUInt32LE(v, o));
  }
  u64(v: bigint): void {
    this.fixed(8, (b, o) => b.writeBigUInt64LE(v, o));
  }
  string(s: string): void {
    const bytes = Buffer.byteLength(s, "utf8");
    this.u64(BigInt(bytes));
    this.fixed(bytes, (b, o) => b.write(s, o, "utf8"));
  }
  zeros(n: number): void {
    this.fixed(n, (b, o) => b.fill(0, o, o + n));
  }
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}
