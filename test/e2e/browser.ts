/**
 * Headless Chromium for the web page's tests, through playwright-core and the
 * system's browser (Debian's `chromium`; PAGODA_CHROMIUM names another). With
 * no browser the tests are skipped with a message saying so, unless
 * PAGODA_REQUIRE_BROWSER=1 (CI sets it after installing one): then they fail.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

const candidates = [process.env.PAGODA_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
export const chromiumPath = candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path)) ?? null;

/** Why browser tests cannot run here, or null when they can. */
export const browserSkipReason: string | null =
  chromiumPath === null && process.env.PAGODA_REQUIRE_BROWSER !== "1"
    ? "no headless Chromium found (apt-get install chromium, or set PAGODA_CHROMIUM=/path/to/chrome): web page browser tests SKIPPED"
    : null;
if (browserSkipReason) console.warn(`pagoda: ${browserSkipReason}`);

/**
 * A fresh browser with an empty profile; the flags keep Chromium from calling
 * out to Google's services, which this closed network refuses.
 */
export async function launchBrowser(options: { ignoreHTTPSErrors?: boolean } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (chromiumPath === null) throw new Error("PAGODA_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium)");
  const profile = mkdtempSync(join(tmpdir(), "pagoda-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 800 },
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
    // Lets tests evaluate expressions in the page. The page's Content-Security-Policy
    // is thus off in tests: the inert-output test proves the sanitiser alone suffices.
    bypassCSP: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where tests write screenshots (PAGODA_SCREENSHOTS=dir), or null. */
export const screenshotDir = process.env.PAGODA_SCREENSHOTS || null;
