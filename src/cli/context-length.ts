/**
 * The context length a model is served with (`--max-model-len`): checked
 * against what the model was trained for, as vLLM refuses a longer one
 * unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 says the user knows better (RoPE
 * scaling, a model whose metadata undersells it). Past its trained context a
 * model's output degrades silently, so refusing at start is the safe default.
 */
import { UsageError } from "../errors.js";

/** Without a shared KV pool, each slot owns its context for life: the default is capped to keep memory in bounds. */
export const defaultMaxModelLenWithoutPool = 4096;

export interface ContextLengthInputs {
  /** --max-model-len (or the config file's), null when not given. */
  requested: number | null;
  /** The model's trained context length (GGUF `<arch>.context_length`). */
  trainContextLength: number;
  /** --allow-long-max-model-len / PAGODA_ALLOW_LONG_MAX_MODEL_LEN. */
  allowLong: boolean;
  /** Sequences draw KV from one shared pool: a long default costs memory only when used. */
  isKvPoolAvailable: boolean;
  modelName: string;
}

export function resolveMaxModelLen(inputs: ContextLengthInputs): number {
  const { requested, trainContextLength, allowLong, isKvPoolAvailable, modelName } = inputs;
  if (requested === null) return isKvPoolAvailable ? trainContextLength : Math.min(trainContextLength, defaultMaxModelLenWithoutPool);
  if (requested > trainContextLength && !allowLong) {
    throw new UsageError(
      `--max-model-len ${requested} is longer than the ${trainContextLength} tokens model ${modelName} was trained with; ` +
        `output past its trained context may be garbage. To serve it anyway, add --allow-long-max-model-len ` +
        `(or set PAGODA_ALLOW_LONG_MAX_MODEL_LEN=1), or lower --max-model-len.`,
    );
  }
  return requested;
}
