/**
 * GGUF value and tensor types shared by the writer and the reader.
 * Numbering follows ggml's gguf.h / ggml.h: the numbers are the on-disk format.
 */

export const GgufValueType = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof GgufValueType, "array">;
export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
export type GgufBigIntType = "uint64" | "int64";

/**
 * A typed metadata value. The type travels with the value because llama.cpp checks
 * types strictly: e.g. `llama.context_length` must be uint32, not int32 or uint64.
 */
export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: GgufBigIntType; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: GgufNumberType; value: number[] }
  | { type: "array"; itemType: GgufBigIntType; value: bigint[] }
  | { type: "array"; itemType: "bool"; value: boolean[] }
  | { type: "array"; itemType: "string"; value: string[] };

/** Ordered: GGUF keeps KV pairs in file order, and a Map keeps insertion order. */
export type GgufMetadata = Map<string, GgufValue>;

// Short constructors so metadata tables read like the llama.cpp docs.
export const gguf = {
  u8: (value: number): GgufValue => ({ type: "uint8", value }),
  i32: (value: number): GgufValue => ({ type: "int32", value }),
  u32: (value: number): GgufValue => ({ type: "uint32", value }),
  u64: (value: number | bigint): GgufValue => ({ type: "uint64", value: BigInt(value) }),
  f32: (value: number): GgufValue => ({ type: "float32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  strs: (value: string[]): GgufValue => ({ type: "array", itemType: "string", value }),
  i32s: (value: number[]): GgufValue => ({ type: "array", itemType: "int32", value }),
  f32s: (value: number[]): GgufValue => ({ type: "array", itemType: "float32", value }),
};

/** ggml tensor types this project writes (ggml.h `enum ggml_type`). */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GgmlType;

/** Bytes per block and values per block, as ggml's type traits define them. */
export const ggmlTypeLayout: Record<GgmlTypeName, { blockSize: number; blockBytes: number }> = {
  F32: { blockSize: 1, blockBytes: 4 },
  F16: { blockSize: 1, blockBytes: 2 },
  Q8_0: { blockSize: 32, blockBytes: 34 },
};

export function ggmlTypeName(id: number): GgmlTypeName | undefined {
  return (Object.keys(GgmlType) as GgmlTypeName[]).find((name) => GgmlType[name] === id);
}

/** Byte size of a tensor's data, before alignment padding. */
export function tensorByteSize(type: GgmlTypeName, shape: readonly number[]): number {
  const { blockSize, blockBytes } = ggmlTypeLayout[type];
  if (shape[0] % blockSize !== 0) {
    throw new Error(`${type} needs rows divisible by ${blockSize}, got row length ${shape[0]}`);
  }
  return (elementCount(shape) / blockSize) * blockBytes;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian uint32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
