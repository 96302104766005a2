/**
 * The extension's connection to a real relay (real LevelDB, real sockets), as the views see
 * it: sessions and error groups listed and kept current by the watch feeds; a refused token,
 * a relay that goes down and one that comes back, each said and recovered from without a
 * reload; status changes of error groups.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { ErrorGroup, SessionSummary, WebSocketConstructor } from '@sentiero/protocol';
import { waitFor } from '../../test/helpers/net.ts';
import { type ConnectionStatus, RelayConnection, type RelayConnectionOptions } from '../src/relay/connection.ts';
import { statusBarText, statusMessage } from '../src/relay/service-status.ts';
import { type RunningRelay, TOKEN, recordSession, startRelayAt } from './helpers/relay.ts';

describe('the connection to a relay', function () {
  this.timeout(60_000);
  let dataDir: string;
  let r: RunningRelay | undefined;
  const open: RelayConnection[] = [];
  const sockets: Array<{ ws: WebSocket }> = [];

  const connect = (o: Partial<RelayConnectionOptions> = {}) => {
    const c = new RelayConnection({
      baseUrl: r!.base, token: TOKEN, WebSocket: WebSocket as unknown as WebSocketConstructor, reconnectDelayMs: 100, maxReconnectDelayMs: 400, coalesceMs: 20, ...o,
    });
    open.push(c);
    return c;
  };
  const statuses = (c: RelayConnection) => {
    const seen: ConnectionStatus[] = [c.status];
    c.onStatus((s) => seen.push(s));
    return seen;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-vscode-conn-'));
    r = await startRelayAt(0, dataDir);
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.dispose();
    for (const s of sockets.splice(0)) s.ws.terminate();
    await r?.stop();
    r = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists sessions and error groups, and follows new ones on the watch feeds', async () => {
    sockets.push(await recordSession(r!, 'first-session'));
    const c = connect();
    let heardSessions: readonly SessionSummary[] = [];
    let heardGroups: readonly ErrorGroup[] = [];
    c.onSessions((list) => { heardSessions = list; });
    c.onErrors((list) => { heardGroups = list; });
    await waitFor(() => c.status.kind === 'connected' && c.sessions.some((s) => s.id === 'first-session'), { what: 'the first session listed' });
    assert.equal(c.liveCount, 1, 'its recorder is still connected');
    // Once the watch socket is open the feeds are subscribed; what happens next arrives on them.
    await waitFor(() => r!.relay.stats().watchSockets === 1, { what: 'the watcher' });
    await new Promise((res) => setTimeout(res, 200));
    sockets.push(await recordSession(r!, 'second-session'));
    await waitFor(() => heardSessions.some((s) => s.id === 'second-session'), { what: 'listeners to hear of the new session from the feed' });
    assert.deepEqual(c.sessions.map((s) => s.id), ['second-session', 'first-session'], 'newest first');
    const ack = await r!.relay.captureException(new TypeError('the cart is not loaded'), { sessionId: 'second-session' });
    assert.ok(ack);
    await waitFor(() => heardGroups.some((g) => g.id === ack.groupId), { what: 'listeners to hear of the new error group from the feed' });
    assert.equal(c.errorGroup(ack.groupId)!.name, 'TypeError');
    assert.equal(c.hasErrors, true);
  });

  it('says when the relay refuses the token, and a connection with the right token recovers', async () => {
    sockets.push(await recordSession(r!, 'a-session'));
    const wrong = connect({ token: 'not-the-token' });
    await waitFor(() => wrong.status.kind === 'unauthorized', { what: 'the refusal' });
    const status = { ...wrong.status, relayUrl: r!.base } as const;
    assert.match(statusMessage(status)!, /refused the viewer token.*Connect to Relay/);
    assert.equal(statusBarText(status, 0).text, '$(error) Sentiero: token refused');
    assert.deepEqual(wrong.sessions, [], 'nothing is shown with a refused token');
    const right = connect();
    await waitFor(() => right.status.kind === 'connected' && right.sessions.length === 1, { what: 'the right token to work' });
  });

  it('says when the relay goes down, and lists again when it comes back on the same address', async () => {
    sockets.push(await recordSession(r!, 'before-the-outage'));
    const c = connect();
    const seen = statuses(c);
    await waitFor(() => c.status.kind === 'connected' && c.sessions.length === 1, { what: 'connected' });
    const { port } = r!;
    for (const s of sockets.splice(0)) s.ws.terminate();
    await r!.stop();
    r = undefined;
    await waitFor(() => c.status.kind === 'unreachable', { what: 'the outage to be noticed' });
    const down = { ...c.status, relayUrl: 'x' } as const;
    assert.match(statusMessage(down)!, /cannot be reached; retrying/);
    assert.equal(statusBarText(down, 0).text, '$(debug-disconnect) Sentiero: offline');

    r = await startRelayAt(port, dataDir);
    await waitFor(() => c.status.kind === 'connected', { what: 'the reconnection', timeoutMs: 20_000 });
    await waitFor(() => c.sessions.some((s) => s.id === 'before-the-outage'), { what: 'the stored session listed again' });
    await waitFor(() => r!.relay.stats().watchSockets === 1, { what: 'the watcher back' });
    await new Promise((res) => setTimeout(res, 200));
    sockets.push(await recordSession(r!, 'after-the-outage'));
    await waitFor(() => c.sessions.some((s) => s.id === 'after-the-outage'), { what: 'a new session on the feed after the outage' });
    assert.deepEqual(seen.map((s) => s.kind).filter((k, i, a) => k !== a[i - 1]), ['connecting', 'connected', 'unreachable', 'connected']);
  });

  it('says when the relay cannot be reached at all, without throwing', async () => {
    const { port } = r!;
    await r!.stop();
    r = undefined;
    const c = new RelayConnection({ baseUrl: `http://127.0.0.1:${port}/sentiero`, token: TOKEN, WebSocket: WebSocket as unknown as WebSocketConstructor, reconnectDelayMs: 100, maxReconnectDelayMs: 400 });
    open.push(c);
    await waitFor(() => c.status.kind === 'unreachable', { what: 'unreachable' });
    await c.refresh();
    assert.equal(c.status.kind, 'unreachable');
  });

  it('changes an error group status on the relay, and its list follows', async () => {
    const c = connect();
    const ack = await r!.relay.captureException(new RangeError('total is NaN'));
    assert.ok(ack);
    await c.refresh();
    assert.equal(c.errorGroup(ack.groupId)?.status, 'unresolved');
    const resolved = await c.setErrorStatus(ack.groupId, 'resolve');
    assert.equal(resolved.status, 'resolved');
    await waitFor(() => c.errorGroup(ack.groupId)?.status === 'resolved', { what: 'the list to follow' });
    const onRelay = (await (await fetch(`${r!.base}/api/errors/${ack.groupId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { status: string };
    assert.equal(onRelay.status, 'resolved');
    assert.equal((await c.setErrorStatus(ack.groupId, 'reopen')).status, 'unresolved');
    assert.equal((await c.setErrorStatus(ack.groupId, 'ignore')).status, 'ignored');
    await waitFor(() => c.errorGroup(ack.groupId)?.status === 'ignored', { what: 'ignored in the list' });
    await assert.rejects(c.setErrorStatus('no-such-group', 'resolve'), { code: 'SENTIERO_NOT_FOUND' });
  });

  it('shows sessions from a relay without error tracking, and says it has none', async () => {
    sockets.push(await recordSession(r!, 'old-relay-session'));
    const noErrors: typeof fetch = async (input, init) => (String(input).includes('/api/errors')
      ? new Response(JSON.stringify({ code: 'SENTIERO_NOT_FOUND', message: 'no such route' }), { status: 404 })
      : fetch(input, init));
    const c = connect({ fetch: noErrors });
    await waitFor(() => c.status.kind === 'connected' && c.sessions.length === 1, { what: 'the sessions' });
    assert.equal(c.hasErrors, false);
    assert.deepEqual(c.errorGroups, []);
  });
});
