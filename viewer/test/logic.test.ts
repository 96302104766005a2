/** Unit tests of the viewer's pure modules: routes, filters, markers, idle stretches, lag, stacks, user agents. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { SessionSummary } from '@sentiero/protocol';
import { DEFAULT_FILTERS, matchesFilters, toQuery } from '../src/filters.ts';
import { formatClock, formatDuration } from '../src/format.ts';
import { LagMeter, percentile } from '../src/lag.ts';
import { MarkerReader, extractMarkers, inactivePeriods, markerIndexAt, mergeMarkers } from '../src/markers.ts';
import { deepLink, formatRoute, parseRoute } from '../src/route.ts';
import { parseStack } from '../src/stack.ts';
import { describeClient } from '../src/ua.ts';
import { syntheticEvents } from './synthetic.ts';

const T0 = 1_732_000_000_000;

describe('viewer: routes', () => {
  it('parses a session route with its moment and window, and formats it back', () => {
    const r = parseRoute('#/sessions/abc_123-x?t=15000&w=win-2');
    assert.deepEqual(r, { view: 'session', sessionId: 'abc_123-x', t: 15000, windowId: 'win-2' });
    assert.equal(formatRoute(r), '#/sessions/abc_123-x?t=15000&w=win-2');
    assert.deepEqual(parseRoute('/sessions/abc'), { view: 'session', sessionId: 'abc' });
  });

  it('treats anything unknown or malformed as the list, and never takes a bad id or time', () => {
    assert.equal(parseRoute('').view, 'list');
    assert.equal(parseRoute('#/nope').view, 'list');
    assert.equal(parseRoute('#/sessions/<img src=x>').view, 'list');
    assert.equal(parseRoute('#/sessions/%E0%A4%A').view, 'list');
    assert.deepEqual(parseRoute('#/sessions/abc?t=-5&w=../x'), { view: 'session', sessionId: 'abc' });
  });

  it('keeps list filters in the query and drops defaults', () => {
    const r = parseRoute('#/sessions?range=24h&url=%2Fcheckout&errors=1&live=1&min=60000');
    assert.deepEqual(r, { view: 'list', filters: { range: '24h', url: '/checkout', errorsOnly: true, liveOnly: true, minDurationMs: 60000, user: '' } });
    assert.equal(formatRoute(r), '#/sessions?range=24h&url=%2Fcheckout&errors=1&live=1&min=60000');
    assert.equal(formatRoute({ view: 'list', filters: { ...DEFAULT_FILTERS } }), '#/sessions');
    assert.equal(parseRoute('#/sessions?range=forever').view === 'list' && (parseRoute('#/sessions?range=forever') as { filters: { range: string } }).filters.range, 'all');
  });

  it('builds the dashboard deep link of a moment', () => {
    assert.equal(deepLink('http://h:3000/sentiero/', 'abc', 1234.7), 'http://h:3000/sentiero/#/sessions/abc?t=1234');
    assert.equal(deepLink('http://h/s', 'abc', 0, 'w1'), 'http://h/s/#/sessions/abc?t=0&w=w1');
  });
});

describe('viewer: filters', () => {
  const now = T0 + 10 * 86_400_000;
  const s = (over: Partial<SessionSummary>): SessionSummary => ({
    id: 'a', startedAt: now - 120_000, lastEventAt: now - 60_000, live: false, eventCount: 10, windows: ['w'], url: 'http://x/home',
    pages: ['http://x/home', 'http://x/Checkout'], userAgent: '', errorCount: 0, droppedEvents: 0, ...over,
  });

  it('turns filters into the REST query', () => {
    assert.deepEqual(toQuery(DEFAULT_FILTERS, now), { limit: 50 });
    assert.deepEqual(toQuery({ range: '1h', url: ' checkout ', errorsOnly: true, liveOnly: true, minDurationMs: 10_000, user: ' u-1 ' }, now, 'CUR', 20),
      { limit: 20, from: now - 3_600_000, url: 'checkout', hasErrors: true, live: true, minDuration: 10_000, user: 'u-1', cursor: 'CUR' });
  });

  it('applies the same filters to sessions that arrive on the live feed', () => {
    assert.ok(matchesFilters(s({}), DEFAULT_FILTERS, now));
    assert.ok(matchesFilters(s({}), { ...DEFAULT_FILTERS, url: 'checkout' }, now), 'case-insensitive, any page');
    assert.ok(!matchesFilters(s({}), { ...DEFAULT_FILTERS, url: 'pricing' }, now));
    assert.ok(!matchesFilters(s({}), { ...DEFAULT_FILTERS, errorsOnly: true }, now));
    assert.ok(matchesFilters(s({ errorCount: 2 }), { ...DEFAULT_FILTERS, errorsOnly: true }, now));
    assert.ok(!matchesFilters(s({}), { ...DEFAULT_FILTERS, liveOnly: true }, now));
    assert.ok(!matchesFilters(s({}), { ...DEFAULT_FILTERS, minDurationMs: 61_000 }, now));
    assert.ok(!matchesFilters(s({ lastEventAt: now - 2 * 3_600_000 }), { ...DEFAULT_FILTERS, range: '1h' }, now));
    assert.ok(!matchesFilters(s({}), { ...DEFAULT_FILTERS, user: 'u-1' }, now));
    assert.ok(matchesFilters(s({ userId: 'u-1' }), { ...DEFAULT_FILTERS, user: 'u-1' }, now));
  });
});

describe('viewer: markers and activity', () => {
  const events = syntheticEvents({
    t0: T0, end: 60_000, steps: [{ at: 5000, text: 'step 1' }], active: [[0, 2000]], clicks: [3000], inputs: [4000, 4500, 4900, 9000],
    custom: [{ at: 6000, name: 'checkout <img src=x onerror=alert(1)>', props: { plan: 'pro' } }],
    errors: [{ at: 7000, name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at total (http://app/cart.js:10:5)\n    at http://app/main.js:3:1' }],
  });

  it('finds the page, the click with its target, merged inputs, the custom event and the error, in time order', () => {
    const markers = extractMarkers(events, 'w1');
    assert.deepEqual(markers.map((m) => [m.kind, m.timestamp - T0]), [
      ['navigation', 0], ['click', 3000], ['input', 4000], ['custom', 6000], ['error', 7000], ['input', 9000],
    ]);
    assert.equal(markers[0]!.label, 'Page /steps');
    assert.equal(markers[1]!.label, 'Click on button “Go”');
    assert.equal(markers[2]!.label, 'Typed in field #email');
    assert.equal(markers[3]!.label, 'checkout <img src=x onerror=alert(1)>', 'labels are text, kept verbatim for text rendering');
    assert.match(markers[3]!.detail!, /"plan": "pro"/);
    assert.equal(markers[4]!.label, 'TypeError: x is undefined');
    assert.deepEqual(markers[4]!.frames, [{ fn: 'total', url: 'http://app/cart.js', line: 10, column: 5 }, { url: 'http://app/main.js', line: 3, column: 1 }]);
    assert.ok(markers.every((m) => m.windowId === 'w1'));
  });

  it('reads incrementally: batch by batch gives the same markers as all at once', () => {
    const reader = new MarkerReader('w1');
    let all: ReturnType<typeof extractMarkers> = [];
    for (let i = 0; i < events.length; i += 3) all = mergeMarkers(all, reader.read(events.slice(i, i + 3)));
    assert.deepEqual(all, extractMarkers(events, 'w1'));
  });

  it('describes elements added by mutations and gaps reported by the recorder', () => {
    const more = [
      ...events.slice(0, 2),
      { type: 3, timestamp: T0 + 100, data: { source: 0, texts: [], attributes: [], removes: [], adds: [{ parentId: 4, nextId: null, node: { type: 2, tagName: 'a', attributes: { href: 'javascript:alert(1)' }, id: 20, childNodes: [{ type: 3, textContent: 'Pricing', id: 21 }] } }] } },
      { type: 3, timestamp: T0 + 200, data: { source: 2, type: 2, id: 20, x: 1, y: 1 } },
      { type: 5, timestamp: T0 + 300, data: { tag: 'sentiero/gap@1', payload: { dropped: 12, from: T0, to: T0 + 300, reason: 'buffer-full' } } },
      // Replay state: no entry of its own.
      { type: 5, timestamp: T0 + 400, data: { tag: 'sentiero/popover@1', payload: { id: 20, open: true } } },
    ];
    const m = extractMarkers(more);
    assert.deepEqual(m.slice(1).map((x) => [x.kind, x.label]), [['click', 'Click on link “Pricing”'], ['gap', '12 events lost']]);
  });

  it('finds idle stretches longer than the threshold between user activity', () => {
    const idle = inactivePeriods(events, 10_000);
    assert.deepEqual(idle.map((p) => [p.from - T0, p.to - T0]), [[9000, 60_000]]);
    assert.deepEqual(inactivePeriods([], 10_000), []);
  });

  it('finds the marker at a moment by binary search', () => {
    const markers = extractMarkers(events);
    assert.equal(markerIndexAt(markers, T0 - 1), -1);
    assert.equal(markerIndexAt(markers, T0 + 3000), 1);
    assert.equal(markerIndexAt(markers, T0 + 6500), 3);
    assert.equal(markerIndexAt(markers, T0 + 999_999), markers.length - 1);
  });

  it('reads the shared fixture (a real 45 s recording) into clicks, inputs and a page', async () => {
    const fixture = JSON.parse(await readFile(new URL('../../../shared/fixtures/acme-crm-45s.rrweb.json', import.meta.url), 'utf8'));
    const markers = extractMarkers(fixture);
    const kinds = new Set(markers.map((m) => m.kind));
    assert.ok(kinds.has('navigation') && kinds.has('click'), `kinds: ${[...kinds].join(', ')}`);
    assert.ok(markers.filter((m) => m.kind === 'click').every((m) => /^(Double-c|C)lick on /.test(m.label)), 'every click names its target');
    for (let i = 1; i < markers.length; i++) assert.ok(markers[i - 1]!.timestamp <= markers[i]!.timestamp);
  });
});

describe('viewer: lag', () => {
  it('computes nearest-rank percentiles', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.equal(percentile([5], 99), 5);
    assert.equal(percentile([4, 1, 3, 2], 50), 2);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  });

  it('keeps the last N lags and their p50/p99', () => {
    const m = new LagMeter(4);
    assert.equal(m.stats(), undefined);
    for (const lag of [100, 200, 300, 400, 900]) m.record(T0, T0 + lag);
    assert.deepEqual(m.stats(), { last: 900, p50: 300, p99: 900, count: 4 });
    assert.equal(m.record(T0 + 50, T0), 0, 'a clock ahead of ours is no negative lag');
    m.reset();
    assert.equal(m.stats(), undefined);
  });
});

describe('viewer: stacks, user agents, formats', () => {
  it('parses V8 and Firefox stack frames', () => {
    assert.deepEqual(parseStack('Error: x\n    at a.b (https://app/x.js:1:2)\n    at https://app/y.js:3:4\nb@https://app/z.js:5:6\nnot a frame'), [
      { fn: 'a.b', url: 'https://app/x.js', line: 1, column: 2 }, { url: 'https://app/y.js', line: 3, column: 4 }, { fn: 'b', url: 'https://app/z.js', line: 5, column: 6 },
    ]);
  });

  it('describes browsers, systems and devices', () => {
    const desktop = describeClient('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36');
    assert.equal(desktop.browser, 'Chrome 131');
    assert.match(desktop.os, /^Mac OS/);
    assert.equal(desktop.device, 'desktop');
    const phone = describeClient('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1');
    assert.equal(phone.device, 'mobile');
    assert.match(phone.browser, /Safari 17/);
    assert.equal(describeClient('').browser, 'Unknown browser');
  });

  it('formats clocks and durations', () => {
    assert.equal(formatClock(0), '0:00');
    assert.equal(formatClock(65_400), '1:05');
    assert.equal(formatClock(3_725_000), '1:02:05');
    assert.equal(formatDuration(42_000), '42 s');
    assert.equal(formatDuration(185_000), '3 min 05 s');
    assert.equal(formatDuration(4_380_000), '1 h 13 min');
  });
});
