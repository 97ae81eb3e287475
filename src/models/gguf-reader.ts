/**
 * Reads a GGUF file's metadata and tensor infos, never its tensor data, so it is
 * cheap even on the 500 MB bench model. Used to copy `tokenizer.*` keys out of
 * vocab-only GGUFs and by tests to check what the writer produced.
 */
import { closeSync, openSync, readSync } from "node:fs";
import {
  alignUp,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgufValueType,
  ggmlTypeName,
  type GgmlTypeName,
  type GgufMetadata,
  type GgufScalarType,
  type GgufValue,
} from "./gguf-types.js";

export interface GgufTensorInfo {
  name: string;
  /** ggml `ne` order, innermost first. */
  shape: number[];
  /** Known type name, or the raw ggml type id for types this project does not write. */
  type: GgmlTypeName | number;
  /** Offset from the start of the data section. */
  offset: number;
}

export interface GgufFileInfo {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset where tensor data starts. */
  dataOffset: number;
}

export interface GgufReadOptions {
  /**
   * Leave out array-valued keys (the vocabulary, merges, token types): their
   * elements are skipped, not read. What a server needs before loading the
   * weights (context length, KV shape) is scalar; reading a 150k-token
   * vocabulary's 300k strings only to drop them grows the JS heap for good.
   */
  skipArrays?: boolean;
}

export async function readGgufInfo(path: string): Promise<GgufFileInfo> {
  return readGgufInfoSync(path);
}

/**
 * Synchronous underneath: a real vocab has ~300k strings, and awaiting each read
 * took seconds; plain reads through a 1 MB window take tens of milliseconds.
 */
export function readGgufInfoSync(path: string, options: GgufReadOptions = {}): GgufFileInfo {
  const fd = openSync(path, "r");
  try {
    const r = new FileReader(fd);
    if (r.u32() !== GGUF_MAGIC) throw new Error(`${path}: not a GGUF file`);
    const version = r.u32();
    if (version !== 2 && version !== 3) throw new Error(`${path}: unsupported GGUF version ${version}`);
    const tensorCount = Number(r.u64());
    const kvCount = Number(r.u64());

    const metadata: GgufMetadata = new Map();
    for (let i = 0; i < kvCount; i++) {
      const key = r.string();
      const type = typeName(r.u32());
      if (type === "array" && options.skipArrays) skipArray(r);
      else metadata.set(key, readValue(r, type));
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = r.string();
      const nDims = r.u32();
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++) shape.push(Number(r.u64()));
      const typeId = r.u32();
      const offset = Number(r.u64());
      tensors.push({ name, shape, type: ggmlTypeName(typeId) ?? typeId, offset });
    }
    const alignmentKv = metadata.get("general.alignment");
    const alignment = alignmentKv?.type === "uint32" ? alignmentKv.value : GGUF_DEFAULT_ALIGNMENT;
    return { version, metadata, tensors, alignment, dataOffset: alignUp(r.position, alignment) };
  } finally {
    closeSync(fd);
  }
}

/** Just the KV pairs; e.g. `pickKeys(await readGgufMetadata(vocab), "tokenizer.")`. */
export async function readGgufMetadata(path: string): Promise<GgufMetadata> {
  return (await readGgufInfo(path)).metadata;
}

/** The entries whose key starts with `prefix`, in file order. */
export function pickKeys(metadata: GgufMetadata, prefix: string): GgufMetadata {
  return new Map([...metadata].filter(([key]) => key.startsWith(prefix)));
}

function typeName(id: number): GgufScalarType | "array" {
  const name = (Object.keys(GgufValueType) as (keyof typeof GgufValueType)[]).find((k) => GgufValueType[k] === id);
  if (!name) throw new Error(`unknown GGUF value type ${id}`);
  return name;
}

function readValue(r: FileReader, type: GgufScalarType | "array"): GgufValue {
  if (type !== "array") return { type, value: readScalar(r, type) } as GgufValue;
  const itemType = typeName(r.u32());
  if (itemType === "array") throw new Error("nested GGUF arrays are not supported");
  const n = Number(r.u64());
  const value: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) value[i] = readScalar(r, itemType);
  return { type: "array", itemType, value } as GgufValue;
}

const scalarSizes: Record<Exclude<GgufScalarType, "string">, number> = {
  uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8,
};

function skipArray(r: FileReader): void {
  const itemType = typeName(r.u32());
  if (itemType === "array") throw new Error("nested GGUF arrays are not supported");
  const n = Number(r.u64());
  if (itemType !== "string") return r.skip(n * scalarSizes[itemType]);
  for (let i = 0; i < n; i++) r.skip(Number(r.u64()));
}

function readScalar(r: FileReader, type: GgufScalarType): number | bigint | boolean | string {
  switch (type) {
    case "uint8": return (r.take(1)).readUInt8(0);
    case "int8": return (r.take(1)).readInt8(0);
    case "uint16": return (r.take(2)).readUInt16LE(0);
    case "int16": return (r.take(2)).readInt16LE(0);
    case "uint32": return r.u32();
    case "int32": return (r.take(4)).readInt32LE(0);
    case "float32": return (r.take(4)).readFloatLE(0);
    case "float64": return (r.take(8)).readDoubleLE(0);
    case "uint64": return r.u64();
    case "int64": return (r.take(8)).readBigInt64LE(0);
    case "bool": return (r.take(1)).readUInt8(0) !== 0;
    case "string": return r.string();
  }
}

/** Sequential reads through a 1 MB window, refilled only when it runs dry. */
class FileReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  constructor(private readonly fd: number) {}

  take(n: number): Buffer {
    const rel = this.position - this.windowStart;
    if (rel + n > this.window.length) {
      const size = Math.max(n, 1 << 20);
      const buf = Buffer.alloc(size);
      const bytesRead = readSync(this.fd, buf, 0, size, this.position);
      if (bytesRead < n) throw new Error(`unexpected end of GGUF file at byte ${this.position}`);
      this.window = buf.subarray(0, bytesRead);
      this.windowStart = this.position;
    }
    const start = this.position - this.windowStart;
    this.position += n;
    return this.window.subarray(start, start + n);
  }
  skip(n: number): void {
    this.position += n; // the next take() refills the window if this left it
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  u64(): bigint {
    return this.take(8).readBigUInt64LE(0);
  }
  string(): string {
    const len = Number(this.u64());
    return this.take(len).toString("utf8");
  }
}
