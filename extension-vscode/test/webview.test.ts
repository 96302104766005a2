/** The replay webview's page and messages: the CSP, the shell's envelopes, routes the viewer understands, saved state without the token, and deep links. */
import assert from 'node:assert/strict';
import { parseRoute, toEnvelope, viewerMessageOf } from '@sentiero/viewer';
import { openLink, parseOpenLink } from '../src/deep-link.ts';
import { createNonce, relayOrigins, replayCsp, replayHtml } from '../src/webview/html.ts';
import {
  SHELL_ENVELOPE, extensionMessageOf, replayPanelStateOf, sessionOfRoute, sessionRoute, shellMessageOf, toShellEnvelope,
} from '../src/webview/shell-protocol.ts';

const page = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: createNonce(), scriptUri: 'https://res/shell.js',
  styleUris: ['https://res/viewer.css', 'https://res/shell.css'], relayUrl: 'http://127.0.0.1:3000/sentiero', title: 'Replay 1234abcd',
};

describe('the replay webview page', () => {
  it('runs scripts only with its nonce and connects only to the relay', () => {
    assert.match(page.nonce, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(createNonce(), createNonce());
    const csp = replayCsp(page);
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), [`'nonce-${page.nonce}'`]);
    assert.deepEqual(directives.get('connect-src'), ['http://127.0.0.1:3000', 'ws://127.0.0.1:3000']);
    assert.doesNotMatch(csp, /unsafe-eval/);
    // Viewer privacy: a recording's assets come from the relay's proxy, never from the recorded site.
    assert.deepEqual(directives.get('img-src'), [page.cspSource, 'http://127.0.0.1:3000', 'data:', 'blob:']);
    assert.deepEqual(directives.get('font-src'), [page.cspSource, 'http://127.0.0.1:3000', 'data:']);
    assert.deepEqual(directives.get('style-src'), [page.cspSource, "'unsafe-inline'", 'http://127.0.0.1:3000']);
    assert.doesNotMatch(csp, /(^|\s)(https?:|\*)(\s|;|$)/, 'no scheme or host wildcard');
    assert.deepEqual(relayOrigins('https://app.example:8443/x/sentiero'), ['https://app.example:8443', 'wss://app.example:8443']);
  });

  it('loads the shell script with the nonce and the styles from the extension, and escapes the title', () => {
    const html = replayHtml({ ...page, title: 'Replay <img src=x onerror=alert(1)>' });
    assert.ok(html.includes(`<script nonce="${page.nonce}" src="https://res/shell.js"></script>`));
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline code');
    assert.ok(html.includes('<link rel="stylesheet" href="https://res/viewer.css">'));
    assert.doesNotMatch(html, /<img/);
  });
});

describe('the webview shell protocol', () => {
  it('reads only its own envelopes, checked', () => {
    assert.deepEqual(shellMessageOf(toShellEnvelope({ t: 'boot' })), { t: 'boot' });
    const start = { t: 'start' as const, relayUrl: page.relayUrl, token: 'tok', route: '#/sessions/abc', theme: 'dark' as const };
    assert.deepEqual(extensionMessageOf(toShellEnvelope(start)), start);
    assert.equal(extensionMessageOf({ [SHELL_ENVELOPE]: 1, message: { ...start, theme: 'purple' } }), undefined);
    assert.equal(extensionMessageOf({ [SHELL_ENVELOPE]: 1, message: { ...start, token: 'x'.repeat(600) } }), undefined);
    assert.equal(shellMessageOf({ t: 'boot' }), undefined, 'not in an envelope');
    assert.equal(shellMessageOf(toEnvelope('sentiero-viewer', { t: 'ready', version: 1 })), undefined, "the viewer's envelope is not the shell's");
    assert.equal(viewerMessageOf(toShellEnvelope({ t: 'boot' })), undefined, "and the shell's is not the viewer's");
  });

  it('makes routes the viewer reads back as the same session and moment', () => {
    assert.deepEqual(parseRoute(sessionRoute('s-1_AbC', 4321.7)), { view: 'session', sessionId: 's-1_AbC', t: 4321 });
    assert.deepEqual(parseRoute(sessionRoute('s-1_AbC')), { view: 'session', sessionId: 's-1_AbC' });
    assert.equal(sessionRoute('abc', -5), '#/sessions/abc?t=0');
    assert.equal(sessionOfRoute('#/sessions/abc?t=5'), 'abc');
    assert.equal(sessionOfRoute('#/sessions?live=1'), undefined);
  });

  it('restores only a route from saved state', () => {
    assert.deepEqual(replayPanelStateOf({ route: '#/sessions/abc?t=5', token: 'leak' }), { route: '#/sessions/abc?t=5' });
    assert.equal(replayPanelStateOf({ route: 'javascript:alert(1)' }), undefined);
    assert.equal(replayPanelStateOf(undefined), undefined);
  });
});

describe('deep links', () => {
  it('opens a session at a moment', () => {
    assert.deepEqual(parseOpenLink('/open', 'session=abc123&t=5400'), { sessionId: 'abc123', t: 5400 });
    assert.deepEqual(parseOpenLink('/open/', 'session=abc123'), { sessionId: 'abc123' });
    const link = openLink('vscode', 'sentiero.sentiero', 'abc123', 5400.9);
    assert.equal(link, 'vscode://sentiero.sentiero/open?session=abc123&t=5400');
    const u = new URL(link);
    assert.deepEqual(parseOpenLink(u.pathname, u.search.slice(1)), { sessionId: 'abc123', t: 5400 });
  });

  it('says what is wrong with a bad link', () => {
    assert.match((parseOpenLink('/close', 'session=a') as { problem: string }).problem, /expected \/open/);
    assert.match((parseOpenLink('/open', 'session=../x') as { problem: string }).problem, /session id/);
    assert.match((parseOpenLink('/open', 'session=a&t=soon') as { problem: string }).problem, /"t" must be a number/);
    assert.match((parseOpenLink('/open', 'session=a&t=-1') as { problem: string }).problem, /"t" must be a number/);
  });
});
