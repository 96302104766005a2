/**
 * The panel's controller against a real relay on 127.0.0.1 (real REST and watch socket, the
 * protocol client with `ws`), with DevTools, the viewer and `storage.local` played by fakes.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocket } from 'ws';
import { type Client, CustomTag, EventType, createClient } from '@sentiero/protocol';
import { listen, waitFor } from '../../test/helpers/net.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { type PanelController, type PanelState, PanelStatus, classifyFailure, createPanelController } from '../src/controller.ts';
import type { InspectedPage } from '../src/inspected.ts';
import { createTokenStore } from '../src/tokens.ts';
import { fakeDevTools, fakeViewer, memoryStorage } from './helpers/fakes.ts';

const meta = { url: 'http://127.0.0.1/page', userAgent: 'Mozilla/5.0 test', startedAt: 1_700_000_000_000 };

/** A recorder's ingest socket: `send(seq, events)` waits for the ack. */
async function recorder(t: TestRelay, sessionId: string, windowId: string) {
  const inbox = new Inbox(await t.socket('/ingest'));
  inbox.send({ t: 'hello', v: 1, sessionId, windowId, lastSeq: 0, meta });
  await inbox.next((m) => m.t === 'welcome');
  return {
    async send(seq: number, events: unknown[]) {
      inbox.send({ t: 'batch', seq, events });
      await inbox.next((m) => m.t === 'ack' && m.seq === seq);
    },
  };
}

const page = (recorder: InspectedPage['recorder'], extra: Partial<InspectedPage> = {}): InspectedPage => ({
  url: 'http://127.0.0.1/page', readyState: 'complete', recorder, recorderLoaded: recorder !== null, ...extra,
});

