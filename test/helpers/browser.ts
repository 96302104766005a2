/**
 * Launches Debian's Chromium through playwright-core with the flags that work on this
 * machine (closed network, root). Never downloads a browser.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright-core';

/** Where Debian's Chromium binary is (the real one, not the /usr/bin wrapper script). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p)) ?? '/usr/lib/chromium/chromium';

/** Flags that keep Chromium from reaching for the (closed) network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Starts a headless Chromium. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...options,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

/** Waits for the viewer's session view in `page` to have played to its end (pressing play when it waits paused). */
export async function playedToEnd(page: Page): Promise<void> {
  await page.waitForSelector('.sv-session[data-frame="true"]', { timeout: 60_000 });
  if (await page.locator('.sv-session[data-state="paused"]').count()) await page.click('[data-action="play"]');
  await page.waitForSelector('.sv-session[data-state="ended"]', { timeout: 90_000 });
}
