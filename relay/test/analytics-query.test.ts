/**
 * Property test: the overview, funnels and segment filters computed by the relay (events →
 * digests in random batches → the index → queries) equal a brute-force computation over the
 * raw events of a generated data set.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CustomTag, type FunnelStep, type RecordedEvent, type SegmentFilter } from '@sentiero/protocol';
import { createDeriveState, deriveBatch, snapshotDigest } from '../src/analytics/derive.ts';
import { DigestIndex } from '../src/analytics/digest-index.ts';
import { funnel, overview, type QueryScope } from '../src/analytics/query.ts';
import { CHROME_MAC, IPHONE } from './analytics-events.ts';

const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
/** The clients, named independently of the parser. */
const CLIENTS = [
  { ua: CHROME_MAC, browser: 'Chrome', os: 'Mac OS', device: 'desktop' },
  { ua: IPHONE, browser: 'Mobile Safari', os: 'iOS', device: 'mobile' },
  { ua: FIREFOX_WIN, browser: 'Firefox', os: 'Windows', device: 'desktop' },
];
const URLS = ['https://shop.test/', 'https://shop.test/cart', 'https://shop.test/checkout', 'https://shop.test/cart?coupon=1', 'https://blog.test/post'];
const EVENTS = ['signup', 'purchase', 'share'];
const PLANS = ['free', 'pro'];
const USERS = ['u1', 'u2', 'u3'];
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

type Action =
  | { k: 'page'; url: number } | { k: 'click'; x: number } | { k: 'event'; name: number; plan: number }
  | { k: 'identify'; user: number } | { k: 'error' } | { k: 'move' };

interface GenSession {
  id: string;
  client: number;
  start: number;
  steps: { gap: number; action: Action }[];
  cuts: number[];
}

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ k: fc.constant('page' as const), url: fc.nat(URLS.length - 1) }),
  fc.record({ k: fc.constant('click' as const), x: fc.nat(500) }),
  fc.record({ k: fc.constant('event' as const), name: fc.nat(EVENTS.length - 1), plan: fc.nat(PLANS.length - 1) }),
  fc.record({ k: fc.constant('identify' as const), user: fc.nat(USERS.length - 1) }),
  fc.record({ k: fc.constant('error' as const) }),
  fc.record({ k: fc.constant('move' as const) }),
);

const sessions = fc.array(
  fc.record({
    client: fc.nat(CLIENTS.length - 1),
    start: fc.integer({ min: 0, max: 5 * DAY }),
    steps: fc.array(fc.record({ gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 })), action }), { maxLength: 25 }),
    cuts: fc.array(fc.nat(30), { maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 12 },
).map((list) => list.map((s, i): GenSession => ({ ...s, id: `s${i}`, start: T0 + s.start })));

const filter: fc.Arbitrary<SegmentFilter> = fc.record({
  url: fc.constantFrom('cart', 'BLOG', 'checkout'),
  browser: fc.constantFrom(...CLIENTS.map((c) => c.browser)),
  device: fc.constantFrom('desktop', 'mobile'),
  event: fc.constantFrom(...EVENTS),
  hasErrors: fc.boolean(),
  userId: fc.constantFrom(...USERS),
}, { requiredKeys: [] }).chain((f) => (f.event === undefined
  ? fc.constant(f)
  : fc.option(fc.constantFrom(...PLANS), { nil: undefined }).map((plan) => (plan === undefined ? f : { ...f, property: { key: 'plan', value: plan } }))));

const step: fc.Arbitrary<FunnelStep> = fc.oneof(fc.constantFrom(...['cart', 'checkout', 'shop.test/', 'post'].map((url) => ({ url }))), fc.constantFrom(...EVENTS.map((event) => ({ event }))));

