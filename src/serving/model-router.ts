/**
 * Several models behind one API: each request goes to the model its `model`
 * field names (absent or empty: the first model), loading it first if needed
 * (model-registry.ts), and holds a lease on it until the request is done (its
 * handle's `onDone`: the response has ended and its generations have left the
 * engine), so a model is never unloaded under a running request. This is the
 * one place a model name is resolved, and the one 404 for an unknown name.
 * `/v1/models` lists every served name, aliases and LoRA adapters included
 * (vLLM's `root` and `parent`).
 */
import type { EmbeddingsServing } from "../protocol/embeddings.js";
import { toModelList, type ModelCard } from "../protocol/model-list.js";
import { ModelNotFoundError } from "../errors.js";
import type { RequestHandle } from "../request-handle.js";
import type { ModelRegistry } from "./model-registry.js";
import type { OpenAIServing, ServingResult } from "../protocol/serving.js";
import type { DetokenizeResponse, TokenizationServing, TokenizeResponse } from "../protocol/tokenization.js";

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
    return toModelList(this.cards, this.createdAt);
  }

  chatCompletions(body: Record<string, unknown>, handle: RequestHandle): Promise<ServingResult> {
    return this.run(body, handle, (model, name) => model.serving.chatCompletions(body, handle, name));
  }

  completions(body: Record<string, unknown>, handle: RequestHandle): Promise<ServingResult> {
    return this.run(body, handle, (model, name) => model.serving.completions(body, handle, name));
  }

  embeddings(body: Record<string, unknown>, handle: RequestHandle): Promise<ServingResult> {
    return this.run(body, handle, (model, name) => model.embeddings.embeddings(body, handle, name));
  }

  /** An operation on the OpenAIServing of the model `body.model` names, with that name. */
  withServing(body: Record<string, unknown>, handle: RequestHandle, operation: (serving: OpenAIServing, model: string) => ServingResult): Promise<ServingResult> {
    return this.run(body, handle, (model, name) => operation(model.serving, name));
  }

  tokenize(body: Record<string, unknown>, handle: RequestHandle): Promise<TokenizeResponse> {
    return this.run(body, handle, (model) => model.tokenization.tokenize(body));
  }

  detokenize(body: Record<string, unknown>, handle: RequestHandle): Promise<DetokenizeResponse> {
    return this.run(body, handle, (model) => model.tokenization.detokenize(body));
  }

  /** Runs `operation` on the model the body names, leased until the request is done. */
  private async run<T>(body: Record<string, unknown>, handle: RequestHandle, operation: (model: ServedModel, name: string) => T): Promise<T> {
    // A `model` that is not a string goes to the first model, whose schema check answers the 400.
    const name = typeof body.model === "string" && body.model !== "" ? body.model : this.cards[0].id;
    if (!this.registry.has(name)) throw new ModelNotFoundError(name, this.cards.map((card) => card.id));
    const lease = await this.registry.acquire(name);
    handle.onDone(() => lease.release());
    return operation(lease.value.servedModel(name), name);
  }
}
