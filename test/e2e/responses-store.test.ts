/**
 * The response store's switches on the real server: a byte bound that evicts
 * the oldest (and says so in the 404), persistence across a restart with
 * --responses-store PATH, and --no-responses-store.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import OpenAI from "openai";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { startServer, type TestServer } from "./server-harness.js";

const template = ["--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja")];

async function withServer(args: string[], run: (server: TestServer, client: OpenAI) => Promise<void>): Promise<void> {
  const server = await startServer({ preset: "tiny-qwen2", args: [...template, ...args] });
  try {
    await run(server, server.client());
  } finally {
    assert.equal(await server.stop(), 0);
  }
}

const create = (client: OpenAI, input: string) =>
  client.responses.create({ input, max_output_tokens: 4, ignore_eos: true, seed: 1 } as OpenAI.Responses.ResponseCreateParamsNonStreaming);

test("--responses-store-max-bytes: past the bound the least recently used response goes, with a 404 that says it was evicted", async () => {
  await withServer(["--responses-store-max-bytes", "4000"], async (_server, client) => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await create(client, `Turn ${i}`)).id);
    await assert.rejects(client.responses.retrieve(ids[0]), (error: unknown) => error instanceof OpenAI.NotFoundError && /evicted/.test(error.message));
    assert.equal((await client.responses.retrieve(ids[7])).id, ids[7]);
    await assert.rejects(client.responses.create({ input: "x", previous_response_id: ids[0] }), (error: unknown) => error instanceof OpenAI.NotFoundError && /evicted/.test(error.message));
  });
});

test("--responses-store PATH: stored responses survive a restart", async () => {
  const folder = mkdtempSync(join(tmpdir(), "pagoda-responses-"));
  try {
    let id = "";
    let text = "";
    await withServer(["--responses-store", folder], async (_server, client) => {
      const response = await create(client, "Remember me");
      ({ id, output_text: text } = response);
    });
    await withServer(["--responses-store", folder], async (server, client) => {
      assert.match(server.output(), /1 restored/);
      const restored = await client.responses.retrieve(id);
      assert.equal(restored.output_text, text);
      const next = await client.responses.create({ previous_response_id: id, input: "And now?", max_output_tokens: 2 });
      assert.ok(next.usage!.input_tokens > restored.usage!.input_tokens);
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("--no-responses-store: nothing is kept; retrieve is a 404 and previous_response_id a 400 that says why", async () => {
  await withServer(["--no-responses-store"], async (_server, client) => {
    const response = await create(client, "Hi");
    assert.equal((response as unknown as { store: boolean }).store, false);
    await assert.rejects(client.responses.retrieve(response.id), (error: unknown) => error instanceof OpenAI.NotFoundError && /no-responses-store/.test(error.message));
    await assert.rejects(client.responses.create({ input: "x", previous_response_id: response.id }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === "previous_response_id");
  });
});

test("SIGTERM drains a streamed response to its end, and the store file keeps it for the next run", async () => {
  const folder = mkdtempSync(join(tmpdir(), "pagoda-responses-"));
  try {
    const server = await startServer({ preset: "tiny-qwen2", args: [...template, "--responses-store", `${folder}/`, "--shutdown-timeout", "300"] });
    const stream = server.client().responses.stream({ input: "A long story", max_output_tokens: 40, ignore_eos: true } as never);
    let id = "";
    let text = "";
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.created") id = event.response.id;
      if (event.type === "response.output_text.delta") {
        if (text === "") server.process.kill("SIGTERM");
        text += event.delta;
      }
    }
    assert.equal(types.at(-1), "response.incomplete");
    assert.equal((await stream.finalResponse()).usage!.output_tokens, 40);
    assert.equal(await server.exited, 0);
    await withServer(["--responses-store", folder], async (_next, client) => {
      const stored = await client.responses.retrieve(id);
      assert.equal(stored.output_text, text);
      assert.equal(stored.status, "incomplete");
    });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
