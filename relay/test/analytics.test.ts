/**
 * The analytics routes through a real relay on 127.0.0.1 with a real LevelDB: sessions sent
 * over the ingest socket, digests derived and written, every answer of the contract, saved
 * segments, coded errors, deletion, the index rebuilt from stored digests after a restart,
 * and no typed value ever reaching a digest or an answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CustomTag, ErrorCode, type FormsAnswer, type FrustrationAnswer, type FunnelAnswer, type HeatmapAnswer, type OverviewAnswer, type PagesAnswer,
  type RecordedEvent, type Segment,
} from '@sentiero/protocol';
import { LevelStore } from '@sentiero/storage';
import { waitFor } from '../../test/helpers/net.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';
import { CHROME_MAC, IPHONE, T, ev } from './analytics-events.ts';

const TYPED = 'hunter2-typed-by-the-visitor';

/** Sends the batches of one window over a real ingest socket and waits for every ack. */
async function send(t: TestRelay, sessionId: string, userAgent: string, batches: RecordedEvent[][], windowId = 'w1'): Promise<void> {
  const inbox = new Inbox(await t.socket('/ingest'));
  inbox.send({ t: 'hello', v: 1, sessionId, windowId, lastSeq: 0, meta: { url: 'https://shop.test/', userAgent, startedAt: T } });
  await inbox.next((m) => m.t === 'welcome');
  batches.forEach((events, i) => inbox.send({ t: 'batch', seq: i + 1, events }));
  for (let i = 1; i <= batches.length; i++) await inbox.next((m) => m.t === 'ack' && m.seq === i);
  inbox.ws.close();
}

async function get<T>(t: TestRelay, pathname: string, status = 200): Promise<T> {
  const res = await t.api(pathname);
  const body = res.status === 204 ? undefined : await res.json();
  assert.equal(res.status, status, `${pathname}: ${JSON.stringify(body)}`);
  return body as T;
}

