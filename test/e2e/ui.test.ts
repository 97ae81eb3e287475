/**
 * The web page in headless Chromium against the real server: a streamed
 * reply, stop aborting on the server, a JSON-schema reply, a tool call
 * answered in a second turn, model output rendered inert, and the dashboard
 * moving while `pagoda bench serve` loads the server. Plus the page's HTTP
 * side (content types, caching, compression) with plain fetch.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { Ajv } from "ajv";
import type { Page } from "playwright-core";
import { chatTemplatesDir } from "../../src/testing/paths.js";
import { browserSkipReason, launchBrowser, screenshotDir } from "./browser.js";
import { cliPath, startServer, type TestServer } from "./server-harness.js";
import { lastReply, sendMessage, setField, waitForModels, waitForSnapshot } from "./ui-helpers.js";

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;

before(async () => {
  server = await startServer({
    preset: "tiny-qwen2",
    args: ["--served-model-name", "tiny", "--chat-template", join(chatTemplatesDir, "Qwen-Qwen2.5-7B-Instruct.jinja"), "--max-model-len", "8192", "--allow-long-max-model-len", "--max-num-seqs", "4"],
  });
  if (!browserSkipReason) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

const pageErrors = new WeakMap<Page, string[]>();

async function openPage(path = "/", context = browser!.context): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.url}${path}`);
  return page;
}

/** Closes a test's page, which must have thrown no uncaught error. */
async function closePage(page: Page): Promise<void> {
  await page.close();
  assert.deepEqual(pageErrors.get(page), [], "no uncaught errors in the page");
}

/** A fresh page with cleared storage, so settings of one test do not leak into the next. */
async function freshPlayground(context = browser!.context): Promise<Page> {
  const page = await openPage("/", context);
  await page.evaluate("localStorage.clear()");
  await page.reload();
  await waitForModels(page);
  return page;
}

describe("the page over HTTP", () => {
  test("/ and /dashboard are HTML with a CSP; assets are content-hashed, immutable and compressed", async () => {
    for (const path of ["/", "/dashboard"]) {
      const page = await fetch(`${server.url}${path}`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(page.headers.get("cache-control"), "no-cache");
      assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
      const html = await page.text();
      assert.match(html, /<base href="\/">/);
      const etag = page.headers.get("etag")!;
      assert.equal((await fetch(`${server.url}${path}`, { headers: { "if-none-match": etag } })).status, 304);
    }
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /src="(assets\/app-[^"]+\.js)"/.exec(html)![1];
    const style = /href="(assets\/app-[^"]+\.css)"/.exec(html)![1];
    const { request } = await import("node:http");
    const raw = (path: string, encoding: string) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        request(`${server.url}/${path}`, { headers: { "accept-encoding": encoding } }, (response) => {
          const parts: Buffer[] = [];
          response.on("data", (part: Buffer) => parts.push(part));
          response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(parts) }));
        })
          .on("error", reject)
          .end();
      });
    const gzipped = await raw(script, "gzip, deflate");
    assert.equal(gzipped.headers["content-encoding"], "gzip");
    assert.equal(gzipped.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(gzipped.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(gzipped.headers.vary, "Accept-Encoding");
    const plain = await raw(script, "identity");
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.deepEqual(gunzipSync(gzipped.body), plain.body);
    assert.equal((await raw(script, "br, gzip")).headers["content-encoding"], "br");
    assert.equal((await raw(style, "gzip")).headers["content-type"], "text/css; charset=utf-8");
    assert.equal((await fetch(`${server.url}/assets/nothing.js`)).status, 404);
  });
});

