/** What `pagoda ls` shows about a GGUF, read from its header only. */
import { readGgufInfoSync } from "./gguf-reader.js";

export interface GgufSummary {
  architecture: string | null;
  contextLength: number | null;
  hasChatTemplate: boolean;
  /** From `general.file_type` (llama.cpp's llama_ftype), e.g. "Q4_K_M". */
  quant: string | null;
}

// llama.cpp's enum llama_ftype (include/llama.h); gaps are removed types.
const fileTypeNames: Record<number, string> = {
  0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M",
  13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS",
  21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
  29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
};

/** null when the file is not a readable GGUF. */
export function summarizeGguf(path: string): GgufSummary | null {
  let metadata;
  try {
    metadata = readGgufInfoSync(path, { skipArrays: true }).metadata;
  } catch {
    return null;
  }
  const architecture = metadata.get("general.architecture");
  const arch = architecture?.type === "string" ? architecture.value : null;
  const context = arch ? metadata.get(`${arch}.context_length`) : undefined;
  const fileType = metadata.get("general.file_type");
  return {
    architecture: arch,
    contextLength: context && typeof context.value === "number" ? context.value : context && typeof context.value === "bigint" ? Number(context.value) : null,
    hasChatTemplate: metadata.has("tokenizer.chat_template"),
    quant: fileType && typeof fileType.value === "number" ? (fileTypeNames[fileType.value] ?? null) : null,
  };
}
