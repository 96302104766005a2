/**
 * The digest derivation on hand-made event streams: pages (SPA and full loads), time on page,
 * rage, dead and error clicks at their exact boundaries, form use and abandon, scroll depth,
 * vitals, custom events, identify, the client, batch boundaries and resuming from a digest.
 */
import assert from 'node:assert/strict';
import { CustomTag, type RecordedEvent, type SessionDigest, validateSessionDigest } from '@sentiero/protocol';
import { CHROME_MAC, IPHONE, T, ev } from './analytics-events.ts';
import {
  createDeriveState, deriveBatch, engagementScore, snapshotDigest, stateFromDigest,
} from '../src/analytics/derive.ts';

function derive(batches: RecordedEvent[][], userAgent = CHROME_MAC, windowId = 'w1'): SessionDigest {
  const s = createDeriveState('s1');
  for (const b of batches) deriveBatch(s, windowId, b, userAgent);
  const d = snapshotDigest(s);
  assert.ok(validateSessionDigest(d).ok, 'a derived digest is valid');
  return d;
}

describe('analytics: deriving a session digest', () => {
  it('pages in order with their time, SPA navigations, reloads of the same URL, and queries left out', () => {
    const d = derive([[
      ev.meta(0, 'https://shop.test/?utm=mail#top'), ev.page(0, 'https://shop.test/?utm=mail'), ev.move(4_000),
      ev.page(5_000, 'https://shop.test/cart'), ev.mutation(5_100), ev.meta(9_000, 'https://shop.test/cart?reload=1'),
      ev.page(12_000, 'https://shop.test/checkout'), ev.move(20_000),
    ]]);
    assert.deepEqual(d.pages.map((p) => [p.url, p.at - T, p.durationMs]), [
      ['https://shop.test/', 0, 5_000], ['https://shop.test/cart', 5_000, 7_000], ['https://shop.test/checkout', 12_000, 8_000],
    ]);
    assert.equal(d.counts.pages, 3);
    assert.equal(d.durationMs, 20_000);
    assert.equal(d.startedAt, T);
    assert.equal(d.counts.events, 8);
  });

  it('a rage click is 3 or more clicks on one selector within 30 px and 1 s of the first', () => {
    const rage = derive([[ev.page(0, 'https://shop.test/cart'), ev.click(100), ev.click(400, '#buy', 125, 180), ev.click(1_100, '#buy', 90, 210), ev.click(1_200), ev.move(5_000)]]);
    assert.deepEqual(rage.rageClicks.map((r) => [r.selector, r.at - T, r.clicks]), [['#buy', 100, 3]]);
    assert.equal(rage.counts.rageClicks, 1);
    const tooSlow = derive([[ev.click(0), ev.click(600), ev.click(1_001), ev.move(5_000)]]);
    assert.equal(tooSlow.counts.rageClicks, 0, 'the third click is 1001 ms after the first');
    const tooFar = derive([[ev.click(0), ev.click(100, '#buy', 131, 200), ev.click(200), ev.move(5_000)]]);
    assert.equal(tooFar.counts.rageClicks, 0, 'the second click is 31 px away');
    const otherTarget = derive([[ev.click(0), ev.click(100, '#other'), ev.click(200), ev.move(5_000)]]);
    assert.equal(otherTarget.counts.rageClicks, 0);
    const two = derive([[ev.click(0), ev.click(100), ev.click(200), ev.click(1_300), ev.click(1_400), ev.click(1_500), ev.move(5_000)]]);
    assert.deepEqual(two.rageClicks.map((r) => [r.at - T, r.clicks]), [[0, 3], [1_300, 3]], 'a burst past its first click\'s second starts a new one');
  });

  it('a dead click has no mutation, page or network request within 1 s; an error click has an error within 1 s', () => {
    const cases: [string, RecordedEvent[], 'dead' | 'error' | 'fine'][] = [
      ['nothing follows', [ev.click(0), ev.move(1_001)], 'dead'],
      ['a mutation at +1000', [ev.click(0), ev.mutation(1_000), ev.move(2_500)], 'fine'],
      ['a mutation at +1001', [ev.click(0), ev.mutation(1_001), ev.move(2_500)], 'dead'],
      ['a network request', [ev.click(0), ev.network(300), ev.move(2_500)], 'fine'],
      ['a page', [ev.click(0), ev.page(200, 'https://shop.test/next'), ev.move(2_500)], 'fine'],
      ['a full load', [ev.click(0), ev.meta(200, 'https://shop.test/next'), ev.move(2_500)], 'fine'],
      ['an error at +999', [ev.click(0), ev.error(999), ev.move(2_500)], 'error'],
      ['an error and a mutation', [ev.click(0), ev.mutation(10), ev.error(20), ev.move(2_500)], 'error'],
      ['an error at +1500', [ev.click(0), ev.error(1_500), ev.move(2_500)], 'dead'],
      ['a mutation before the click', [ev.mutation(0), ev.click(1), ev.move(2_500)], 'dead'],
    ];
    for (const [name, events, want] of cases) {
      const d = derive([events]);
      const got = d.counts.errorClicks ? 'error' : d.counts.deadClicks ? 'dead' : 'fine';
      assert.equal(got, want, name);
      assert.equal(d.counts.deadClicks + d.counts.errorClicks, want === 'fine' ? 0 : 1, name);
    }
    const entry = derive([[ev.click(0, '#save', 10, 20, 'https://shop.test/form?id=3'), ev.move(1_500)]]).deadClicks[0];
    assert.deepEqual(entry, { url: 'https://shop.test/form', selector: '#save', label: 'Buy now', at: T, clicks: 1 });
  });

  it('a click still inside its second is not classified until a later event of its window settles it, also in the next batch', () => {
    const s = createDeriveState('s1');
    deriveBatch(s, 'w1', [ev.click(0)], CHROME_MAC);
    deriveBatch(s, 'w2', [ev.move(5_000)], CHROME_MAC);
    assert.equal(snapshotDigest(s).counts.deadClicks, 0, 'another window says nothing about this one');
    deriveBatch(s, 'w1', [ev.move(1_200)], CHROME_MAC);
    assert.equal(snapshotDigest(s).counts.deadClicks, 1);
  });

  it('clicks keep their position on the page and inside the target', () => {
    const d = derive([[ev.page(0, 'https://shop.test/cart'), ev.click(10, '#buy', 640, 2_100)]]);
    assert.deepEqual(d.clicks, [{ url: 'https://shop.test/cart', selector: '#buy', label: 'Buy now', at: T + 10, x: 640, y: 2_100, relX: 0.5, relY: 0.25, vw: 1280, dh: 3000 }]);
  });

  it('form fields: focus, change, time in field, submit, and the field a form was abandoned at', () => {
    const d = derive([[
      ev.field(0, 'focus', 'email'), ev.field(100, 'change', 'email'), ev.field(2_000, 'blur', 'email'),
      ev.field(2_100, 'focus', 'password'), ev.field(2_600, 'blur', 'password'),
      ev.field(3_000, 'focus', 'q', 'search', 'https://shop.test/'), ev.field(3_500, 'blur', 'q', 'search', 'https://shop.test/'),
      ev.field(3_600, 'submit', '', 'search', 'https://shop.test/'),
    ]]);
    const byName = Object.fromEntries(d.fields.map((f) => [f.field, f]));
    assert.deepEqual(byName.email, { url: 'https://shop.test/signup', form: 'signup', field: 'email', focuses: 1, changes: 1, timeMs: 2_000, submitted: false, abandoned: false });
    assert.deepEqual(byName.password, { url: 'https://shop.test/signup', form: 'signup', field: 'password', focuses: 1, changes: 0, timeMs: 500, submitted: false, abandoned: true });
    assert.equal(byName.q.submitted, true);
    assert.equal(byName.q.abandoned, false);
    const submitted = derive([[ev.field(0, 'focus', 'email'), ev.field(10, 'blur', 'email'), ev.field(20, 'submit', '')]]);
    assert.equal(submitted.fields[0].abandoned, false);
    assert.equal(submitted.fields[0].submitted, true);
  });

  it('scroll depth is the deepest per page visit; vitals are kept per page', () => {
    const d = derive([[
      ev.page(0, 'https://shop.test/a'), ev.custom(10, CustomTag.SCROLL, { href: 'https://shop.test/a', depth: 0.4 }),
      ev.custom(20, CustomTag.SCROLL, { href: 'https://shop.test/a', depth: 0.2 }), ev.custom(30, CustomTag.VITAL, { name: 'LCP', value: 2_600, rating: 'good', href: 'https://shop.test/a' }),
      ev.custom(35, CustomTag.VITAL, { name: 'BOGUS', value: 1, href: 'https://shop.test/a' }),
      ev.page(100, 'https://shop.test/b'), ev.custom(110, CustomTag.SCROLL, { href: 'https://shop.test/b', depth: 7 }),
      ev.custom(120, CustomTag.SCROLL, { href: 'https://shop.test/a', depth: 0.9 }),
    ]]);
    assert.deepEqual(d.pages.map((p) => [p.url, p.scrollDepth, p.vitals]), [
      ['https://shop.test/a', 0.9, { LCP: 2_600 }], ['https://shop.test/b', 1, {}],
    ]);
  });

  it('custom events with primitive props, identify, and the client from the user agent', () => {
    const d = derive([[
      ev.page(0, 'https://shop.test/'), ev.custom(5, CustomTag.EVENT, { name: 'signup', props: { plan: 'pro', seats: 3, trial: true, nested: { a: 1 } }, source: 'click' }),
      ev.custom(6, CustomTag.EVENT, { props: {} }), ev.custom(7, CustomTag.IDENTIFY, { userId: 'u-42', traits: { email: 'a@b.c' } }),
    ]], IPHONE);
    assert.deepEqual(d.events, [{ name: 'signup', at: T + 5, url: 'https://shop.test/', props: { plan: 'pro', seats: 3, trial: true } }]);
    assert.equal(d.counts.customEvents, 1);
    assert.equal(d.userId, 'u-42');
    assert.deepEqual([d.browser, d.os, d.device], ['Mobile Safari', 'iOS', 'mobile']);
    assert.ok(!JSON.stringify(d).includes('a@b.c'), 'traits are not kept');
    const desktop = derive([[ev.move(0)]]);
    assert.deepEqual([desktop.browser, desktop.os, desktop.device], ['Chrome', 'Mac OS', 'desktop']);
  });

  it('goes on from a stored digest as if the state had been kept (pages, fields, counts)', () => {
    const first = [ev.page(0, 'https://shop.test/a'), ev.field(10, 'focus', 'email'), ev.click(20), ev.mutation(30), ev.move(2_000)];
    const second = [ev.move(6_000), ev.field(6_100, 'submit', ''), ev.page(7_000, 'https://shop.test/b'), ev.move(8_000)];
    const whole = derive([first, second]);
    const s = createDeriveState('s1');
    deriveBatch(s, 'w1', first, CHROME_MAC);
    const resumed = stateFromDigest(JSON.parse(JSON.stringify(snapshotDigest(s))) as SessionDigest, CHROME_MAC);
    deriveBatch(resumed, 'w1', second, CHROME_MAC);
    assert.deepEqual(snapshotDigest(resumed), whole);
    assert.equal(whole.pages[0].durationMs, 7_000);
    assert.equal(whole.fields[0].submitted, true);
  });

  it('scores engagement by the documented formula', () => {
    const pages = [{ url: 'u', windowId: 'w', at: 0, durationMs: 0, scrollDepth: 0.5, vitals: {} }, { url: 'v', windowId: 'w', at: 0, durationMs: 0, scrollDepth: 1, vitals: {} }];
    const counts = { events: 0, pages: 3, clicks: 5, rageClicks: 1, deadClicks: 1, errorClicks: 0, errors: 0, customEvents: 1 };
    // 30·(60/120) + 20·(2/4) + 20·(5/10) + 15·0.75 + 15·(1/3) − (10 + 5) = 15 + 10 + 10 + 11.25 + 5 − 15 = 36.25
    assert.equal(engagementScore({ durationMs: 60_000, counts, pages }), 36);
    assert.equal(engagementScore({ durationMs: 0, counts: { ...counts, clicks: 0, pages: 1, customEvents: 0, rageClicks: 9 }, pages: [] }), 0);
    assert.equal(engagementScore({ durationMs: 1e9, counts: { ...counts, pages: 9, clicks: 99, customEvents: 9, rageClicks: 0, deadClicks: 0 }, pages: [pages[1]] }), 100);
  });
});
