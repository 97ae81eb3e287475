/**
 * A `fetch` over node:https that trusts one extra CA (the test's self-signed
 * certificate). Node's global fetch cannot be given a CA without undici's
 * Agent, which is not a dependency; the openai client takes any `fetch`.
 */
import { request } from "node:https";
import { Readable } from "node:stream";
import { generate } from "selfsigned";

/** A self-signed EC key and certificate for localhost and 127.0.0.1. */
export async function selfSignedPair(): Promise<{ key: string; cert: string }> {
  const pem = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] }],
  });
  return { key: pem.private, cert: pem.cert };
}

export function fetchTrusting(ca: string): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init.headers);
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(await new Response(init.body).arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(url, { method: init.method ?? "GET", headers: Object.fromEntries(headers), ca, signal: init.signal ?? undefined }, (incoming) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? ""]) responseHeaders.append(name, item);
        }
        const hasBody = incoming.statusCode !== 204 && incoming.statusCode !== 304;
        resolve(
          new Response(hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : null, {
            status: incoming.statusCode,
            statusText: incoming.statusMessage,
            headers: responseHeaders,
          }),
        );
      });
      outgoing.once("error", reject);
      outgoing.end(body);
    });
  };
}
