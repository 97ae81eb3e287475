/**
 * The web page behind --api-key, under --root-path, over HTTPS (one server
 * with all three), and turned off by PAGODA_DISABLE_FRONTEND.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { browserSkipReason, launchBrowser } from "./browser.js";
import { selfSignedPair } from "./https-fetch.js";
import { startServer, type TestServer } from "./server-harness.js";
import { lastReply, sendMessage, setField, waitForModels } from "./ui-helpers.js";

describe("with an API key, a root path and HTTPS", () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pagoda-ui-tls-"));
    const { key, cert } = await selfSignedPair();
    writeFileSync(join(dir, "key.pem"), key);
    writeFileSync(join(dir, "cert.pem"), cert);
    server = await startServer({
      args: ["--api-key", "sesame", "--root-path", "/llm", "--ssl-keyfile", join(dir, "key.pem"), "--ssl-certfile", join(dir, "cert.pem")],
      ca: cert,
    });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the page is open, the snapshots are not; the page's base is the root path it was asked under", async () => {
    const page = await server.fetch(`${server.url}/llm/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<base href="\/llm\/">/);
    assert.match(await (await server.fetch(`${server.url}/dashboard`)).text(), /<base href="\/">/);
    const refused = await server.fetch(`${server.url}/llm/v1/engine/snapshot`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "invalid_api_key");
    const snapshot = await server.fetch(`${server.url}/llm/v1/engine/snapshot`, { headers: { authorization: "Bearer sesame" } });
    assert.equal(snapshot.status, 200);
    assert.equal(((await snapshot.json()) as { models: unknown[] }).models.length, 1);
  });

  test("the page asks for the key once, refuses a wrong one, and every call carries it", { skip: browserSkipReason ?? false }, async () => {
    const browser = await launchBrowser({ ignoreHTTPSErrors: true });
    try {
      const page = await browser.context.newPage();
      const sentKeys = new Set<string>();
      page.on("request", (request) => {
        if (request.url().includes("/v1/")) sentKeys.add(request.headers().authorization ?? "(none)");
      });
      await page.goto(`${server.url}/llm/`);
      const dialog = page.getByRole("dialog", { name: "API key" });
      await dialog.waitFor();
      await dialog.getByLabel("API key").fill("wrong");
      await dialog.getByRole("button", { name: "Use key" }).click();
      await dialog.getByText("The server refused that key.").waitFor();
      await dialog.getByLabel("API key").fill("sesame");
      await dialog.getByRole("button", { name: "Use key" }).click();
      await waitForModels(page);
      assert.equal(await dialog.count(), 0);
      await setField(page, "max_tokens", "4");
      await sendMessage(page, "Hello");
      await lastReply(page).locator('[data-testid="reply-stats"]').filter({ hasText: "finish:" }).waitFor();
      // Kept for the session: a reload asks no more, and the dashboard streams with it.
      await page.goto(`${server.url}/llm/dashboard`);
      await page.locator('[data-testid="dashboard-status"]', { hasText: "live" }).waitFor();
      assert.equal(await page.getByRole("dialog", { name: "API key" }).count(), 0);
      assert.deepEqual([...sentKeys].sort(), ["(none)", "Bearer sesame", "Bearer wrong"]);
      await page.close();
    } finally {
      await browser.close();
    }
  });
});

describe("PAGODA_DISABLE_FRONTEND", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { PAGODA_DISABLE_FRONTEND: "1" } });
  });
  after(async () => assert.equal(await server.stop(), 0));

  test("nothing is served at / or /dashboard; the API and its snapshots stay", async () => {
    for (const path of ["/", "/dashboard"]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, "unknown_url");
    }
    assert.equal((await fetch(`${server.url}/v1/engine/snapshot`)).status, 200);
    assert.match(server.output(), /web page: +off \(--disable-frontend\)/);
  });
});
