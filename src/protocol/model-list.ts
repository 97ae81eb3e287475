/** `GET /v1/models`: the served names as OpenAI's model list, with vLLM's `root`, `parent` and `max_model_len`. */

/** A `/v1/models` entry, known without loading the model. */
export interface ModelCard {
  id: string;
  /** The base model's first name, or for a LoRA adapter its file (vLLM's). */
  root: string;
  /** For a LoRA adapter, its base model's first name. */
  parent: string | null;
  maxModelLen: number;
}

/** `created`: Unix seconds, the server's start. */
export function toModelList(cards: readonly ModelCard[], created: number): unknown {
  return {
    object: "list",
    data: cards.map((card) => ({
      id: card.id,
      object: "model",
      created,
      owned_by: "pagoda",
      root: card.root,
      parent: card.parent,
      max_model_len: card.maxModelLen,
    })),
  };
}
