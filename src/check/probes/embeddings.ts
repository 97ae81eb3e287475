/** Embeddings: float and base64 encodings of the same vectors, and `dimensions`. */
import { accepted, expect, field, type Probe, type ProbeContext } from "../probe.js";
import { openaiDocs } from "./shared.js";

const input = ["The quick brown fox", "jumps over the lazy dog"];

async function embed(context: ProbeContext, extra: Record<string, unknown> = {}) {
  const exchange = await context.client.post("/embeddings", { model: context.embeddingModel, input, ...extra });
  const body = accepted(exchange);
  const data = field(body, "data");
  expect(field(body, "object") === "list" && Array.isArray(data) && data.length === input.length, `object "list" with ${input.length} entries in data`, exchange);
  for (const [i, entry] of data.entries()) expect(field(entry, "object") === "embedding" && field(entry, "index") === i, `entry ${i}: object "embedding", index ${i}`, exchange, entry);
  return { exchange, body, vectors: data.map((entry) => field(entry, "embedding")) };
}

function floats(exchange: Parameters<typeof expect>[2], vector: unknown): number[] {
  expect(Array.isArray(vector) && vector.length > 0 && vector.every((value) => typeof value === "number" && Number.isFinite(value)), "a non-empty list of finite numbers", exchange, vector);
  return vector;
}

export const embeddingsProbes: Probe[] = [
  {
    id: "embeddings.float",
    group: "embeddings",
    description: "embeddings of two inputs: list of {object: embedding, index, embedding: number[]} of one length, usage",
    doc: openaiDocs.embeddings("input"),
    async run(context) {
      const { exchange, body, vectors } = await embed(context);
      const lengths = vectors.map((vector) => floats(exchange, vector).length);
      expect(lengths[0] === lengths[1], "both vectors have one length", exchange, lengths);
      expect(Number.isInteger(field(body, "usage", "prompt_tokens")) && typeof field(body, "model") === "string", "usage.prompt_tokens and model", exchange);
    },
  },
  {
    id: "embeddings.base64",
    group: "embeddings",
    description: "encoding_format base64: little-endian float32 bytes of the same vectors as float",
    doc: openaiDocs.embeddings("encoding_format"),
    async run(context) {
      const plain = await embed(context);
      const encoded = await embed(context, { encoding_format: "base64" });
      for (const [i, text] of encoded.vectors.entries()) {
        expect(typeof text === "string", "each embedding is a base64 string", encoded.exchange, text);
        const bytes = Buffer.from(text, "base64");
        const decoded = Array.from({ length: bytes.length / 4 }, (_, j) => bytes.readFloatLE(j * 4));
        const expected = floats(plain.exchange, plain.vectors[i]);
        const isSame = decoded.length === expected.length && decoded.every((value, j) => Math.abs(value - expected[j]) <= 1e-5 * Math.max(1, Math.abs(expected[j])));
        expect(isSame, `entry ${i} decodes to the float vector`, encoded.exchange, { decoded: decoded.slice(0, 4), float: expected.slice(0, 4) });
      }
    },
  },
  {
    id: "embeddings.dimensions",
    group: "embeddings",
    description: "dimensions: 8 returns vectors of 8 values",
    doc: openaiDocs.embeddings("dimensions"),
    async run(context) {
      const { exchange, vectors } = await embed(context, { dimensions: 8 });
      for (const vector of vectors) expect(floats(exchange, vector).length === 8, "8 values per vector", exchange, vector);
    },
  },
];
