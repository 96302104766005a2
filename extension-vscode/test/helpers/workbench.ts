/** Driving the VS Code workbench (code-server in Chromium) as a person does: the command palette, input boxes, the replay webview. */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import type { SessionSummary } from '@sentiero/protocol';
import { waitFor } from '../../../test/helpers/net.ts';
import { sessionLabel } from '../../src/format.ts';
import type { CodeServer } from './code-server.ts';
import { TOKEN } from './relay.ts';

/** How long a step in the workbench may take. */
export const WAIT = 45_000;

/** User settings for a quiet, predictable workbench (no tips, updates, telemetry or minimap; a dark theme). */
export const WORKBENCH_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'security.workspace.trust.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'update.mode': 'none', 'telemetry.telemetryLevel': 'off', 'editor.minimap.enabled': false, 'window.commandCenter': false,
  'workbench.layoutControl.enabled': false, 'chat.commandCenter.enabled': false,
};

/** After a failed test: a screenshot of the workbench and the end of code-server's and the extension's logs, on the console. */
export async function reportFailure(page: Page | undefined, cs: CodeServer | undefined): Promise<void> {
  const shot = path.join(tmpdir(), `sentiero-vscode-failure-${Date.now()}.png`);
  await page?.screenshot({ path: shot }).catch(() => undefined);
  console.log(`    screenshot of the failure: ${shot}`);
  if (cs) console.log(`code-server log (last 3000 characters):\n${cs.log().slice(-3000)}\nSentiero output channel:\n${cs.extensionLog().slice(-3000)}`);
}

/** GETs a relay API path (under its base) with the viewer token. */
export async function api<T>(r: { base: string }, pathname: string, token = TOKEN): Promise<T> {
  const res = await fetch(`${r.base}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `${pathname}: ${res.status}`);
  return (await res.json()) as T;
}

/** The Sessions view's row of a session: its start and page (`14:05 /`). */
export async function rowLabel(r: { base: string }, sessionId: string, token = TOKEN): Promise<string> {
  return sessionLabel(await api<SessionSummary>(r, `/api/sessions/${sessionId}`, token));
}

/** Runs a command from the command palette (F1). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: WAIT });
  await page.keyboard.press('Enter');
}

/** Answers the open input box (`title` tells which step it is). */
export async function answerInput(page: Page, title: string, value: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: WAIT });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/** Connects through "Sentiero: Connect to Relay", as a person does. */
export async function connect(page: Page, url: string, token: string): Promise<void> {
  await runCommand(page, 'Sentiero: Connect to Relay');
  await answerInput(page, '(1/2)', url);
  await answerInput(page, '(2/2)', token);
}

/** The frame of the replay webview that has the viewer showing `sessionId`. */
export async function viewerFrame(page: Page, sessionId: string): Promise<Frame> {
  return waitFor(async () => {
    for (const f of page.frames()) {
      const found = await f.$(`.sv-session[data-session-id="${sessionId}"]`).catch(() => null);
      if (found) return f;
    }
    return undefined;
  }, { timeoutMs: WAIT, intervalMs: 250, what: `the replay webview of ${sessionId}` });
}
