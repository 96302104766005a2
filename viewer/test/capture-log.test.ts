/** Unit tests of the Console and Network panes' data (capture-log.ts): reading, folding, filters, the moment, server-error links, markers. */
import assert from 'node:assert/strict';
import type { RecordedEvent } from '@sentiero/protocol';
import { CaptureReader, captureMarker, filterConsole, filterNetwork, indexAt, isFailedRequest, mergeByTime, serverErrorsOf } from '../src/capture-log.ts';
import type { Marker } from '../src/markers.ts';

const T0 = 1_732_000_000_000;
const con = (at: number, payload: unknown): RecordedEvent => ({ type: 5, timestamp: T0 + at, data: { tag: 'sentiero/console@1', payload } });
const net = (at: number, payload: Record<string, unknown>): RecordedEvent => ({ type: 5, timestamp: T0 + at + 500, data: { tag: 'sentiero/network@1', payload: { startedAt: T0 + at, ...payload } } });

describe('viewer: console and network entries', () => {
  it('reads console events, folds a count into the identical message before it, and skips malformed payloads', () => {
    const r = new CaptureReader('w1');
    const first = r.read([con(0, { level: 'log', args: ['tick', '1'] }), con(10, { level: 'nope', args: [] }), con(20, { level: 'warn', args: 'x' })]);
    assert.equal(first.console.length, 1);
    const second = r.read([con(900, { level: 'log', args: ['tick', '1'], count: 49 }), con(950, { level: 'log', args: ['tick', '2'], count: 3 })]);
    assert.deepEqual(second.console.map((e) => [e.args.join(' '), e.count]), [['tick 2', 4]], 'a count after a different message stands alone (1 + count)');
    assert.equal(second.grown.length, 1);
    assert.equal(first.console[0]!.count, 50, 'fifty in a row');
  });

  it('reads network events at their start, keeps only well-typed fields, and tells failures from aborts', () => {
    const r = new CaptureReader('w1');
    const { network } = r.read([
      net(100, { type: 'fetch', method: 'GET', url: 'http://a.test/x', status: 200, durationMs: 30, requestHeaders: { ok: 'v', bad: 3 } }),
      net(200, { type: 'telepathy', url: 'http://a.test/y' }),
      net(300, { type: 'xhr', method: 'POST', url: 'http://a.test/z', status: 503, durationMs: 10 }),
    ]);
    assert.equal(network.length, 2);
    assert.equal(network[0]!.timestamp, T0 + 100);
    assert.deepEqual(network[0]!.requestHeaders, { ok: 'v' });
    assert.equal(isFailedRequest({ type: 'fetch', status: 0, failed: true }), true);
    assert.equal(isFailedRequest({ type: 'fetch', status: 0, aborted: true }), false);
    assert.equal(isFailedRequest({ type: 'xhr', status: 404 }), true);
    assert.equal(isFailedRequest({ type: 'websocket', status: 101 }), false);
  });

  it('filters by level, status, type and text, and finds the entry at a moment', () => {
    const r = new CaptureReader('w');
    const { console: c } = r.read([con(0, { level: 'error', args: ['Boom'] }), con(5, { level: 'debug', args: ['quiet'] }), con(9, { level: 'warn', args: ['Slow'] })]);
    assert.deepEqual(filterConsole(c, { levels: new Set(['error', 'warn'] as const), text: '' }).map((e) => e.args[0]), ['Boom', 'Slow']);
    assert.deepEqual(filterConsole(c, { levels: new Set(), text: 'bOO' }).map((e) => e.args[0]), ['Boom']);
    const { network: n } = new CaptureReader('w').read([
      net(0, { type: 'fetch', method: 'GET', url: 'http://a.test/ok', status: 204 }),
      net(1, { type: 'beacon', method: 'POST', url: 'http://a.test/b', status: 0 }),
      net(2, { type: 'xhr', method: 'GET', url: 'http://a.test/missing', status: 404 }),
      net(3, { type: 'fetch', method: 'GET', url: 'http://a.test/down', status: 0, failed: true }),
    ]);
    const f = (status: Parameters<typeof filterNetwork>[1]['status'], types: string[] = [], text = '') => filterNetwork(n, { status, types: new Set(types as never[]), text }).map((e) => e.url.slice(14));
    assert.deepEqual(f('failed'), ['missing', 'down']);
    assert.deepEqual(f('2xx'), ['ok']);
    assert.deepEqual(f('4xx'), ['missing']);
    assert.deepEqual(f('all', ['beacon', 'xhr']), ['b', 'missing']);
    assert.deepEqual(f('all', [], 'post'), ['b']);
    assert.equal(indexAt(c, T0 - 1), -1);
    assert.equal(indexAt(c, T0 + 5), 1);
    assert.equal(indexAt(c, T0 + 100), 2);
    assert.deepEqual(mergeByTime([{ timestamp: 1 }, { timestamp: 5 }], [{ timestamp: 3 }]).map((x) => x.timestamp), [1, 3, 5]);
  });

  it('links a server error to the request on the same path while it was in flight', () => {
    const [e] = new CaptureReader('w').read([net(1000, { type: 'fetch', method: 'GET', url: 'http://a.test/api/fail?x=1', status: 500, durationMs: 200 })]).network;
    const server = (at: number, url: string): Marker => ({ kind: 'error', origin: 'server', timestamp: T0 + at, windowId: '', label: 'Error: down', url });
    const markers = [server(1100, '/api/fail'), server(1150, 'http://a.test/api/other'), server(9000, '/api/fail'), { ...server(1100, '/api/fail'), origin: undefined }];
    assert.deepEqual(serverErrorsOf(e!, markers as Marker[]), [markers[0]]);
  });

  it('makes error markers of console errors, failed assertions and failed requests only', () => {
    const base = { timestamp: T0, windowId: 'w' };
    assert.match(captureMarker('sentiero/console@1', { level: 'error', args: ['Boom'] }, base)!.label, /^Console error: Boom$/);
    assert.match(captureMarker('sentiero/console@1', { level: 'assert', args: ['x'] }, base)!.label, /^Assertion failed: x$/);
    assert.equal(captureMarker('sentiero/console@1', { level: 'log', args: ['x'] }, base), null);
    assert.equal(captureMarker('sentiero/console@1', { level: 'error', args: ['Boom'], count: 3 }, base), null, 'a fold adds no marker');
    assert.match(captureMarker('sentiero/network@1', { type: 'fetch', method: 'GET', url: 'http://a.test/p?q=1', status: 502, startedAt: T0 - 5 }, base)!.label, /^GET \/p\?q=1 → 502$/);
    assert.equal(captureMarker('sentiero/network@1', { type: 'fetch', method: 'GET', url: 'http://a.test/p', status: 0, aborted: true }, base), null);
    assert.equal(captureMarker('sentiero/event@1', {}, base), undefined);
  });
});
