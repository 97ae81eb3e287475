/**
 * One tensor of a generated model before its bytes exist: the plans of each
 * architecture (./generate-model.ts, ./bert-model.ts) list these, and the
 * writer turns each into seeded values.
 */
import type { GgmlTypeName } from "./gguf-types.js";

/** How a tensor's values are made: constant (norm weights) or random with a std. */
export type TensorInit = { kind: "ones" } | { kind: "random"; std: number };

export interface PlannedTensor {
  name: string;
  shape: number[];
  type: GgmlTypeName;
  init: TensorInit;
}