describe('the panel controller', function () {
  this.timeout(60_000);
  let t: TestRelay;
  let controller: PanelController | undefined;
  const clients: string[] = [];

  const setup = (options: { canOpenResource?: boolean; retryMs?: number } = {}) => {
    const storage = memoryStorage();
    const tokens = createTokenStore(storage.area, storage.changed);
    const devtools = fakeDevTools(options.canOpenResource ?? true);
    const viewer = fakeViewer();
    controller = createPanelController({
      devtools, tokens, viewer,
      retryMs: options.retryMs ?? 3000,
      createClient: (baseUrl, token): Client => {
        clients.push(baseUrl);
        return createClient({ baseUrl, token, WebSocket: WebSocket as never });
      },
    });
    const c = controller;
    const until = (check: (s: PanelState) => boolean, what: string) => waitFor(() => (check(c.state) ? c.state : undefined), { what, timeoutMs: 20_000 });
    return { controller: c, devtools, viewer, tokens, until };
  };

  beforeEach(async () => {
    t = await startRelay();
    clients.length = 0;
  });
  afterEach(async () => {
    controller?.dispose();
    controller = undefined;
    await t.close();
  });

  it('asks once for the relay\'s token, then shows the page\'s session in the viewer and counts its live events and errors', async () => {
    const { controller, devtools, viewer, until } = setup();
    const rec = await recorder(t, 'sess-a', 'win-a');
    await rec.send(1, [{ type: EventType.Meta, timestamp: 1_000, data: { href: meta.url, width: 800, height: 600 } }]);

    devtools.emit({ t: 'page', page: page({ sessionId: 'sess-a', windowId: 'win-a', relay: t.base }) });
    await until((s) => s.status === PanelStatus.NEED_TOKEN, 'the token prompt');
    assert.equal(controller.state.tokenRejected, false);
    assert.match(controller.state.message, new RegExp(`viewer token of the relay at ${t.origin.replace(/[.:/]/g, '\\$&')}`));
    assert.equal(viewer.mounts.length, 0, 'nothing shown before the relay accepts a token');

    await controller.submitToken(t.relay.token);
    await until((s) => s.status === PanelStatus.CONNECTED, 'connected');
    assert.equal(controller.state.message, '');
    assert.deepEqual(viewer.mounts, [{ relayUrl: t.base, token: t.relay.token, route: '#/sessions/sess-a', theme: 'light', capabilities: ['open-source'] }]);
    await until((s) => s.session?.events === 1, 'the backlog');
    assert.equal(controller.state.session?.id, 'sess-a');
    assert.equal(controller.state.session?.recording, true);

    // Live: a click and an error, as the recorder sends them.
    await rec.send(2, [
      { type: EventType.IncrementalSnapshot, timestamp: 2_000, data: { source: 2, type: 2, id: 1 } },
      { type: EventType.Custom, timestamp: 2_500, data: { tag: CustomTag.ERROR, payload: { name: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at onClick (http://127.0.0.1/app.js:37:9)' } } },
    ]);
    await until((s) => s.errors.length === 1, 'the error');
    assert.equal(controller.state.session?.events, 3);
    assert.equal(controller.state.session?.lastEventAt, 2_500);
    const [error] = controller.state.errors;
    assert.deepEqual([error!.name, error!.message, error!.frames[0]], ['TypeError', 'boom', { url: 'http://127.0.0.1/app.js', line: 37, column: 9, fn: 'onClick', inApp: true }]);

    // Its frame opens in DevTools; the viewer's own "open source" does too.
    controller.openFrame(error!.frames[0]!);
    viewer.say({ t: 'open-source', url: 'http://127.0.0.1/lib.js', line: 2, column: 3 });
    await waitFor(() => devtools.sent.length === 2, { what: 'open-resource requests' });
    assert.deepEqual(devtools.sent, [
      { t: 'open-resource', url: 'http://127.0.0.1/app.js', line: 37, column: 9 },
      { t: 'open-resource', url: 'http://127.0.0.1/lib.js', line: 2, column: 3 },
    ]);

    // "Replay": the viewer goes to a second before the error, and stops following the page.
    controller.replayError(error!);
    await waitFor(() => viewer.received.some((m) => m.t === 'navigate'), { what: 'navigate' });
    assert.deepEqual(viewer.received.at(-1), { t: 'navigate', route: '#/sessions/sess-a?t=500&w=win-a' });
    assert.equal(controller.state.following, false);
    controller.follow();
    assert.equal(controller.state.following, true);

    // A reload: the page loads without a recorder for a moment; the session stays.
    devtools.emit({ t: 'page', page: page(null, { readyState: 'loading', recorderLoaded: false }) });
    assert.equal(controller.state.status, PanelStatus.CONNECTED);
    assert.equal(controller.state.session?.id, 'sess-a');

    // A rollover: the page starts a new session; the viewer follows it and the errors start over.
    const next = await recorder(t, 'sess-b', 'win-a');
    await next.send(1, [{ type: EventType.Meta, timestamp: 5_000, data: { href: meta.url, width: 800, height: 600 } }]);
    devtools.emit({ t: 'page', page: page({ sessionId: 'sess-b', windowId: 'win-a', relay: t.base }) });
    await until((s) => s.session?.id === 'sess-b' && s.session.events === 1, 'the new session');
    assert.deepEqual(controller.state.errors, []);
    await waitFor(() => viewer.received.some((m) => m.t === 'navigate' && m.route === '#/sessions/sess-b'), { what: 'the viewer on the new session' });
    assert.equal(viewer.mounts.length, 1, 'the viewer is mounted once');

    // The person opens another session in the viewer: the panel stops following the page.
    viewer.say({ t: 'route', route: '#/sessions' });
    await until((s) => !s.following, 'not following');
  });

  it('says the saved token was refused, and says so again when the viewer is refused later', async () => {
    const { controller, devtools, tokens, viewer, until } = setup();
    await tokens.set(t.origin, 'wrong-token-0123456789');
    devtools.emit({ t: 'page', page: page({ sessionId: 'sess-a', windowId: 'win-a', relay: t.base }) });
    await until((s) => s.status === PanelStatus.NEED_TOKEN, 'need-token');
    assert.equal(controller.state.tokenRejected, true);
    assert.match(controller.state.message, /refused the viewer token/);

    // A right token from elsewhere (the options page): the panel hears it and connects.
    await tokens.set(t.origin, t.relay.token);
    await until((s) => s.status === PanelStatus.CONNECTED, 'connected after the options page');
    viewer.say({ t: 'auth-failed', message: 'the relay refused the viewer token' });
    await until((s) => s.status === PanelStatus.NEED_TOKEN && s.tokenRejected, 'refused again');
  });

  it('says the relay is unreachable, keeps trying, and connects when it answers', async () => {
    const { controller, devtools, tokens, until } = setup({ retryMs: 100 });
    const spare = createServer();
    const port = await listen(spare);
    await new Promise((r) => spare.close(r));
    const down = `http://127.0.0.1:${port}/sentiero`;
    await tokens.set(`http://127.0.0.1:${port}`, 'any-token');
    devtools.emit({ t: 'page', page: page({ sessionId: 'sess-a', windowId: 'win-a', relay: down }) });
    await until((s) => s.status === PanelStatus.UNREACHABLE, 'unreachable');
    assert.match(controller.state.message, new RegExp(`Cannot reach the relay at ${down.replace(/[.:/]/g, '\\$&')}: no answer`));
    await waitFor(() => clients.filter((c) => c === down).length >= 3, { what: 'retries' });

    // The page moves to a relay that answers.
    await tokens.set(t.origin, t.relay.token);
    devtools.emit({ t: 'page', page: page({ sessionId: 'sess-a', windowId: 'win-a', relay: t.base }) });
    await until((s) => s.status === PanelStatus.CONNECTED, 'connected');
  });

  it('says when the page has no recorder, has one that does not record, or cannot be read', async () => {
    const { controller, devtools } = setup();
    devtools.emit({ t: 'page', page: page(null) });
    assert.equal(controller.state.status, PanelStatus.NO_RECORDER);
    assert.match(controller.state.message, /This page has no Sentiero recorder/);
    devtools.emit({ t: 'page', page: page(null, { recorderLoaded: true }) });
    assert.match(controller.state.message, /on this page but is not recording/);
    devtools.emit({ t: 'page-unreadable', message: 'Cannot access a chrome:// URL' });
    assert.equal(controller.state.status, PanelStatus.UNREADABLE);
    assert.match(controller.state.message, /DevTools cannot read this page \(Cannot access a chrome:\/\/ URL\)/);
  });

  it('sorts the client\'s failures', () => {
    assert.equal(classifyFailure(new TypeError('Failed to fetch')).kind, 'unreachable');
    assert.equal(classifyFailure(new TypeError('NetworkError when attempting to fetch resource.')).message, 'no answer (the server is down, or it is not a Sentiero relay)');
  });
});