/** The session's raw events: a Meta first, then each action. */
function eventsOf(s: GenSession): RecordedEvent[] {
  let t = s.start;
  const out: RecordedEvent[] = [{ type: 4, timestamp: t, data: { href: URLS[0], width: 1, height: 1 } }];
  for (const { gap, action: a } of s.steps) {
    t += gap;
    const custom = (tag: string, payload: object): RecordedEvent => ({ type: 5, timestamp: t, data: { tag, payload } });
    switch (a.k) {
      case 'page': out.push(custom(CustomTag.PAGE, { href: URLS[a.url], title: '' })); break;
      case 'click': out.push(custom(CustomTag.CLICK, { selector: '#b', label: 'B', pageX: a.x, pageY: 10, relX: 0, relY: 0, vw: 1, vh: 1, dh: 1 })); break;
      case 'event': out.push(custom(CustomTag.EVENT, { name: EVENTS[a.name], props: { plan: PLANS[a.plan] } })); break;
      case 'identify': out.push(custom(CustomTag.IDENTIFY, { userId: USERS[a.user] })); break;
      case 'error': out.push(custom(CustomTag.ERROR, { name: 'Error', message: 'boom', stack: '' })); break;
      case 'move': out.push({ type: 3, timestamp: t, data: { source: 1, positions: [] } }); break;
    }
  }
  return out;
}

/** What brute force knows of a session, straight from its raw events. */
interface Raw {
  id: string;
  start: number;
  duration: number;
  client: (typeof CLIENTS)[number];
  /** Page entries: (time, URL without query), a new one when the URL changes. */
  pages: { at: number; url: string }[];
  events: { at: number; name: string; plan: string }[];
  clicks: number;
  errors: number;
  user: string | undefined;
}

function raw(s: GenSession): Raw {
  const events = eventsOf(s);
  const r: Raw = {
    id: s.id, start: events[0].timestamp, duration: events[events.length - 1].timestamp - events[0].timestamp, client: CLIENTS[s.client],
    pages: [], events: [], clicks: 0, errors: 0, user: undefined,
  };
  for (const e of events) {
    const d = e.data as { href?: string; tag?: string; payload?: Record<string, unknown> };
    const href = e.type === 4 ? d.href : d.tag === CustomTag.PAGE ? (d.payload?.href as string) : undefined;
    if (href !== undefined) {
      const url = href.split('?')[0];
      if (r.pages[r.pages.length - 1]?.url !== url) r.pages.push({ at: e.timestamp, url });
    }
    if (d.tag === CustomTag.EVENT) r.events.push({ at: e.timestamp, name: d.payload?.name as string, plan: (d.payload?.props as { plan: string }).plan });
    if (d.tag === CustomTag.CLICK) r.clicks++;
    if (d.tag === CustomTag.ERROR) r.errors++;
    if (d.tag === CustomTag.IDENTIFY) r.user = d.payload?.userId as string;
  }
  return r;
}

function keeps(r: Raw, f: SegmentFilter | undefined): boolean {
  if (!f) return true;
  if (f.url !== undefined && !r.pages.some((p) => p.url.toLowerCase().includes(f.url!.toLowerCase()))) return false;
  if (f.browser !== undefined && r.client.browser !== f.browser) return false;
  if (f.device !== undefined && r.client.device !== f.device) return false;
  if (f.event !== undefined && !r.events.some((e) => e.name === f.event && (!f.property || e.plan === f.property.value))) return false;
  if (f.hasErrors !== undefined && (r.errors > 0) !== f.hasErrors) return false;
  if (f.userId !== undefined && r.user !== f.userId) return false;
  return true;
}

const inScope = (r: Raw, scope: QueryScope): boolean => r.start >= (scope.from ?? -Infinity) && r.start <= (scope.to ?? Infinity) && keeps(r, scope.filter);
const newestFirst = (rs: Raw[]): string[] => [...rs].sort((a, b) => b.start - a.start || 0).map((r) => r.id);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
function tally(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}
const sortedEntries = (o: Record<string, number>) => Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** Per key, how many sessions and the ids of the latest 20 (sorted, to compare as sets). */
function linkedBy(rs: Raw[], keys: (r: Raw) => string[]): Record<string, [number, string[]]> {
  const groups: Record<string, Raw[]> = {};
  for (const r of rs) for (const k of new Set(keys(r))) (groups[k] ??= []).push(r);
  return Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, [g.length, newestFirst(g).slice(0, 20).sort()]]));
}

