/** The dashboard open in a real headless Chromium (Debian's `chromium`, driven by playwright-core), for the browser tests. */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/** A browser showing the dashboard, and the console errors and page errors it logged. */
export interface OpenDashboard {
  readonly browser: Browser;
  readonly page: Page;
  readonly problems: string[];
}

/** Opens `url` with the token in its fragment and waits until the page has polled the API once. */
export async function openDashboard(url: string, token: string): Promise<OpenDashboard> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${url}/#token=${token}`);
    await page.waitForSelector("#conn.live", { timeout: 10_000 });
    return { browser, page, problems };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Polls `selector`'s text until it is `expected` (the page's CSP forbids evaluated predicates). */
export async function waitForText(page: Page, selector: string, expected: string): Promise<void> {
  let text: string | null = null;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(100)) {
    text = await page.textContent(selector);
    if (text === expected) return;
  }
  assert.fail(`${selector} shows ${JSON.stringify(text)}, not ${JSON.stringify(expected)}`);
}

/** Polls until `selector` is visible (`true`) or hidden (`false`). */
export async function waitForVisible(page: Page, selector: string, visible: boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(100)) {
    if (await page.isVisible(selector) === visible) return;
  }
  assert.fail(`${selector} is still ${visible ? "hidden" : "shown"}`);
}
