/** Unit tests of the host boundary: message checks, envelopes, and the adapters over fake windows. */
import assert from 'node:assert/strict';
import {
  type HostToViewer, type MessageTarget, type ViewerToHost, createHostWindowAdapter, createMemoryChannel, createVsCodeAdapter,
  createWindowAdapter, hostMessageOf, isHostToViewer, isViewerToHost, toEnvelope, viewerMessageOf,
} from '../src/host.ts';

/** A window-like pair: what one side posts arrives at the other as a `message` event with the sender's origin. */
function fakeWindow(origin: string) {
  const target = new EventTarget();
  const win = {
    origin,
    peer: undefined as undefined | { origin: string; target: EventTarget },
    posted: [] as Array<{ data: unknown; targetOrigin: string }>,
    self: target as unknown as MessageTarget,
    postMessage(data: unknown, targetOrigin: string) {
      win.posted.push({ data, targetOrigin });
      const from = win.peer?.origin ?? 'null';
      target.dispatchEvent(Object.assign(new Event('message'), { data: structuredClone(data), origin: from }));
    },
  };
  return win;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('viewer: host messages', () => {
  it('accepts the documented messages and rejects anything else', () => {
    const good: HostToViewer[] = [{ t: 'navigate', route: '#/sessions/a' }, { t: 'set-connection', relayUrl: 'http://x/sentiero', token: 't' }, { t: 'set-theme', theme: 'dark' }];
    for (const m of good) assert.ok(isHostToViewer(m), JSON.stringify(m));
    for (const m of [null, 'navigate', { t: 'navigate' }, { t: 'navigate', route: 5 }, { t: 'set-theme', theme: 'neon' }, { t: 'eval', code: 'x' }]) assert.ok(!isHostToViewer(m), JSON.stringify(m));
    const out: ViewerToHost[] = [
      { t: 'ready', version: 1 }, { t: 'route', route: '#/sessions' }, { t: 'auth-failed', message: 'no' }, { t: 'relay-unreachable', message: 'down' },
      { t: 'connection', state: 'open' }, { t: 'open-source', url: 'http://a/x.js', line: 3, column: 4, fn: 'f' }, { t: 'copy', text: 'x' }, { t: 'sign-out' },
    ];
    for (const m of out) assert.ok(isViewerToHost(m), JSON.stringify(m));
    for (const m of [{ t: 'open-source', url: 'x' }, { t: 'connection', state: 'weird' }, { t: 'ready', version: 2 }]) assert.ok(!isViewerToHost(m), JSON.stringify(m));
  });

  it('wraps messages in tagged envelopes that the other side alone unwraps', () => {
    const env = toEnvelope('sentiero-host', { t: 'navigate', route: '#/sessions' });
    assert.deepEqual(hostMessageOf(env), { t: 'navigate', route: '#/sessions' });
    assert.equal(viewerMessageOf(env), undefined, 'a host envelope is not a viewer message');
    assert.equal(hostMessageOf({ ...env, v: 2 }), undefined);
    assert.equal(hostMessageOf({ t: 'navigate', route: '#/x' }), undefined, 'a bare message is not an envelope');
  });
});

describe('viewer: adapters', () => {
  it('a memory channel delivers both ways, asynchronously, and stops on unsubscribe', async () => {
    const { viewer, host } = createMemoryChannel();
    const toHost: ViewerToHost[] = [];
    const toViewer: HostToViewer[] = [];
    const off = host.addListener((m) => toHost.push(m));
    viewer.addListener((m) => toViewer.push(m));
    viewer.postMessage({ t: 'route', route: '#/sessions' });
    host.postMessage({ t: 'navigate', route: '#/sessions/a' });
    assert.equal(toHost.length, 0, 'not synchronous');
    await tick();
    assert.deepEqual(toHost, [{ t: 'route', route: '#/sessions' }]);
    assert.deepEqual(toViewer, [{ t: 'navigate', route: '#/sessions/a' }]);
    off();
    viewer.postMessage({ t: 'sign-out' });
    await tick();
    assert.equal(toHost.length, 1);
  });

  it('window adapters talk across frames with origins checked both ways', () => {
    const parent = fakeWindow('https://host.example');
    const frame = fakeWindow('https://viewer.example');
    parent.peer = { origin: frame.origin, target: new EventTarget() };
    frame.peer = { origin: parent.origin, target: new EventTarget() };
    // The viewer (in the frame) posts into the parent window; the host posts into the frame.
    const viewer = createWindowAdapter({ target: parent, targetOrigin: 'https://host.example', self: frame.self });
    const host = createHostWindowAdapter({ target: frame, targetOrigin: 'https://viewer.example', self: parent.self });
    const gotByHost: ViewerToHost[] = [];
    const gotByViewer: HostToViewer[] = [];
    host.addListener((m) => gotByHost.push(m));
    viewer.addListener((m) => gotByViewer.push(m));
    viewer.postMessage({ t: 'ready', version: 1 });
    host.postMessage({ t: 'navigate', route: '#/sessions/x' });
    assert.deepEqual(gotByHost, [{ t: 'ready', version: 1 }]);
    assert.deepEqual(gotByViewer, [{ t: 'navigate', route: '#/sessions/x' }]);
    assert.equal(parent.posted[0]!.targetOrigin, 'https://host.example', 'never posts with "*" when the origin is known');

    // A message from another origin, or a message that is not an envelope, is ignored.
    const evil = Object.assign(new Event('message'), { data: toEnvelope('sentiero-host', { t: 'navigate', route: '#/evil' }), origin: 'https://evil.example' });
    (frame.self as unknown as EventTarget).dispatchEvent(evil);
    const bare = Object.assign(new Event('message'), { data: { t: 'navigate', route: '#/bare' }, origin: 'https://host.example' });
    (frame.self as unknown as EventTarget).dispatchEvent(bare);
    assert.deepEqual(gotByViewer.map((m) => m.t === 'navigate' && m.route), ['#/sessions/x']);
  });

  it('the same-window adapter pair (viewer and host in one page) does not hear its own messages', () => {
    const win = fakeWindow('http://127.0.0.1:3000');
    win.peer = { origin: win.origin, target: new EventTarget() };
    const viewer = createWindowAdapter({ target: win, targetOrigin: win.origin, self: win.self });
    const host = createHostWindowAdapter({ target: win, targetOrigin: win.origin, self: win.self });
    const v: unknown[] = [];
    const h: unknown[] = [];
    viewer.addListener((m) => v.push(m));
    host.addListener((m) => h.push(m));
    viewer.postMessage({ t: 'sign-out' });
    host.postMessage({ t: 'set-theme', theme: 'light' });
    assert.deepEqual(h, [{ t: 'sign-out' }]);
    assert.deepEqual(v, [{ t: 'set-theme', theme: 'light' }]);
  });

  it('the VS Code adapter posts envelopes through the webview API and hears the extension on the window', () => {
    const sent: unknown[] = [];
    const self = new EventTarget();
    const adapter = createVsCodeAdapter({ postMessage: (m) => sent.push(m) }, self as unknown as MessageTarget);
    const got: HostToViewer[] = [];
    const off = adapter.addListener((m) => got.push(m));
    adapter.postMessage({ t: 'open-source', url: 'http://app/x.js', line: 4 });
    assert.deepEqual(sent, [{ sentiero: 'sentiero-viewer', v: 1, message: { t: 'open-source', url: 'http://app/x.js', line: 4 } }]);
    assert.deepEqual(viewerMessageOf(sent[0]), { t: 'open-source', url: 'http://app/x.js', line: 4 }, 'the extension reads it with viewerMessageOf');
    self.dispatchEvent(Object.assign(new Event('message'), { data: toEnvelope('sentiero-host', { t: 'set-theme', theme: 'dark' }) }));
    self.dispatchEvent(Object.assign(new Event('message'), { data: { command: 'something-else' } }));
    assert.deepEqual(got, [{ t: 'set-theme', theme: 'dark' }]);
    off();
    self.dispatchEvent(Object.assign(new Event('message'), { data: toEnvelope('sentiero-host', { t: 'set-theme', theme: 'light' }) }));
    assert.equal(got.length, 1);
  });
});