/** An answer's `linked` part in `linkedBy`'s form. */
const linkedOf = (o: Record<string, { sessions: number; sessionIds: string[] }>) => Object.fromEntries(Object.entries(o).map(([k, l]) => [k, [l.sessions, [...l.sessionIds].sort()]]));

/** Builds the index the way the relay does: each session's events in random batches, digests snapshotted between them. */
function indexOf(list: GenSession[]): DigestIndex {
  const index = new DigestIndex();
  for (const s of list) {
    const events = eventsOf(s);
    const state = createDeriveState(s.id);
    const cuts = [...new Set(s.cuts.map((c) => Math.min(c, events.length)))].sort((a, b) => a - b);
    let from = 0;
    for (const cut of [...cuts, events.length]) {
      deriveBatch(state, 'w1', events.slice(from, cut), CLIENTS[s.client].ua);
      index.put(snapshotDigest(state));
      from = cut;
    }
  }
  return index;
}

const scope: fc.Arbitrary<QueryScope> = fc.record({
  from: fc.option(fc.integer({ min: 0, max: 5 * DAY }).map((x) => T0 + x), { nil: undefined }),
  to: fc.option(fc.integer({ min: 0, max: 5 * DAY }).map((x) => T0 + x), { nil: undefined }),
  filter: fc.option(filter, { nil: undefined }),
});

describe('analytics queries against brute force over the raw events', () => {
  it('overview', () => {
    fc.assert(fc.property(sessions, scope, (list, sc) => {
      const index = indexOf(list);
      const all = list.map(raw);
      const kept = all.filter((r) => inScope(r, sc));
      const got = overview(index, sc);
      const users = new Set(kept.flatMap((r) => (r.user === undefined ? [] : [r.user])));
      assert.equal(got.read, all.filter((r) => r.start >= (sc.from ?? -Infinity) && r.start <= (sc.to ?? Infinity)).length);
      assert.equal(got.sessions, kept.length);
      assert.deepEqual(new Set(got.sessionIds), new Set(newestFirst(kept).slice(0, 20)));
      assert.equal(got.visitors, users.size + kept.filter((r) => r.user === undefined).length);
      assert.equal(got.pageviews, kept.reduce((n, r) => n + r.pages.length, 0));
      assert.equal(got.medianDurationMs, median(kept.map((r) => r.duration)));
      const bounces = kept.filter((r) => r.pages.length <= 1 && r.clicks === 0 && r.duration < 10_000).length;
      assert.equal(got.bounceRate, kept.length ? bounces / kept.length : 0);
      assert.deepEqual(got.perDay, Object.entries(tally(kept.map((r) => new Date(r.start).toISOString().slice(0, 10)))).sort().map(([day, n]) => ({ day, sessions: n })));
      assert.deepEqual(sortedEntries(got.customEvents), sortedEntries(tally(kept.flatMap((r) => r.events.map((e) => e.name)))));
      assert.deepEqual(sortedEntries(got.browsers), sortedEntries(tally(kept.map((r) => r.client.browser))));
      assert.deepEqual(sortedEntries(got.devices), sortedEntries(tally(kept.map((r) => r.client.device))));
      const day = (r: Raw) => new Date(r.start).toISOString().slice(0, 10);
      assert.deepEqual(linkedOf(got.linked.perDay), linkedBy(kept, (r) => [day(r)]));
      assert.deepEqual(linkedOf(got.linked.customEvents), linkedBy(kept, (r) => r.events.map((e) => e.name)));
      assert.deepEqual(linkedOf(got.linked.browsers), linkedBy(kept, (r) => [r.client.browser]));
      assert.deepEqual(linkedOf(got.linked.os), linkedBy(kept, (r) => [r.client.os]));
      assert.deepEqual(linkedOf(got.linked.devices), linkedBy(kept, (r) => [r.client.device]));
      for (const l of Object.values(got.linked.browsers)) assert.deepEqual(l.sessionIds, newestFirst(kept.filter((r) => l.sessionIds.includes(r.id))), 'newest first');
    }), { numRuns: 150 });
  });

  it('funnels, with and without a time limit, in a segment', () => {
    fc.assert(fc.property(sessions, fc.array(step, { minLength: 1, maxLength: 4 }), fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }), scope, (list, steps, withinMs, sc) => {
      const index = indexOf(list);
      const kept = list.map(raw).filter((r) => inScope(r, sc));
      const reached: Raw[][] = steps.map(() => []);
      const gaps: number[][] = steps.map(() => []);
      for (const r of kept) {
        const times = (st: FunnelStep): number[] => ('url' in st
          ? r.pages.filter((p) => p.url.toLowerCase().includes(st.url.toLowerCase())).map((p) => p.at)
          : r.events.filter((e) => e.name === st.event).map((e) => e.at));
        let at = Math.min(...times(steps[0]));
        if (at === Infinity) continue;
        const start = at;
        reached[0].push(r);
        for (let k = 1; k < steps.length; k++) {
          const next = Math.min(...times(steps[k]).filter((x) => x >= at));
          if (next === Infinity || next - start > (withinMs ?? Infinity)) break;
          reached[k].push(r);
          gaps[k].push(next - at);
          at = next;
        }
      }
      const got = funnel(index, sc, steps, withinMs);
      assert.deepEqual(got.steps.map((s) => s.count), reached.map((rs) => rs.length));
      got.steps.forEach((s, k) => {
        assert.deepEqual(new Set(s.sessions), new Set(newestFirst(reached[k]).slice(0, 20)));
        assert.equal(s.medianMsFromPrevious, k === 0 || !gaps[k].length ? null : median(gaps[k]));
      });
    }), { numRuns: 150 });
  });

  it('segment filters keep exactly the sessions brute force keeps', () => {
    fc.assert(fc.property(sessions, filter, (list, f) => {
      const got = overview(indexOf(list), { filter: f });
      const want = list.map(raw).filter((r) => keeps(r, f));
      assert.deepEqual(new Set(got.sessionIds), new Set(newestFirst(want).slice(0, 20)));
      assert.equal(got.sessions, want.length);
    }), { numRuns: 200 });
  });
});

