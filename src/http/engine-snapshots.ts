/**
 * GET /v1/engine/snapshots: the engine's snapshot as server-sent events, one
 * now and one every interval until the client leaves; GET /v1/engine/snapshot
 * answers one as JSON. Behind the API key like the rest of /v1: the recent
 * requests' timings say how the server is used.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export function sendSnapshot(response: ServerResponse, snapshot: unknown): void {
  const text = JSON.stringify(snapshot);
  response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

export function streamSnapshots(request: IncomingMessage, response: ServerResponse, takeSnapshot: () => unknown, intervalMs: number): void {
  response.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  // A slow reader skips snapshots rather than queueing them: only the newest matters.
  let isBackedUp = false;
  const send = () => {
    if (isBackedUp || response.destroyed) return;
    isBackedUp = !response.write(`data: ${JSON.stringify(takeSnapshot())}\n\n`);
  };
  response.on("drain", () => (isBackedUp = false));
  send();
  const timer = setInterval(send, intervalMs);
  const stop = () => clearInterval(timer);
  response.on("close", stop);
  request.on("close", stop);
}