async function post<T>(t: TestRelay, pathname: string, body: unknown, status = 200, method = 'POST'): Promise<T> {
  const res = await t.api(pathname, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  assert.equal(res.status, status, `${pathname}: ${JSON.stringify(answer)}`);
  return answer as T;
}

/** Session "buyer": home → cart (rage clicks on #buy) → checkout, a purchase event, a form submitted, vitals, scroll. */
const buyer: RecordedEvent[][] = [
  [
    ev.meta(0, 'https://shop.test/'), ev.page(0, 'https://shop.test/'), ev.custom(100, CustomTag.VITAL, { name: 'LCP', value: 1800, rating: 'good', href: 'https://shop.test/' }),
    ev.custom(200, CustomTag.SCROLL, { href: 'https://shop.test/', depth: 0.55 }), ev.page(2_000, 'https://shop.test/cart'),
    ev.click(2_100), ev.click(2_300), ev.click(2_500), ev.mutation(2_600),
  ],
  [
    ev.custom(3_000, CustomTag.IDENTIFY, { userId: 'user-1' }), ev.page(5_000, 'https://shop.test/checkout'),
    ev.field(5_100, 'focus', 'email', 'pay', 'https://shop.test/checkout'), ev.input(5_200, TYPED),
    ev.custom(5_250, CustomTag.FIELD, { form: 'pay', field: 'email', kind: 'change', href: 'https://shop.test/checkout', value: TYPED }),
    ev.field(6_000, 'blur', 'email', 'pay', 'https://shop.test/checkout'), ev.field(6_100, 'submit', '', 'pay', 'https://shop.test/checkout'),
    ev.custom(6_200, CustomTag.EVENT, { name: 'purchase', props: { plan: 'pro' } }), ev.move(20_000),
  ],
];

/** Session "leaver": home, a dead click, then checkout's form abandoned at "card" on an iPhone; an error click. */
const leaver: RecordedEvent[][] = [[
  ev.meta(60_000, 'https://shop.test/'), ev.click(61_000, '#promo', 300, 900, 'https://shop.test/'), ev.move(62_500),
  ev.page(63_000, 'https://shop.test/checkout'), ev.field(63_100, 'focus', 'email', 'pay', 'https://shop.test/checkout'), ev.field(63_500, 'blur', 'email', 'pay', 'https://shop.test/checkout'),
  ev.field(63_600, 'focus', 'card', 'pay', 'https://shop.test/checkout'), ev.input(63_700, TYPED), ev.field(64_000, 'blur', 'card', 'pay', 'https://shop.test/checkout'),
  ev.click(64_100, '#pay', 50, 60, 'https://shop.test/checkout'), ev.error(64_200), ev.move(66_000),
]];

describe('relay analytics routes', () => {
  let t: TestRelay;
  before(async () => {
    t = await startRelay({ analyticsFlushMs: 30 });
    await send(t, 'buyer', CHROME_MAC, buyer);
    await send(t, 'leaver', IPHONE, leaver);
    await waitFor(async () => (await get<OverviewAnswer>(t, '/api/analytics/overview')).sessions === 2, { what: 'both digests' });
  });
  after(async () => { await t.close(); });

  it('overview: counts, visitors, pageviews, durations, bounce, days, custom events, clients', async () => {
    const o = await get<OverviewAnswer>(t, '/api/analytics/overview');
    assert.deepEqual({ ...o, medianEngagement: typeof o.medianEngagement }, {
      read: 2, sessions: 2, sessionIds: ['leaver', 'buyer'], visitors: 2, pageviews: 5, medianDurationMs: (20_000 + 6_000) / 2, bounceRate: 0,
      perDay: [{ day: '2023-11-14', sessions: 2 }], customEvents: { purchase: 1 },
      browsers: { Chrome: 1, 'Mobile Safari': 1 }, os: { 'Mac OS': 1, iOS: 1 }, devices: { desktop: 1, mobile: 1 }, medianEngagement: 'number',
      linked: {
        perDay: { '2023-11-14': { sessions: 2, sessionIds: ['leaver', 'buyer'] } },
        customEvents: { purchase: { sessions: 1, sessionIds: ['buyer'] } },
        browsers: { Chrome: { sessions: 1, sessionIds: ['buyer'] }, 'Mobile Safari': { sessions: 1, sessionIds: ['leaver'] } },
        os: { 'Mac OS': { sessions: 1, sessionIds: ['buyer'] }, iOS: { sessions: 1, sessionIds: ['leaver'] } },
        devices: { desktop: { sessions: 1, sessionIds: ['buyer'] }, mobile: { sessions: 1, sessionIds: ['leaver'] } },
      },
    });
    const later = await get<OverviewAnswer>(t, `/api/analytics/overview?from=${T + 30_000}`);
    assert.deepEqual([later.read, later.sessions, later.sessionIds], [1, 1, ['leaver']]);
    assert.deepEqual(later.linked.browsers, { 'Mobile Safari': { sessions: 1, sessionIds: ['leaver'] } }, 'only the sessions in the range');
    const iso = await get<OverviewAnswer>(t, `/api/analytics/overview?to=${new Date(T + 1).toISOString()}`);
    assert.deepEqual(iso.sessionIds, ['buyer']);
  });

  it('pages: views, time, exits, scroll and vitals rated by the thresholds', async () => {
    const p = await get<PagesAnswer>(t, '/api/analytics/pages');
    const home = p.pages.find((x) => x.url === 'https://shop.test/');
    const checkout = p.pages.find((x) => x.url === 'https://shop.test/checkout');
    assert.equal(p.read, 2);
    assert.deepEqual([home?.views, home?.sessions, home?.exits, home?.vitals.LCP], [2, 2, 0, { p75: 1800, good: 1, needsImprovement: 0, poor: 0 }]);
    assert.deepEqual([checkout?.views, checkout?.exits, checkout?.exitRate, checkout?.sessionIds], [2, 2, 1, ['leaver', 'buyer']]);
    assert.equal(p.thresholds.LCP.good, 2500);
  });

  it('frustration: rage, dead and error clicks with their targets and sessions', async () => {
    const f = await get<FrustrationAnswer>(t, '/api/analytics/frustration');
    assert.deepEqual(f, {
      read: 2,
      rageClicks: [{ selector: '#buy', label: 'Buy now', url: 'https://shop.test/cart', count: 1, sessions: ['buyer'], sessionCount: 1 }],
      deadClicks: [{ selector: '#promo', label: 'Buy now', url: 'https://shop.test/', count: 1, sessions: ['leaver'], sessionCount: 1 }],
      errorClicks: [{ selector: '#pay', label: 'Buy now', url: 'https://shop.test/checkout', count: 1, sessions: ['leaver'], sessionCount: 1 }],
    });
  });

  it('heatmap: click points in page coordinates with the page size, and the scroll histogram', async () => {
    const h = await get<HeatmapAnswer>(t, `/api/analytics/heatmap?url=${encodeURIComponent('https://shop.test/cart?x=1')}&kind=click`);
    assert.deepEqual([h.url, h.kind, h.pointCount, h.page, h.sessionIds], ['https://shop.test/cart', 'click', 3, { width: 1280, height: 3000 }, ['buyer']]);
    assert.deepEqual(h.points[0], { x: 100, y: 200, selector: '#buy' });
    const s = await get<HeatmapAnswer>(t, `/api/analytics/heatmap?url=${encodeURIComponent('https://shop.test/')}&kind=scroll`);
    assert.deepEqual([s.points, s.scroll[0], s.scroll[5], s.scroll[6]], [[], { depth: 0, views: 2, share: 1 }, { depth: 0.5, views: 1, share: 0.5 }, { depth: 0.6, views: 0, share: 0 }]);
  });

  it('forms: per field interactions, time and drop-off', async () => {
    const f = await get<FormsAnswer>(t, `/api/analytics/forms?url=${encodeURIComponent('https://shop.test/checkout')}`);
    const by = Object.fromEntries(f.fields.map((x) => [x.field, x]));
    assert.deepEqual([by.email.sessions, by.email.interactions, by.email.abandoned, by.email.medianTimeMs], [2, 3, 0, (900 + 400) / 2]);
    assert.deepEqual([by.card.sessions, by.card.abandoned, by.card.dropOff, by.card.sessionIds], [1, 1, 1, ['leaver']]);
  });

  it('funnel: counts, sessions and the median time from the previous step', async () => {
    const f = await post<FunnelAnswer>(t, '/api/analytics/funnel', { steps: [{ url: 'shop.test/' }, { url: '/checkout' }, { event: 'purchase' }] });
    assert.deepEqual(f, {
      read: 2,
      steps: [
        { count: 2, sessions: ['leaver', 'buyer'], medianMsFromPrevious: null },
        { count: 2, sessions: ['leaver', 'buyer'], medianMsFromPrevious: (5_000 + 3_000) / 2 },
        { count: 1, sessions: ['buyer'], medianMsFromPrevious: 1_200 },
      ],
    });
    const quick = await post<FunnelAnswer>(t, '/api/analytics/funnel', { steps: [{ url: 'shop.test/' }, { url: '/checkout' }], withinMs: 4_000 });
    assert.deepEqual(quick.steps.map((s) => s.sessions), [['leaver', 'buyer'], ['leaver']]);
  });

  it('saved segments: create, list, filter queries, update, delete', async () => {
    const seg = await post<Segment>(t, '/api/segments', { name: 'iPhone', filter: { device: 'mobile' } }, 201);
    assert.deepEqual((await get<{ segments: Segment[] }>(t, '/api/segments')).segments, [seg]);
    const o = await get<OverviewAnswer>(t, `/api/analytics/overview?segment=${seg.id}`);
    assert.deepEqual([o.read, o.sessions, o.sessionIds], [2, 1, ['leaver']]);
    const filters: [object, string[]][] = [
      [{ event: 'purchase', property: { key: 'plan', value: 'pro' } }, ['buyer']], [{ event: 'purchase', property: { key: 'plan', value: 'free' } }, []],
      [{ hasErrors: true }, ['leaver']], [{ frustrated: true }, ['leaver', 'buyer']], [{ userId: 'user-1' }, ['buyer']], [{ url: 'CART' }, ['buyer']],
      [{ browser: 'Chrome', os: 'Mac OS' }, ['buyer']], [{ browser: 'Netscape' }, []],
    ];
    for (const [filter, ids] of filters) {
      const s = await post<Segment>(t, `/api/segments/${seg.id}`, { name: 'changed', filter }, 200, 'PUT');
      assert.equal(s.createdAt, seg.createdAt);
      assert.deepEqual((await get<OverviewAnswer>(t, `/api/analytics/overview?segment=${seg.id}`)).sessionIds, ids, JSON.stringify(filter));
    }
    const funnel = await post<FunnelAnswer>(t, '/api/analytics/funnel', { steps: [{ url: '/' }], segment: seg.id });
    assert.equal(funnel.steps[0].count, 0);
    assert.equal((await t.api(`/api/segments/${seg.id}`, { method: 'DELETE' })).status, 204);
    await get(t, `/api/segments/${seg.id}`, 404);
    await get(t, `/api/analytics/overview?segment=${seg.id}`, 400);
  });

  it('answers bad parameters with SENTIERO_INVALID_QUERY, and every route without the viewer token with 401', async () => {
    const bad: [string, unknown?][] = [
      ['/api/analytics/overview?from=yesterday'], [`/api/analytics/pages?from=${T + 1}&to=${T}`], ['/api/analytics/heatmap?kind=click'],
      ['/api/analytics/heatmap?url=https://shop.test/&kind=hover'], ['/api/analytics/overview?segment=nope'],
      ['/api/analytics/funnel', { steps: [] }], ['/api/analytics/funnel', { steps: [{ url: 'a', event: 'b' }] }],
      ['/api/analytics/funnel', { steps: Array.from({ length: 11 }, () => ({ url: 'a' })) }], ['/api/analytics/funnel', { steps: [{ url: 'a' }], withinMs: -1 }],
      ['/api/segments', { name: 'x', filter: { colour: 'red' } }], ['/api/segments', { name: '', filter: {} }], ['/api/segments', { name: 'x', filter: { property: { key: 'a', value: 'b' } } }],
    ];
    for (const [p, body] of bad) {
      const res = body === undefined ? await t.api(p) : await t.api(p, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 400, p);
      assert.equal(((await res.json()) as { code: string }).code, ErrorCode.INVALID_QUERY, `${p} ${JSON.stringify(body)}`);
    }
    const seg = await post<Segment>(t, '/api/segments', { name: 'auth', filter: {} }, 201);
    const routes: [string, string][] = [
      ...['overview', 'pages', 'frustration', 'forms', 'heatmap?url=https://shop.test/'].map((n): [string, string] => ['GET', `/api/analytics/${n}`]),
      ['POST', '/api/analytics/funnel'], ['GET', '/api/segments'], ['POST', '/api/segments'], ['GET', `/api/segments/${seg.id}`],
      ['PUT', `/api/segments/${seg.id}`], ['DELETE', `/api/segments/${seg.id}`],
    ];
    for (const [method, p] of routes) {
      for (const token of [null, 'wrong-token-0123456789abcdef', 'test_ingest_key_0123456789']) {
        const res = await t.api(p, { method, token, body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify({ name: 'x', filter: {}, steps: [{ url: '/' }] }) });
        assert.equal(res.status, 401, `${method} ${p} with ${token}`);
        assert.equal(((await res.json()) as { code: string }).code, ErrorCode.UNAUTHORIZED);
      }
    }
    assert.equal((await get<Segment>(t, `/api/segments/${seg.id}`)).name, 'auth', 'nothing changed without the token');
    assert.equal((await t.api(`/api/segments/${seg.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await t.api('/api/analytics/overview', { method: 'POST' })).status, 405);
    assert.equal((await t.api('/api/analytics/nothing')).status, 404);
  });

  it('never keeps or answers a typed value (rrweb Input text, a value slipped into a field event)', async () => {
    for (const id of ['buyer', 'leaver']) {
      const digest = await t.relay.store.getDigest(id);
      assert.ok(digest, id);
      assert.ok(!JSON.stringify(digest).includes(TYPED), `the digest of ${id} holds no typed value`);
    }
    const forms = await t.api('/api/analytics/forms');
    const text = await forms.text();
    assert.ok(text.includes('"card"') && !text.includes(TYPED), 'the forms answer names fields, never values');
  });
});

describe('relay analytics: deletion, restart and the option', () => {
  it('a deleted session leaves analytics; the index is rebuilt from stored digests after a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sentiero-analytics-'));
    try {
      let t = await startRelay({ store: new LevelStore({ location: dataDir }), analyticsFlushMs: 30 });
      await send(t, 'buyer', CHROME_MAC, buyer);
      await send(t, 'leaver', IPHONE, leaver);
      await waitFor(async () => (await get<OverviewAnswer>(t, '/api/analytics/overview')).sessions === 2, { what: 'both digests' });
      assert.equal((await t.api('/api/sessions/leaver', { method: 'DELETE' })).status, 204);
      assert.deepEqual((await get<OverviewAnswer>(t, '/api/analytics/overview')).sessionIds, ['buyer']);
      await t.relay.close();
      t.server.close();
      t = await startRelay({ store: new LevelStore({ location: dataDir }), analyticsFlushMs: 30 });
      const o = await get<OverviewAnswer>(t, '/api/analytics/overview');
      assert.deepEqual([o.sessions, o.sessionIds, o.customEvents], [1, ['buyer'], { purchase: 1 }]);
      // The buyer comes back in a new window: its digest goes on from the stored one.
      await send(t, 'buyer', CHROME_MAC, [[ev.page(30_000, 'https://shop.test/thanks'), ev.move(31_000)]], 'w2');
      await waitFor(async () => (await get<OverviewAnswer>(t, '/api/analytics/overview')).pageviews === 4, { what: 'the resumed digest' });
      await t.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('with analytics off, no digest is written and the routes answer 404', async () => {
    const t = await startRelay({ analytics: false });
    try {
      await send(t, 'buyer', CHROME_MAC, buyer);
      await get(t, '/api/analytics/overview', 404);
      assert.equal(await t.relay.store.getDigest('buyer'), undefined);
    } finally {
      await t.close();
    }
  });

  it('checks the options', async () => {
    const { createRelay } = await import('@sentiero/relay');
    assert.throws(() => createRelay({ analytics: 'yes' as unknown as boolean }), { name: 'TypeError', message: /analytics/ });
    assert.throws(() => createRelay({ analyticsFlushMs: 0 }), { name: 'TypeError', message: /analyticsFlushMs/ });
  });
});