describe('the digest index', () => {
  it('answers the same after digests are replaced many times (dead rows, compaction) and after deletions', () => {
    const list = fc.sample(sessions, { numRuns: 1, seed: 7 })[0].concat(fc.sample(sessions, { numRuns: 1, seed: 8 })[0].map((s) => ({ ...s, id: `t${s.id}` })));
    const churned = new DigestIndex();
    for (let round = 0; round < 1200; round++) {
      for (const s of list) {
        const state = createDeriveState(s.id);
        deriveBatch(state, 'w1', eventsOf(s).slice(0, round % 7 === 6 ? undefined : 1 + (round % 5)), CLIENTS[s.client].ua);
        churned.put(snapshotDigest(state));
      }
    }
    for (const s of list) {
      const state = createDeriveState(s.id);
      deriveBatch(state, 'w1', eventsOf(s), CLIENTS[s.client].ua);
      churned.put(snapshotDigest(state));
    }
    churned.remove(list[0].id);
    const fresh = indexOf(list.slice(1));
    assert.ok(churned.sessions.length < 1200 * list.length, 'dead rows were compacted away');
    assert.equal(churned.size, list.length - 1);
    const steps: FunnelStep[] = [{ url: 'shop.test' }, { event: 'signup' }, { url: 'cart' }];
    assert.deepEqual(overview(churned, {}), overview(fresh, {}));
    assert.deepEqual(funnel(churned, {}, steps), funnel(fresh, {}, steps));
    assert.deepEqual(overview(churned, { filter: { event: 'purchase', property: { key: 'plan', value: 'pro' } } }), overview(fresh, { filter: { event: 'purchase', property: { key: 'plan', value: 'pro' } } }));
  });
});
