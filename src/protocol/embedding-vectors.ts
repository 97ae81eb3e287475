/** What /v1/embeddings does to a pooled vector on the way out: truncate, normalize, encode. */

/** The first `dimensions` values (Matryoshka truncation), then L2-normalized when asked; a zero vector stays zero. */
export function shapeVector(vector: Float32Array, options: { dimensions: number | null; normalize: boolean }): Float32Array {
  const kept = options.dimensions === null ? Float32Array.from(vector) : vector.slice(0, options.dimensions);
  if (!options.normalize) return kept;
  let sumOfSquares = 0;
  for (const value of kept) sumOfSquares += value * value;
  const norm = Math.sqrt(sumOfSquares);
  if (norm > 0) for (let i = 0; i < kept.length; i++) kept[i] /= norm;
  return kept;
}

/** OpenAI's `encoding_format: "base64"`: the float32 values, little-endian, base64. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString("base64");
}

/** The inverse of `toBase64`, as clients decode it. */
export function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}
