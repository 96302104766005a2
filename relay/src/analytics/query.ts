/**
 * Analytics queries: each reads the digest index (digest-index.ts), never an event. Every
 * answer says how many sessions it read (`read`: those in the time range, before the segment
 * filter) and lists, beside each count, the most recent sessions behind it.
 */
import {
  MAX_HEATMAP_POINTS, MAX_LINKED_SESSIONS, VITAL_THRESHOLDS, rateVital, type FieldFigures, type FormsAnswer, type FrustrationAnswer,
  type FrustrationTarget, type FunnelAnswer, type FunnelStep, type HeatmapAnswer, type LinkedSessions, type OverviewAnswer, type PageFigures, type PagesAnswer,
  type SegmentFilter, type VitalFigures,
} from '@sentiero/protocol';
import { BOUNCE_MS } from './derive.ts';
import { type DigestIndex, FrustrationKind, VITALS } from './digest-index.ts';

/** Which sessions a query reads: `startedAt` within [from, to], and those the filter keeps. */
export interface QueryScope {
  from?: number;
  to?: number;
  filter?: SegmentFilter;
}

const DAY_MS = 86_400_000;

/** A day number (days since epoch) as its UTC date, `YYYY-MM-DD`. */
const dayName = (d: number): string => new Date(d * DAY_MS).toISOString().slice(0, 10);

/** The most recent sessions behind a count (at most `MAX_LINKED_SESSIONS`), and how many there are. */
class Linked {
  total = 0;
  readonly #rows: number[] = [];
  readonly #starts: number[] = [];
  /** Where the oldest kept one is, once full. */
  #oldest = 0;

