/**
 * Server-sent events framing: `data: {json}\n\n` per chunk, `data: [DONE]\n\n`
 * at the end, and an error after headers as one `data: {"error": ...}` frame.
 * Waits for the socket to drain, so a slow reader holds back only its own
 * stream (the engine merges its deltas meanwhile). Ends as openai-node's
 * Stream does: a stream not read to its end (the client went away) is
 * cancelled, which stops the request's generations.
 */
import type { ServerResponse } from "node:http";
import type { RequestHandle } from "../request-handle.js";
import { toErrorResponse } from "./error-response.js";

/** `eventNames`: the Responses API's framing, `event: <chunk.type>` before each data line and no `[DONE]`. */
export async function writeEventStream(response: ServerResponse, chunks: AsyncIterable<unknown>, handle: RequestHandle, eventNames = false): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  let isDone = false;
  let isClosed = response.destroyed;
  response.once("close", () => (isClosed = true));
  const isClientGone = () => isClosed && !response.writableFinished;
  try {
    // The first chunk is awaited before headers go out: an error there (e.g. the
    // request was invalid after all) is still a proper status code.
    const first = await iterator.next();
    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    try {
      for (let result = first; !result.done; result = await iterator.next()) {
        if (isClientGone()) return;
        const name = eventNames ? (result.value as { type?: unknown }).type : undefined;
        await writeFrame(response, JSON.stringify(result.value), typeof name === "string" ? name : undefined);
      }
      isDone = true;
    } catch (error) {
      isDone = true;
      if (!isClientGone()) await writeFrame(response, JSON.stringify(toErrorResponse(error, handle.log).body));
    }
    if (!isClientGone() && !eventNames) await writeFrame(response, "[DONE]");
    response.end();
  } finally {
    if (!isDone) handle.cancel();
    void iterator.return?.();
  }
}

function writeFrame(response: ServerResponse, data: string, event?: string): Promise<void> | void {
  if (response.destroyed) return;
  if (response.write(`${event ? `event: ${event}\n` : ""}data: ${data}\n\n`)) return;
  return new Promise((resolve) => {
    const done = () => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.on("drain", done);
    response.on("close", done);
  });
}
