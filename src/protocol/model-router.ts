/**
 * Several models behind one API: each request goes to the model its `model`
 * field names (absent or empty: the first model), loading it first if needed
 * (model-registry.ts), and holds a lease on it until its answer is complete,
 * so a model is never unloaded under a running request. `/v1/models` lists
 * every served name, aliases and LoRA adapters included (vLLM's `root` and
 * `parent`).
 */
import type { EmbeddingsServing } from "./embeddings.js";
import { ModelNotFoundError } from "../errors.js";
import type { ModelRegistry } from "../engine/model-registry.js";
import type { OpenAIServing, RequestContext, ServingResult } from "./serving.js";
import type { DetokenizeResponse, TokenizationServing, TokenizeResponse } from "./tokenization.js";

/** One served name's operations, while its model is loaded. */
export interface ServedModel {
  serving: OpenAIServing;
  tokenization: TokenizationServing;
  embeddings: EmbeddingsServing;
}

/** What a loaded registry entry offers: the operations of each of its names. */
export interface LoadedModels {
  servedModel(name: string): ServedModel;
}

/** A `/v1/models` entry, known without loading the model. */
export interface ModelCard {
  id: string;
  /** The base model's first name, or for a LoRA adapter its file (vLLM's). */
  root: string;
  /** For a LoRA adapter, its base model's first name. */
  parent: string | null;
  maxModelLen: number;
}

export class ModelRouter {
  private readonly cards: ModelCard[];

  constructor(
    private readonly registry: ModelRegistry<LoadedModels>,
    cards: readonly ModelCard[],
    private readonly createdAt: number,
  ) {
    this.cards = [...cards];
  }

  /** A LoRA adapter loaded at run time joins /v1/models. */
  addCard(card: ModelCard): void {
    this.cards.push(card);
  }

  removeCard(id: string): void {
    const index = this.cards.findIndex((card) => card.id === id);
    if (index >= 0) this.cards.splice(index, 1);
  }

  listModels(): unknown {
    return {
      object: "list",
      data: this.cards.map((card) => ({
        id: card.id,
        object: "model",
        created: this.createdAt,
        owned_by: "pagoda",
        root: card.root,
        parent: card.parent,
        max_model_len: card.maxModelLen,
      })),
    };
  }

  chatCompletions(body: Record<string, unknown>, context: RequestContext): Promise<ServingResult> {
    return this.run(body, (model) => model.serving.chatCompletions(body, context));
  }

  completions(body: Record<string, unknown>, context: RequestContext): Promise<ServingResult> {
    return this.run(body, (model) => model.serving.completions(body, context));
  }

  embeddings(body: Record<string, unknown>, context: RequestContext): Promise<ServingResult> {
    return this.run(body, (model) => model.embeddings.embeddings(body, context));
  }

  /** An operation on the OpenAIServing of the model `body.model` names, holding its lease until the answer is complete. */
  withServing(body: Record<string, unknown>, operation: (serving: OpenAIServing) => ServingResult): Promise<ServingResult> {
    return this.run(body, (model) => operation(model.serving));
  }

  async tokenize(body: Record<string, unknown>): Promise<TokenizeResponse> {
    const { model, release } = await this.acquire(body);
    try {
      return model.tokenization.tokenize(body);
    } finally {
      release();
    }
  }

  async detokenize(body: Record<string, unknown>): Promise<DetokenizeResponse> {
    const { model, release } = await this.acquire(body);
    try {
      return model.tokenization.detokenize(body);
    } finally {
      release();
    }
  }

  private async run(body: Record<string, unknown>, operation: (model: ServedModel) => ServingResult): Promise<ServingResult> {
    const { model, release } = await this.acquire(body);
    let result: ServingResult;
    try {
      result = operation(model);
    } catch (error) {
      release();
      throw error;
    }
    if (result.kind === "json") return { ...result, body: Promise.resolve(result.body).finally(release) };
    return { ...result, chunks: releasingWhenDone(result.chunks, release) };
  }

  private async acquire(body: Record<string, unknown>): Promise<{ model: ServedModel; release: () => void }> {
    // A `model` that is not a string goes to the first model, whose schema check answers the 400.
    const requested = typeof body.model === "string" && body.model !== "" ? body.model : this.cards[0].id;
    if (!this.registry.has(requested)) throw new ModelNotFoundError(requested, this.cards.map((card) => card.id));
    const lease = await this.registry.acquire(requested);
    return { model: lease.value.servedModel(requested), release: lease.release };
  }
}

/**
 * The same chunks, calling `release` once the stream ends, fails, or is given
 * up by its reader (`return()`, even before the first chunk: a generator's
 * `finally` would not run then).
 */
function releasingWhenDone<T>(chunks: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = chunks[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            const result = await iterator.next();
            if (result.done) release();
            return result;
          } catch (error) {
            release();
            throw error;
          }
        },
        async return(value?: unknown) {
          release();
          return (await iterator.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