  add(row: number, start: number): void {
    this.total++;
    const rows = this.#rows;
    const starts = this.#starts;
    if (rows.length < MAX_LINKED_SESSIONS) {
      rows.push(row);
      starts.push(start);
      if (rows.length === MAX_LINKED_SESSIONS) this.#findOldest();
      return;
    }
    if (start <= starts[this.#oldest]) return;
    rows[this.#oldest] = row;
    starts[this.#oldest] = start;
    this.#findOldest();
  }

  #findOldest(): void {
    const starts = this.#starts;
    let o = 0;
    for (let i = 1; i < starts.length; i++) if (starts[i] < starts[o]) o = i;
    this.#oldest = o;
  }

  /** Their ids, newest first. */
  ids(index: DigestIndex): string[] {
    const order = this.#rows.map((_, i) => i).sort((a, b) => this.#starts[b] - this.#starts[a] || this.#rows[a] - this.#rows[b]);
    return order.map((i) => index.ids[this.#rows[i]]);
  }
}

/** The k-th smallest of `a` (0-based), reordering `a` (quickselect: linear time, where a sort of 100,000 values costs tens of ms). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const x = a[i];
        a[i] = a[j];
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** The median of the first `n` values (NaN when none); a Float64Array given is reordered. */
function median(values: number[] | Float64Array, n = values.length): number {
  if (n === 0) return Number.NaN;
  const a = values instanceof Float64Array ? values.subarray(0, n) : Float64Array.from(values);
  if (n % 2) return select(a, (n - 1) / 2);
  const hi = select(a, n / 2);
  let lo = -Infinity;
  for (let i = 0; i < n / 2; i++) if (a[i] > lo) lo = a[i];
  return (lo + hi) / 2;
}

/** The `p`th percentile (nearest rank). */
function percentile(values: number[], p: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

const orZero = (x: number): number => (Number.isFinite(x) ? x : 0);

/** A predicate over session rows for a segment filter; rows of other sessions are never asked about. */
function matcher(index: DigestIndex, filter: SegmentFilter | undefined): (row: number) => boolean {
  if (!filter) return () => true;
  const c = index.sessions.cols;
  const dict = index.dict;
  const tests: ((r: number) => boolean)[] = [];
  for (const key of ['browser', 'os', 'device'] as const) {
    const want = filter[key];
    if (want === undefined) continue;
    const id = dict.find(want);
    tests.push((r) => c[key][r] === id);
  }
  if (filter.userId !== undefined) {
    const id = dict.find(filter.userId);
    tests.push((r) => id >= 0 && c.user[r] === id);
  }
  if (filter.hasErrors !== undefined) tests.push((r) => c.errors[r] > 0 === filter.hasErrors);
  if (filter.frustrated !== undefined) tests.push((r) => c.frus[r] > 0 === filter.frustrated);
  if (filter.url !== undefined) {
    const hit = index.dict.containing(filter.url);
    const url = index.pages.cols.url;
    tests.push((r) => {
      for (let i = c.p0[r]; i < c.p1[r]; i++) if (hit[url[i]]) return true;
      return false;
    });
  }
  if (filter.event !== undefined) {
    const name = dict.find(filter.event);
    const names = index.events.cols.name;
    const p = index.props.cols;
    const key = filter.property ? dict.find(filter.property.key) : -1;
    const val = filter.property ? dict.find(filter.property.value) : -1;
    tests.push(filter.property
      ? (r) => {
        for (let i = c.q0[r]; i < c.q1[r]; i++) if (p.name[i] === name && p.key[i] === key && p.val[i] === val) return true;
        return false;
      }
      : (r) => {
        for (let i = c.e0[r]; i < c.e1[r]; i++) if (names[i] === name) return true;
        return false;
      });
  }
  return (r) => {
    for (const t of tests) if (!t(r)) return false;
    return true;
  };
}

/** Calls `fn` for each live session in the scope; returns how many were in the time range (`read`). */
function scan(index: DigestIndex, scope: QueryScope, fn: (row: number) => void): number {
  const c = index.sessions.cols;
  const from = scope.from ?? -Infinity;
  const to = scope.to ?? Infinity;
  const keep = matcher(index, scope.filter);
  let read = 0;
  for (let r = 0; r < index.sessions.length; r++) {
    if (!c.alive[r] || c.start[r] < from || c.start[r] > to) continue;
    read++;
    if (keep(r)) fn(r);
  }
  return read;
}

/** Per interned string, a count; as `{ string: count }`, largest first. */
function countsOf(counts: Int32Array, index: DigestIndex): Record<string, number> {
  const out: [string, number][] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id]) out.push([index.dict.values[id], counts[id]]);
  return Object.fromEntries(out.sort((a, b) => b[1] - a[1]));
}

/** Per key, the sessions behind its count; built while a query scans, so the index keeps nothing more. */
class LinkedBy<K> {
  readonly #byKey = new Map<K, Linked>();

  add(key: K, row: number, start: number): void {
    let l = this.#byKey.get(key);
    if (!l) {
      l = new Linked();
      this.#byKey.set(key, l);
    }
    l.add(row, start);
  }

  /** As `{ name: { sessions, sessionIds } }`, naming each key with `name`. */
  answer(index: DigestIndex, name: (key: K) => string): Record<string, LinkedSessions> {
    const out: Record<string, LinkedSessions> = {};
    for (const [key, l] of this.#byKey) out[name(key)] = { sessions: l.total, sessionIds: l.ids(index) };
    return out;
  }
}

/** `GET <base>/api/analytics/overview`. */
export function overview(index: DigestIndex, scope: QueryScope): OverviewAnswer {
  const c = index.sessions.cols;
  const strings = index.dict.values.length;
  const linked = new Linked();
  const durations = new Float64Array(index.sessions.length);
  const engagement = new Float64Array(index.sessions.length);
  const user = new Uint8Array(strings);
  let users = 0;
  let anonymous = 0;
  let pageviews = 0;
  let bounces = 0;
  const days = new Map<number, number>();
  const browsers = new Int32Array(strings);
  const os = new Int32Array(strings);
  const devices = new Int32Array(strings);
  const events = new Int32Array(strings);
  const names = index.events.cols.name;
  const byDay = new LinkedBy<number>();
  const byEvent = new LinkedBy<number>();
  const byBrowser = new LinkedBy<number>();
  const byOs = new LinkedBy<number>();
  const byDevice = new LinkedBy<number>();
  /** The last session row each event name was linked to, so a session counts once per name. */
  const eventRow = new Int32Array(strings).fill(-1);
  let n = 0;
  const read = scan(index, scope, (r) => {
    const start = c.start[r];
    linked.add(r, start);
    durations[n] = c.dur[r];
    engagement[n++] = c.eng[r];
    const u = c.user[r];
    if (u < 0) anonymous++;
    else if (!user[u]) {
      user[u] = 1;
      users++;
    }
    pageviews += c.pv[r];
    if (c.pv[r] <= 1 && c.clicks[r] === 0 && c.dur[r] < BOUNCE_MS) bounces++;
    const day = Math.floor(c.start[r] / DAY_MS);
    days.set(day, (days.get(day) ?? 0) + 1);
    byDay.add(day, r, start);
    browsers[c.browser[r]]++;
    byBrowser.add(c.browser[r], r, start);
    os[c.os[r]]++;
    byOs.add(c.os[r], r, start);
    devices[c.device[r]]++;
    byDevice.add(c.device[r], r, start);
    for (let i = c.e0[r]; i < c.e1[r]; i++) {
      events[names[i]]++;
      if (eventRow[names[i]] === r) continue;
      eventRow[names[i]] = r;
      byEvent.add(names[i], r, start);
    }
  });
  const str = (id: number): string => index.dict.values[id];
  return {
    read, sessions: n, sessionIds: linked.ids(index), visitors: users + anonymous, pageviews,
    medianDurationMs: orZero(median(durations, n)), bounceRate: n ? bounces / n : 0,
    perDay: [...days].sort((a, b) => a[0] - b[0]).map(([d, k]) => ({ day: dayName(d), sessions: k })),
    customEvents: countsOf(events, index), browsers: countsOf(browsers, index), os: countsOf(os, index), devices: countsOf(devices, index),
    medianEngagement: orZero(median(engagement, n)),
    linked: {
      perDay: byDay.answer(index, dayName), customEvents: byEvent.answer(index, str),
      browsers: byBrowser.answer(index, str), os: byOs.answer(index, str), devices: byDevice.answer(index, str),
    },
  };
}

/** How many pages `pages` lists, most viewed first. */
const MAX_PAGES_LISTED = 100;

/** `GET <base>/api/analytics/pages`. */
export function pages(index: DigestIndex, scope: QueryScope): PagesAnswer {
  const c = index.sessions.cols;
  const p = index.pages.cols;
  interface Acc { views: number; linked: Linked; last: number; times: number[]; scroll: number[]; exits: number; vitals: number[][] }
  const byUrl = new Map<number, Acc>();
  const read = scan(index, scope, (r) => {
    let exit = -1;
    for (let i = c.p0[r]; i < c.p1[r]; i++) {
      let a = byUrl.get(p.url[i]);
      if (!a) {
        a = { views: 0, linked: new Linked(), last: -1, times: [], scroll: [], exits: 0, vitals: VITALS.map(() => []) };
        byUrl.set(p.url[i], a);
      }
      a.views++;
      if (a.last !== r) {
        a.last = r;
        a.linked.add(r, c.start[r]);
      }
      a.times.push(p.dur[i]);
      a.scroll.push(p.scroll[i]);
      VITALS.forEach((v, k) => {
        const x = p[v][i];
        if (!Number.isNaN(x)) a.vitals[k].push(x);
      });
      if (exit < 0 || p.at[i] >= p.at[exit]) exit = i;
    }
    if (exit >= 0) (byUrl.get(p.url[exit]) as Acc).exits++;
  });
  const list = [...byUrl].sort((a, b) => b[1].views - a[1].views).slice(0, MAX_PAGES_LISTED);
  return {
    read, thresholds: VITAL_THRESHOLDS,
    pages: list.map(([url, a]): PageFigures => {
      const vitals: PageFigures['vitals'] = {};
      VITALS.forEach((v, k) => {
        const xs = a.vitals[k];
        if (!xs.length) return;
        const f: VitalFigures = { p75: percentile(xs, 0.75), good: 0, needsImprovement: 0, poor: 0 };
        for (const x of xs) {
          const rating = rateVital(v, x);
          if (rating === 'good') f.good++;
          else if (rating === 'poor') f.poor++;
          else f.needsImprovement++;
        }
        vitals[v] = f;
      });
      return {
        url: index.dict.values[url], views: a.views, sessions: a.linked.total, sessionIds: a.linked.ids(index), medianTimeMs: orZero(median(a.times)),
        exits: a.exits, exitRate: a.linked.total ? a.exits / a.linked.total : 0, medianScrollDepth: orZero(median(a.scroll)), vitals,
      };
    }),
  };
}

/** How many targets each frustration list holds, most frequent first. */
const MAX_TARGETS = 50;

/** `GET <base>/api/analytics/frustration`. */
export function frustration(index: DigestIndex, scope: QueryScope): FrustrationAnswer {
  const c = index.sessions.cols;
  const f = index.frus.cols;
  const kinds = [new Map<string, { i: number; count: number; linked: Linked; last: number }>(), new Map(), new Map()];
  const read = scan(index, scope, (r) => {
    for (let i = c.r0[r]; i < c.r1[r]; i++) {
      const key = `${f.sel[i]}|${f.label[i]}|${f.url[i]}`;
      const map = kinds[f.kind[i]];
      let a = map.get(key);
      if (!a) {
        a = { i, count: 0, linked: new Linked(), last: -1 };
        map.set(key, a);
      }
      a.count++;
      if (a.last !== r) {
        a.last = r;
        a.linked.add(r, c.start[r]);
      }
    }
  });
  const dict = index.dict.values;
  // The entries' positions in the table stay valid: nothing is added while the answer is built.
  const targets = (kind: number): FrustrationTarget[] => [...kinds[kind].values()]
    .sort((a, b) => b.count - a.count || b.linked.total - a.linked.total)
    .slice(0, MAX_TARGETS)
    .map((a) => ({ selector: dict[f.sel[a.i]], label: dict[f.label[a.i]], url: dict[f.url[a.i]], count: a.count, sessions: a.linked.ids(index), sessionCount: a.linked.total }));
  return { read, rageClicks: targets(FrustrationKind.RAGE), deadClicks: targets(FrustrationKind.DEAD), errorClicks: targets(FrustrationKind.ERROR) };
}

/** `GET <base>/api/analytics/heatmap` for one page URL (as digests keep it: origin and path). */
export function heatmap(index: DigestIndex, scope: QueryScope, url: string, kind: 'click' | 'scroll'): HeatmapAnswer {
  const c = index.sessions.cols;
  const k = index.clicks.cols;
  const p = index.pages.cols;
  const target = index.dict.find(url);
  const points: HeatmapAnswer['points'] = [];
  let pointCount = 0;
  const widths: number[] = [];
  const heights: number[] = [];
  const buckets = new Float64Array(11);
  let views = 0;
  const linked = new Linked();
  const read = scan(index, scope, (r) => {
    if (target < 0) return;
    let seen = false;
    for (let i = c.p0[r]; i < c.p1[r]; i++) {
      if (p.url[i] !== target) continue;
      seen = true;
      views++;
      buckets[Math.min(10, Math.floor(p.scroll[i] * 10 + 1e-9))]++;
    }
    if (kind === 'click') {
      for (let i = c.c0[r]; i < c.c1[r]; i++) {
        if (k.url[i] !== target) continue;
        seen = true;
        pointCount++;
        if (widths.length < MAX_HEATMAP_POINTS) {
          widths.push(k.vw[i]);
          heights.push(k.dh[i]);
        }
        if (points.length < MAX_HEATMAP_POINTS) points.push({ x: k.x[i], y: k.y[i], selector: index.dict.values[k.sel[i]] });
      }
    }
    if (seen) linked.add(r, c.start[r]);
  });
  // views reaching at least depth d: the buckets from d up.
  const scroll: HeatmapAnswer['scroll'] = [];
  let atLeast = 0;
  for (let d = 10; d >= 0; d--) {
    atLeast += buckets[d];
    scroll.unshift({ depth: d / 10, views: atLeast, share: views ? atLeast / views : 0 });
  }
  return {
    read, url, kind, page: { width: orZero(median(widths)), height: orZero(median(heights)) }, points: kind === 'click' ? points : [], pointCount: kind === 'click' ? pointCount : 0,
    scroll, sessions: linked.total, sessionIds: linked.ids(index),
  };
}

/** How many fields `forms` lists, most used first. */
const MAX_FIELDS = 200;

/** `GET <base>/api/analytics/forms`, for one page URL or all. */
export function forms(index: DigestIndex, scope: QueryScope, url: string | undefined): FormsAnswer {
  const c = index.sessions.cols;
  const f = index.fields.cols;
  const target = url === undefined ? undefined : index.dict.find(url);
  const byField = new Map<string, { i: number; linked: Linked; interactions: number; times: number[]; abandoned: number }>();
  const read = scan(index, scope, (r) => {
    for (let i = c.f0[r]; i < c.f1[r]; i++) {
      if (target !== undefined && f.url[i] !== target) continue;
      const key = `${f.url[i]}|${f.form[i]}|${f.field[i]}`;
      let a = byField.get(key);
      if (!a) {
        a = { i, linked: new Linked(), interactions: 0, times: [], abandoned: 0 };
        byField.set(key, a);
      }
      a.linked.add(r, c.start[r]);
      a.interactions += f.focuses[i] + f.changes[i];
      if (f.focuses[i] > 0) a.times.push(f.time[i]);
      a.abandoned += f.abandoned[i];
    }
  });
  const dict = index.dict.values;
  const fields = [...byField.values()].sort((a, b) => b.linked.total - a.linked.total || b.interactions - a.interactions).slice(0, MAX_FIELDS)
    .map((a): FieldFigures => ({
      url: dict[f.url[a.i]], form: dict[f.form[a.i]], field: dict[f.field[a.i]], sessions: a.linked.total, sessionIds: a.linked.ids(index),
      interactions: a.interactions, medianTimeMs: orZero(median(a.times)), abandoned: a.abandoned, dropOff: a.linked.total ? a.abandoned / a.linked.total : 0,
    }));
  return { read, fields };
}

/**
 * `POST <base>/api/analytics/funnel`. A session enters at its first occurrence of step 1 (a
 * page visit whose URL contains the step's text, case-insensitive, or a custom event of that
 * name); each next step is its first occurrence at or after the previous step's; with
 * `withinMs`, a step later than the first step's time plus `withinMs` does not count.
 */
export function funnel(index: DigestIndex, scope: QueryScope, steps: readonly FunnelStep[], withinMs = Infinity): FunnelAnswer {
  const c = index.sessions.cols;
  const p = index.pages.cols;
  const e = index.events.cols;
  const tests = steps.map((s) => ('url' in s ? { url: index.dict.containing(s.url), event: -1 } : { url: undefined, event: index.dict.find(s.event) }));
  const reached = steps.map(() => new Linked());
  const gaps: number[][] = steps.map(() => []);
  /** The first time at or after `after` that the session meets step `k`, or Infinity. */
  const first = (r: number, k: number, after: number): number => {
    const t = tests[k];
    let best = Infinity;
    if (t.url) {
      for (let i = c.p0[r]; i < c.p1[r]; i++) if (t.url[p.url[i]] && p.at[i] >= after && p.at[i] < best) best = p.at[i];
    } else {
      for (let i = c.e0[r]; i < c.e1[r]; i++) if (e.name[i] === t.event && e.at[i] >= after && e.at[i] < best) best = e.at[i];
    }
    return best;
  };
  const read = scan(index, scope, (r) => {
    let at = first(r, 0, -Infinity);
    if (at === Infinity) return;
    const start = at;
    reached[0].add(r, c.start[r]);
    for (let k = 1; k < steps.length; k++) {
      const next = first(r, k, at);
      if (next === Infinity || next - start > withinMs) return;
      reached[k].add(r, c.start[r]);
      gaps[k].push(next - at);
      at = next;
    }
  });
  return {
    read,
    steps: reached.map((l, k) => ({ count: l.total, sessions: l.ids(index), medianMsFromPrevious: k === 0 || !gaps[k].length ? null : median(gaps[k]) })),
  };
}
