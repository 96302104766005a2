/** Unit tests of the analytics views' pure parts: their routes (date range, segment, page, kind, funnel steps, the sessions behind a number), UTC days, scroll shares and heat scale. */
import assert from 'node:assert/strict';
import type { HeatmapAnswer } from '@sentiero/protocol';
import { DAY_MS, formatSteps, lastDays, parseSteps, readQuery, startOfDay, toParams } from '../src/analytics/query.ts';
import { samePage } from '../src/analytics/snapshot.ts';
import { MAX_PICKED, formatRoute, parseRoute } from '../src/route.ts';
import { heatMax, reachedShare } from '../src/ui/analytics/heatmaps.ts';

const NOW = Date.parse('2026-12-06T20:00:00Z');

describe('viewer: analytics routes', () => {
  it('round-trips a view with its dates, segment, page and kind', () => {
    const text = '#/analytics/heatmaps?from=2026-11-01&to=2026-11-30&segment=seg_1&url=http%3A%2F%2Fshop.test%2Fpricing&kind=scroll';
    const r = parseRoute(text);
    assert.deepEqual(r, { view: 'analytics', tab: 'heatmaps', query: { from: '2026-11-01', to: '2026-11-30', segment: 'seg_1' }, url: 'http://shop.test/pricing', kind: 'scroll' });
    assert.equal(formatRoute(r), text);
  });

  it('falls back to the overview of the last 7 days for an unknown view or bad dates, and drops a bad segment or kind', () => {
    const r = parseRoute('#/analytics/nope?from=2026-12-09&to=2026-12-01&segment=<x>&kind=hover');
    assert.equal(r.view, 'analytics');
    if (r.view !== 'analytics') return;
    assert.equal(r.tab, 'overview');
    assert.equal(r.query.segment, '');
    assert.equal(r.kind, undefined);
    const d = lastDays(7, Date.now());
    assert.deepEqual([r.query.from, r.query.to], [d.from, d.to], 'from after to is not a range');
    assert.equal(parseRoute('#/analytics').view, 'analytics');
  });

  it('keeps funnel steps (pages and events, with any character) in the route', () => {
    const steps = [{ url: 'http://shop.test/pricing?a=1|2' }, { event: 'sign up: done' }];
    assert.deepEqual(parseSteps(formatSteps(steps)), steps);
    const r = parseRoute(formatRoute({ view: 'analytics', tab: 'funnels', query: lastDays(7, NOW), steps }));
    assert.deepEqual(r.view === 'analytics' && r.steps, steps);
    assert.deepEqual(parseSteps('nope:x|url:%E0%A4%A|event:ok'), [{ event: 'ok' }], 'malformed parts are dropped');
    assert.equal(parseSteps(Array.from({ length: 20 }, (_, i) => `event:e${i}`).join('|')).length, 10);
  });

  it('carries the sessions behind a number, with their moments, and never more than MAX_PICKED or a bad id', () => {
    const r = parseRoute('#/analytics/sessions?ids=abc,def@1500,<x>,ghi@-3&label=Rage%20clicks%20on%20%3Cb%3E');
    assert.deepEqual(r, { view: 'picked', label: 'Rage clicks on <b>', sessions: [{ id: 'abc' }, { id: 'def', t: 1500 }, { id: 'ghi' }] });
    assert.deepEqual(parseRoute(formatRoute(r)), r);
    const many = parseRoute(`#/analytics/sessions?ids=${Array.from({ length: 300 }, (_, i) => `s${i}`).join(',')}`);
    assert.equal(many.view === 'picked' && many.sessions.length, MAX_PICKED);
  });

  it('carries what a number counted, so that each session opens at its moment', () => {
    for (const find of [{ kind: 'click', selector: 'button#buy > span' }, { kind: 'event', name: 'a|b' }, { kind: 'page', url: 'http://a.test/p?x=1' }, { kind: 'field', field: 'email' }] as const) {
      const r = parseRoute(formatRoute({ view: 'picked', sessions: [{ id: 's1' }], label: 'x', find }));
      assert.deepEqual(r.view === 'picked' && r.find, find);
    }
    const r = parseRoute('#/analytics/sessions?ids=s1&find=hover:x');
    assert.equal(r.view === 'picked' && r.find, undefined, 'an unknown kind is dropped');
  });

  it('a session list route keeps an exact time window', () => {
    const r = parseRoute('#/sessions?from=1000&to=2000');
    assert.equal(r.view === 'list' && r.filters.from, 1000);
    assert.equal(formatRoute(r), '#/sessions?from=1000&to=2000');
  });
});

describe('viewer: analytics dates and drawing', () => {
  it('counts in UTC days, inclusive of the last one', () => {
    assert.deepEqual(lastDays(7, NOW), { from: '2026-11-30', to: '2026-12-06', segment: '' });
    const p = toParams({ from: '2026-12-01', to: '2026-12-02', segment: 's' });
    assert.deepEqual(p, { from: Date.parse('2026-12-01T00:00:00Z'), to: Date.parse('2026-12-03T00:00:00Z') - 1, segment: 's' });
    assert.equal(startOfDay('2026-12-02') - startOfDay('2026-12-01'), DAY_MS);
    assert.ok(Number.isNaN(startOfDay('12/02/2026')));
    assert.equal(readQuery(new URLSearchParams('from=2026-12-01&to=2026-12-01'), NOW).from, '2026-12-01', 'a one-day range');
  });

  it('compares pages as analytics names them: without query, hash or trailing slash', () => {
    assert.ok(samePage('http://a.test/p/?x=1#h', 'http://a.test/p'));
    assert.ok(!samePage('http://a.test/p', 'http://a.test/q'));
  });

  it('reads the share of views that reached a depth between the relay\'s steps', () => {
    const r = { scroll: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((depth) => ({ depth, views: 0, share: depth <= 0.5 ? 1 : 0.5 })) } as HeatmapAnswer;
    assert.equal(reachedShare(r, 0), 1);
    assert.ok(Math.abs(reachedShare(r, 0.55) - 0.75) < 1e-9);
    assert.equal(reachedShare(r, 1), 0.5);
  });

  it('scales heat to the busiest spot', () => {
    assert.equal(heatMax([], 24), 1);
    assert.equal(heatMax([{ x: 1, y: 1 }, { x: 5, y: 5 }, { x: 500, y: 5 }], 24), 2);
  });
});
