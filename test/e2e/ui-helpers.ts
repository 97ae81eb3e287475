/** Shared steps of the web page's browser tests. */
import type { Page } from "playwright-core";
import type { EngineSnapshot } from "../../src/metrics/engine-snapshot.js";
import { EventSplitter } from "../../src/ui/sse.js";

/**
 * Reads the server's snapshot stream until `predicate` holds: each snapshot
 * is the engine's state at that moment, so no polling interval is guessed.
 */
export async function waitForSnapshot(
  serverFetch: typeof fetch,
  url: string,
  predicate: (snapshot: EngineSnapshot) => boolean,
  headers: Record<string, string> = {},
): Promise<EngineSnapshot> {
  const controller = new AbortController();
  const response = await serverFetch(`${url}/v1/engine/snapshots`, { signal: controller.signal, headers });
  if (!response.ok) throw new Error(`snapshots answered ${response.status}`);
  const splitter = new EventSplitter();
  const decoder = new TextDecoder();
  try {
    for await (const bytes of response.body!) {
      for (const data of splitter.push(decoder.decode(bytes as Uint8Array, { stream: true }))) {
        const snapshot = JSON.parse(data) as EngineSnapshot;
        if (predicate(snapshot)) return snapshot;
      }
    }
    throw new Error("snapshot stream ended");
  } finally {
    controller.abort();
  }
}

/** Types into a settings field by its name (inputs, textareas). */
export async function setField(page: Page, name: string, value: string): Promise<void> {
  await page.locator(`.settings [name="${name}"]`).fill(value);
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message", exact: true });
  await box.fill(text);
  await box.press("Enter");
}

/** The last assistant message, once its stream has ended (it has a finish reason or an error). */
export function lastReply(page: Page) {
  return page.locator('.message.assistant[aria-busy="false"]').last();
}

export async function waitForModels(page: Page): Promise<void> {
  await page.locator("select[name=model] option").first().waitFor({ state: "attached" });
}
