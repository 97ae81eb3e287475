/**
 * Server-sent events read from a fetch body (EventSource cannot send an API
 * key): the `data:` payload of each event, in order, whatever the chunking.
 */
export class EventSplitter {
  private buffer = "";

  /** Feeds text; returns the data of every event completed by it. */
  push(text: string): string[] {
    this.buffer += text.replace(/\r\n?/g, "\n");
    const events: string[] = [];
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
      if (data.length > 0) events.push(data.join("\n"));
    }
    return events;
  }
}

export async function* eventData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const splitter = new EventSplitter();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* splitter.push(decoder.decode(value, { stream: true }));
    }
    yield* splitter.push(`${decoder.decode()}\n\n`);
  } finally {
    reader.releaseLock();
  }
}