describe("the page in a browser", { skip: browserSkipReason ?? false }, () => {
  test("a message streams into the conversation with its stats", async () => {
    const page = await freshPlayground();
    // Long enough that the reply spans many reads of the stream even on a fast machine or a loaded one, where a short
    // reply's chunks can all arrive in one read and show at once.
    await setField(page, "max_tokens", "96");
    await setField(page, "seed", "7");
    await page.locator('[name="ignore_eos"]').check();
    // Count the times text was on screen while the reply was still streaming.
    await page.evaluate(`window.partials = 0;
      new MutationObserver(() => {
        const streaming = document.querySelector('.message.assistant[aria-busy="true"] .markdown');
        if (streaming && streaming.textContent.length > 0) window.partials++;
      }).observe(document.querySelector(".messages"), { subtree: true, childList: true, characterData: true });`);
    await sendMessage(page, "Tell me a story");
    const reply = lastReply(page);
    await reply.locator('[data-testid="reply-stats"]').filter({ hasText: "finish: length" }).waitFor();
    assert.match(await reply.locator('[data-testid="reply-stats"]').innerText(), /96 output tokens.*TTFT \d+ ms.*tokens\/s/);
    assert.ok(((await page.evaluate("window.partials")) as number) >= 2, "text showed while the reply streamed");
    assert.equal(await page.locator(".message.user").innerText().then((text) => text.includes("Tell me a story")), true);
    // The conversation is kept across a reload.
    await page.reload();
    await page.locator(".message.assistant").first().waitFor();
    await closePage(page);
  });

  test("Stop aborts the request on the server: its running count goes back to 0", async () => {
    // This scenario used to fail now and then (about 4 runs in 9): the page re-rendered the whole reply's markdown on
    // every token and stopped answering clicks a few thousand tokens in; it now paints once per frame. One retry in a
    // fresh browser stays as a guard while that fix is young; two failures fail.
    try {
      await stopScenario();
    } catch (error) {
      console.error(`# the Stop scenario failed once, retrying in a fresh browser: ${(error as Error).message.split("\n")[0]}`);
      await stopScenario();
    }
  });

  async function stopScenario(): Promise<void> {
    const own = await launchBrowser();
    try {
      await stopIn(own);
    } finally {
      await own.close(); // a failed attempt's request is aborted with its browser
    }
  }

  async function stopIn(own: Awaited<ReturnType<typeof launchBrowser>>): Promise<void> {
    const page = await freshPlayground(own.context);
    await setField(page, "max_tokens", "6000");
    await page.locator('[name="ignore_eos"]').check();
    await setField(page, "seed", "11");
    const generatedBefore = (await waitForSnapshot(server.fetch, server.url, () => true)).models[0].stats.generationTokensTotal;
    await sendMessage(page, "Count to a million");
    await page.locator('.message.assistant[aria-busy="true"]').waitFor();
    // Mid-way: running, and tokens already generated (random text may render as nothing visible, so the server is asked).
    await waitForSnapshot(server.fetch, server.url, ({ models: [model] }) => model.stats.numRunning === 1 && model.stats.generationTokensTotal > generatedBefore);
    await page.getByRole("button", { name: "Stop" }).click({ timeout: 10_000 }).catch(async (error: Error) => {
      throw new Error(`${error.message}\npage errors: ${pageErrors.get(page)}\nurl: ${page.url()}\nmain: ${(await page.locator("main").innerHTML()).slice(0, 1200)}`);
    });
    await page.locator(".message.assistant .who", { hasText: "(stopped)" }).waitFor();
    const after = await waitForSnapshot(server.fetch, server.url, (snapshot) => snapshot.models[0].stats.numRunning === 0);
    const [finished] = after.models[0].recentRequests;
    assert.equal(finished.finishReason, "abort");
    assert.ok(finished.numGenerationTokens < 6000, `stopped early, after ${finished.numGenerationTokens} tokens`);
    await closePage(page);
  }

  test("regenerate replaces a reply, edit resends from that message; conversations export and import as JSON", async () => {
    const page = await freshPlayground();
    await setField(page, "max_tokens", "4");
    await page.locator('[name="ignore_eos"]').check();
    const bodies: Array<{ messages: Array<{ role: string; content: string }> }> = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/v1/chat/completions")) bodies.push(request.postDataJSON());
    });
    const replyDone = () => page.getByRole("button", { name: "Stop" }).waitFor({ state: "detached" });
    await sendMessage(page, "first");
    await lastReply(page).locator('[data-testid="reply-stats"]').filter({ hasText: "finish:" }).waitFor();
    await lastReply(page).getByRole("button", { name: "Regenerate" }).click();
    await page.locator('.message.assistant[aria-busy="true"]').waitFor({ state: "detached" });
    await replyDone();
    assert.equal(await page.locator(".message.assistant").count(), 1);
    assert.deepEqual(bodies[1].messages, [{ role: "user", content: "first" }]);
    await page.locator(".message.user").getByRole("button", { name: "Edit" }).click();
    await page.getByRole("textbox", { name: "Edit message" }).fill("second");
    await page.getByRole("button", { name: "Save and send" }).click();
    await lastReply(page).locator('[data-testid="reply-stats"]').filter({ hasText: "finish:" }).waitFor();
    assert.equal(bodies.length, 3);
    assert.deepEqual(bodies[2].messages, [{ role: "user", content: "second" }]);
    assert.equal(await page.locator(".message.user .plain").innerText(), "second");
    assert.equal(await page.locator(".message.assistant").count(), 1);

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export" }).click();
    const exported = await (await download).path();
    const file = JSON.parse(readFileSync(exported, "utf8"));
    assert.equal(file.conversations[0].messages[0].content, "second");
    await page.evaluate("localStorage.clear()");
    await page.reload();
    await page.locator("text=Ask something").waitFor();
    await page.locator('.conversations input[type="file"]').setInputFiles(exported);
    await page.locator(".conversations li", { hasText: "second" }).getByRole("button", { name: "second", exact: true }).click();
    assert.equal(await page.locator(".message.user .plain").innerText(), "second");
    await closePage(page);
  });

  test("a JSON-schema reply is shown formatted and checked against the schema", async () => {
    const schema = {
      type: "object",
      properties: { color: { type: "string", enum: ["red", "green", "blue"] }, size: { type: "string", enum: ["S", "M", "L"] } },
      required: ["color", "size"],
      additionalProperties: false,
    };
    const page = await freshPlayground();
    await setField(page, "max_tokens", "200");
    await setField(page, "seed", "3");
    await page.locator('[name="response_format"]').selectOption("json_schema");
    await setField(page, "schema", JSON.stringify(schema));
    await sendMessage(page, "Pick a shirt");
    const verdict = lastReply(page).locator('[data-testid="json-verdict"]');
    await verdict.waitFor();
    assert.equal(await verdict.innerText(), "Valid JSON, matches the schema");
    const shown = await lastReply(page).locator('[data-testid="json-reply"]').innerText();
    assert.ok(new Ajv().validate(schema, JSON.parse(shown)), shown);
    assert.match(shown, /^\{\n {2}"/, "formatted with two-space indents");
    await closePage(page);
  });

  test("a bad sampling value gets the API's own validation message, on its field", async () => {
    const page = await freshPlayground();
    await setField(page, "temperature", "hot");
    await sendMessage(page, "Hi");
    const error = page.locator('[data-testid="request-error"]');
    await error.waitFor();
    const direct = await server.fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "Hi" }], temperature: "hot", stream: true }),
    });
    assert.equal(direct.status, 400);
    assert.equal(await error.innerText(), ((await direct.json()) as { error: { message: string } }).error.message);
    assert.equal(await page.locator('.settings [name="temperature"]').getAttribute("class"), "invalid");
    assert.equal(await page.locator(".message.assistant").count(), 0, "no reply for a refused request");
    await closePage(page);
  });

  test("a tool call is shown as a card; its typed result goes back as the tool message and the model answers", async () => {
    const tools = [
      {
        type: "function",
        function: { name: "get_time", description: "Current time in a zone.", parameters: { type: "object", properties: { zone: { type: "string", enum: ["UTC", "CET"] } }, required: ["zone"], additionalProperties: false } },
      },
    ];
    const page = await freshPlayground();
    await setField(page, "max_tokens", "64");
    await setField(page, "seed", "5");
    await page.locator('[name="use_tools"]').check();
    await setField(page, "tools", JSON.stringify(tools));
    await page.locator('[name="tool_choice"]').selectOption("get_time");
    await sendMessage(page, "What time is it?");
    const card = page.locator('[data-testid="tool-call"]');
    await card.locator("textarea").waitFor();
    assert.match(await card.locator("pre").innerText(), /"zone": "(UTC|CET)"/);
    assert.equal(await lastReply(page).getAttribute("data-finish"), "stop", "a named tool choice finishes with stop, as in OpenAI");
    // The second turn answers in words.
    await page.locator('[name="tool_choice"]').selectOption("none");
    await setField(page, "max_tokens", "8");
    const secondRequest = page.waitForRequest((request) => request.url().endsWith("/v1/chat/completions"));
    await card.locator("textarea").fill("12:00");
    await card.getByRole("button", { name: "Send result" }).click();
    const body = (await secondRequest).postDataJSON();
    const callId = body.messages[1].tool_calls[0].id;
    assert.deepEqual(body.messages.slice(1).map((message: { role: string }) => message.role), ["assistant", "tool"]);
    assert.deepEqual(body.messages[2], { role: "tool", tool_call_id: callId, content: "12:00" });
    await page.locator(".message.tool").waitFor();
    const answer = page.locator(".message.assistant").nth(1);
    await answer.locator('[data-testid="reply-stats"]').filter({ hasText: "finish:" }).waitFor();
    assert.equal(await answer.getAttribute("aria-busy"), "false");
    // "Copy as code" shows the exact request, tool message included.
    await answer.getByRole("button", { name: "Copy as code" }).click();
    const snippet = page.locator('[data-testid="snippet"]');
    assert.match(await snippet.innerText(), /"role": "tool",\n\s+"tool_call_id": "[^"]+",\n\s+"content": "12:00"/);
    await page.getByRole("tab", { name: "Python" }).click();
    assert.match(await snippet.innerText(), /client\.chat\.completions\.create\(/);
    await page.getByRole("button", { name: "Close" }).click();
    if (screenshotDir) {
      await page.screenshot({ path: join(screenshotDir, "playground.png") });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('[name="Theme"], select[aria-label="Theme"]').selectOption("dark");
      await page.locator(".message.tool").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(screenshotDir, "playground-phone-dark.png") });
    }
    await closePage(page);
  });

  test("markup in model output is rendered inert: no script runs, no event handler survives", async () => {
    const page = await freshPlayground();
    const hostile = [
      "Here is **bold** and `code`.",
      '<script>window.pwned = "script"</script>',
      '<img src="x" onerror="window.pwned = \'img\'">',
      '[click](javascript:window.pwned="link")',
      '<a href="#" onclick="window.pwned=\'a\'">a</a><svg><script>window.pwned="svg"</script></svg>',
    ].join("\n\n");
    // The model's stream as the server would send it; everything after the network is the real page.
    await page.route("**/v1/chat/completions", (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/event-stream",
        body: [
          { choices: [{ index: 0, delta: { role: "assistant", content: "" } }] },
          { choices: [{ index: 0, delta: { reasoning_content: "thinking <b>hard</b>" } }] },
          ...hostile.match(/[\s\S]{1,7}/g)!.map((piece) => ({ choices: [{ index: 0, delta: { content: piece } }] })),
          { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
        ]
          .map((chunk) => `data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", created: 0, model: "tiny", ...chunk })}\n\n`)
          .join("") + "data: [DONE]\n\n",
      }),
    );
    await sendMessage(page, "Say something dangerous");
    const rendered = lastReply(page).locator(".markdown");
    await lastReply(page).locator('[data-testid="reply-stats"]').waitFor();
    assert.equal(await rendered.locator("strong").innerText(), "bold");
    assert.equal(await rendered.locator("script").count(), 0);
    const image = rendered.locator("img");
    assert.equal(await image.count(), 1);
    assert.equal(await image.getAttribute("onerror"), null);
    assert.equal(await rendered.locator("[onclick]").count(), 0);
    for (const link of await rendered.locator("a").all()) assert.doesNotMatch((await link.getAttribute("href")) ?? "", /javascript:/i);
    // Reasoning is folded, and shown as text.
    const reasoning = lastReply(page).locator("details.reasoning");
    assert.equal(await reasoning.getAttribute("open"), null);
    assert.equal(await reasoning.locator(".plain").textContent(), "thinking <b>hard</b>");
    await rendered.locator("a", { hasText: "click" }).click();
    assert.equal(await page.evaluate("window.pwned"), undefined);
    await closePage(page);
  });

  test("the dashboard's counters and plots move while `pagoda bench serve` loads the server", async () => {
    const page = await openPage("/dashboard");
    await page.locator('[data-testid="dashboard-status"]', { hasText: "live" }).waitFor();
    const generatedBefore = Number(await page.locator('[data-testid="counter-generated-total"]').innerText());
    const bench = spawn(
      process.execPath,
      [cliPath, "bench", "serve", "--base-url", server.url, "--model", "tiny", "--num-prompts", "48", "--max-concurrency", "4", "--input-len", "64", "--output-len", "96", "--ignore-eos", "--seed", "1"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let benchOutput = "";
    bench.stdout.on("data", (data: Buffer) => (benchOutput += data.toString()));
    bench.stderr.on("data", (data: Buffer) => (benchOutput += data.toString()));
    const benchExit = new Promise<number | null>((resolve) => bench.once("exit", resolve));
    const number = (testId: string) => `Number(document.querySelector('[data-testid="counter-${testId}"]').textContent.split(" ")[0])`;
    await page.waitForFunction(`${number("running")} > 0`);
    await page.waitForFunction(`${number("generation-rate")} > 0`);
    await page.waitForFunction(`${number("slots")} > 0`);
    assert.equal(await benchExit, 0, benchOutput);
    await page.waitForFunction(`${number("generated-total")} >= ${generatedBefore + 48 * 96}`);
    await page.waitForFunction(`${number("running")} === 0`);
    const points = async (title: string) => Number(await page.locator(`[data-testid="chart-${title}"]`).getAttribute("data-points"));
    assert.ok((await points("tokens per second")) >= 3, "one point per snapshot");
    assert.ok((await page.locator('[data-testid="recent-requests"] tbody tr').count()) >= 20);
    // The plots drew lines: a canvas with non-background pixels.
    const inked = await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid="chart-tokens per second"] canvas');
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return count;
    })()`);
    assert.ok((inked as number) > 100, `the tokens/s plot has ink (${inked} pixels)`);
    if (screenshotDir) await page.screenshot({ path: join(screenshotDir, "dashboard.png"), fullPage: true });
    await closePage(page);
  });
});
