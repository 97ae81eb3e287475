/**
 * The page's only door to the server: the public HTTP API, relative to the
 * page's <base href> (so --root-path works), with the API key the user typed
 * (kept in sessionStorage: gone when the tab closes).
 */
import { eventData } from "./sse.js";

const keyStorage = "pagoda.apiKey";

export class ApiErrorReply extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export interface ListedModel {
  id: string;
  parent: string | null;
  max_model_len?: number;
}

type Listener = () => void;

class Api {
  private listeners = new Set<Listener>();
  /** True once a call was refused for the key; the page then asks for one. */
  needsKey = false;

  get key(): string {
    return sessionStorage.getItem(keyStorage) ?? "";
  }

  setKey(key: string): void {
    sessionStorage.setItem(keyStorage, key);
    this.needsKey = false;
    this.notify();
  }

  /** The /v1 base URL as an absolute address, for code snippets. */
  get baseUrl(): string {
    return new URL("v1", document.baseURI).href;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async models(): Promise<ListedModel[]> {
    const response = await this.fetch("v1/models");
    return ((await response.json()) as { data: ListedModel[] }).data;
  }

  /** POSTs a streaming chat request and yields its parsed chunks; an error frame throws. */
  async *chat(body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<any> {
    const response = await this.fetch("v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    for await (const data of eventData(response.body!)) {
      if (data === "[DONE]") return;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new ApiErrorReply(chunk.error.message, 500, chunk.error.param ?? null);
      yield chunk;
    }
  }

  /** The engine snapshots stream, one parsed snapshot per event, until `signal` aborts. */
  async *snapshots(signal: AbortSignal): AsyncGenerator<any> {
    const response = await this.fetch("v1/engine/snapshots", { signal });
    for await (const data of eventData(response.body!)) yield JSON.parse(data);
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.key !== "") headers.set("Authorization", `Bearer ${this.key}`);
    const response = await fetch(path, { ...init, headers });
    if (response.ok) return response;
    const error = await response.json().catch(() => null);
    if (response.status === 401) {
      this.needsKey = true;
      this.notify();
    }
    throw new ApiErrorReply(error?.error?.message ?? `${response.status} ${response.statusText}`, response.status, error?.error?.param ?? null);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export const api = new Api();
