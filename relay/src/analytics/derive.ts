/**
 * The analytics digest of a session, derived from its events batch by batch: pure functions,
 * no I/O. `createDeriveState` → `deriveBatch` for every stored batch (each window's batches
 * in seq order) → `snapshotDigest` whenever the digest is to be stored. A state lost (a
 * restart) resumes from the stored digest with `stateFromDigest`. Nothing here reads a typed
 * value: rrweb Input events are counted, never opened, and only a field's form and name are
 * read from `CustomTag.FIELD`. The definitions (rage, dead and error clicks, abandon,
 * engagement) are documented in docs/analytics.md.
 */
import {
  CustomTag, DIGEST_LIMITS, DIGEST_VERSION, EventType, VITAL_THRESHOLDS, type DigestClick, type DigestEvent, type DigestField,
  type DigestFrustration, type DigestPage, type RecordedEvent, type SessionDigest, type VitalName,
} from '@sentiero/protocol';
import { clientKind } from './client.ts';

/** A click is dead or an error click when what follows it within this long says so. */
export const CLICK_WINDOW_MS = 1000;
/** Clicks of a rage burst land within this many CSS pixels (each axis) of the burst's first click, on the same selector. */
export const RAGE_RADIUS_PX = 30;
/** A burst is a rage click from this many clicks on. */
export const RAGE_CLICKS = 3;
/** A session bounces when it has one page view, no click, and lasts less than this. */
export const BOUNCE_MS = 10_000;

/** rrweb's IncrementalSource.Mutation. */
const MUTATION = 0;

interface PendingClick {
  entry: DigestFrustration;
  at: number;
  /** A mutation, a page or a network request followed it within the window. */
  answered: boolean;
  /** An error followed it within the window. */
  failed: boolean;
}

interface Burst {
  selector: string;
  x: number;
  y: number;
  at: number;
  clicks: number;
  /** The rage entry, once the burst has `RAGE_CLICKS` clicks. */
  rage: DigestFrustration | undefined;
}

interface WindowState {
  url: string;
  /** Its current page in `pages`, or -1 past the cap. */
  page: number;
  lastAt: number;
  pending: PendingClick[];
  burst: Burst | undefined;
}

interface FieldState extends DigestField {
  focusAt: number | undefined;
  lastAt: number;
}

/** What a session's digest is being derived from: the digest's lists and counts, and each window's place. */
export interface DeriveState {
  sessionId: string;
  startedAt: number;
  endedAt: number;
  userAgent: string | undefined;
  userId: string | undefined;
  pages: DigestPage[];
  clicks: DigestClick[];
  rageClicks: DigestFrustration[];
  deadClicks: DigestFrustration[];
  errorClicks: DigestFrustration[];
  events: DigestEvent[];
  fields: Map<string, FieldState>;
  counts: SessionDigest['counts'];
  windows: Map<string, WindowState>;
}

/** A fresh state for a session. */
export function createDeriveState(sessionId: string): DeriveState {
  return {
    sessionId, startedAt: Infinity, endedAt: -Infinity, userAgent: undefined, userId: undefined,
    pages: [], clicks: [], rageClicks: [], deadClicks: [], errorClicks: [], events: [], fields: new Map(),
    counts: { events: 0, pages: 0, clicks: 0, rageClicks: 0, deadClicks: 0, errorClicks: 0, errors: 0, customEvents: 0 },
    windows: new Map(),
  };
}

/** A state that goes on from a stored digest (clicks still waiting for their second were not stored: they are not classified). */
export function stateFromDigest(d: SessionDigest, userAgent: string | undefined): DeriveState {
  const s = createDeriveState(d.sessionId);
  Object.assign(s, {
    startedAt: d.startedAt, endedAt: d.endedAt, userAgent, userId: d.userId, pages: d.pages.map((p) => ({ ...p, vitals: { ...p.vitals } })),
    clicks: [...d.clicks], rageClicks: [...d.rageClicks], deadClicks: [...d.deadClicks], errorClicks: [...d.errorClicks],
    events: [...d.events], counts: { ...d.counts },
  });
  d.pages.forEach((p, i) => s.windows.set(p.windowId, { url: p.url, page: i, lastAt: p.at + p.durationMs, pending: [], burst: undefined }));
  d.fields.forEach((f, i) => s.fields.set(fieldKey(f.url, f.form, f.field), { ...f, abandoned: false, focusAt: undefined, lastAt: i }));
  return s;
}

const cut = (v: unknown): string => (typeof v === 'string' ? v.slice(0, DIGEST_LIMITS.text) : '');
const numberOr = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const fieldKey = (url: string, form: string, field: string): string => `${url}\u0000${form}\u0000${field}`;
const formKey = (url: string, form: string): string => `${url}\u0000${form}`;

/** A page's URL as analytics groups it: origin and path, without query (which may hold personal data) or hash. */
export function pageUrl(href: string): string {
  const end = href.search(/[?#]/);
  return (end < 0 ? href : href.slice(0, end)).slice(0, DIGEST_LIMITS.text);
}

/**
 * Adds one stored batch of a window. `userAgent` is the window's (its `hello` meta), used for
 * the browser, OS and device when the session has none yet.
 */
export function deriveBatch(s: DeriveState, windowId: string, events: readonly RecordedEvent[], userAgent?: string): void {
  if (s.userAgent === undefined && userAgent) s.userAgent = userAgent;
  let w = s.windows.get(windowId);
  if (!w) {
    w = { url: '', page: -1, lastAt: -Infinity, pending: [], burst: undefined };
    s.windows.set(windowId, w);
  }
  for (const e of events) {
    const t = e.timestamp;
    s.counts.events++;
    if (t < s.startedAt) s.startedAt = t;
    if (t > s.endedAt) s.endedAt = t;
    settle(s, w, t);
    if (t > w.lastAt) w.lastAt = t;
    if (w.page >= 0) {
      const page = s.pages[w.page];
      page.durationMs = Math.max(page.durationMs, t - page.at);
    }
    if (e.type === EventType.Meta) {
      const href = (e.data as { href?: unknown } | undefined)?.href;
      if (typeof href === 'string') enterPage(s, w, windowId, href, t);
      answer(w, t);
    } else if (e.type === EventType.IncrementalSnapshot) {
      if ((e.data as { source?: unknown } | undefined)?.source === MUTATION) answer(w, t);
    } else if (e.type === EventType.Custom) {
      const data = e.data as { tag?: unknown; payload?: unknown } | undefined;
      const payload = (typeof data?.payload === 'object' && data.payload !== null ? data.payload : {}) as Record<string, unknown>;
      custom(s, w, windowId, String(data?.tag), payload, t);
    }
  }
}

function custom(s: DeriveState, w: WindowState, windowId: string, tag: string, p: Record<string, unknown>, t: number): void {
  switch (tag) {
    case CustomTag.PAGE:
      if (typeof p.href === 'string') enterPage(s, w, windowId, p.href, t);
      answer(w, t);
      return;
    case CustomTag.NETWORK:
      answer(w, t);
      return;
    case CustomTag.ERROR:
      s.counts.errors++;
      for (const c of w.pending) if (t >= c.at) c.failed = true;
      return;
    case CustomTag.CLICK:
      click(s, w, p, t);
      return;
    case CustomTag.IDENTIFY:
      if (typeof p.userId === 'string' && p.userId !== '') s.userId = cut(p.userId);
      return;
    case CustomTag.SCROLL: {
      const page = pageFor(s, w, p.href);
      if (page && typeof p.depth === 'number' && Number.isFinite(p.depth)) page.scrollDepth = Math.max(page.scrollDepth, Math.min(1, Math.max(0, p.depth)));
      return;
    }
    case CustomTag.VITAL: {
      const page = pageFor(s, w, p.href);
      if (page && typeof p.name === 'string' && p.name in VITAL_THRESHOLDS && typeof p.value === 'number' && Number.isFinite(p.value)) {
        page.vitals[p.name as VitalName] = p.value;
      }
      return;
    }
    case CustomTag.FIELD:
      field(s, w, p, t);
      return;
    case CustomTag.EVENT: {
      if (typeof p.name !== 'string' || p.name === '') return;
      s.counts.customEvents++;
      if (s.events.length < DIGEST_LIMITS.events) s.events.push({ name: cut(p.name), at: t, url: w.url, props: props(p.props) });
      return;
    }
  }
}

/** A custom event's properties with primitive values, at most 20. */
function props(v: unknown): DigestEvent['props'] {
  const out: DigestEvent['props'] = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (n >= 20) break;
    const key = k.slice(0, DIGEST_LIMITS.text);
    if (typeof x === 'string') out[key] = cut(x);
    else if (typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) out[key] = x;
    else continue;
    n++;
  }
  return out;
}

/** A new page when the window's URL (origin + path) changes; the same URL again (a reload's Meta after its PAGE) is the same visit. */
function enterPage(s: DeriveState, w: WindowState, windowId: string, href: string, t: number): void {
  const url = pageUrl(href);
  if (url === w.url) return;
  w.url = url;
  s.counts.pages++;
  if (s.pages.length < DIGEST_LIMITS.pages) {
    s.pages.push({ url, windowId, at: t, durationMs: 0, scrollDepth: 0, vitals: {} });
    w.page = s.pages.length - 1;
  } else w.page = -1;
}

/** The page a scroll or vital is about: the window's current one when its URL matches, else the last visit of that URL. */
function pageFor(s: DeriveState, w: WindowState, href: unknown): DigestPage | undefined {
  const url = typeof href === 'string' ? pageUrl(href) : w.url;
  if (w.page >= 0 && s.pages[w.page].url === url) return s.pages[w.page];
  for (let i = s.pages.length - 1; i >= 0; i--) if (s.pages[i].url === url) return s.pages[i];
  return undefined;
}

/** A mutation, page or network request at `t` answers the clicks of the window made at or before it. */
function answer(w: WindowState, t: number): void {
  for (const c of w.pending) if (t >= c.at) c.answered = true;
}

/** Classifies the window's clicks whose second has passed by `t`. */
function settle(s: DeriveState, w: WindowState, t: number): void {
  if (!w.pending.length || t - w.pending[0].at <= CLICK_WINDOW_MS) return;
  const keep: PendingClick[] = [];
  for (const c of w.pending) {
    if (t - c.at <= CLICK_WINDOW_MS) keep.push(c);
    else if (c.failed) add(s, s.errorClicks, 'errorClicks', c.entry);
    else if (!c.answered) add(s, s.deadClicks, 'deadClicks', c.entry);
  }
  w.pending = keep;
}

function add(s: DeriveState, list: DigestFrustration[], key: 'rageClicks' | 'deadClicks' | 'errorClicks', entry: DigestFrustration): void {
  s.counts[key]++;
  if (list.length < DIGEST_LIMITS.frustration) list.push(entry);
}

function click(s: DeriveState, w: WindowState, p: Record<string, unknown>, t: number): void {
  const url = typeof p.href === 'string' ? pageUrl(p.href) : w.url;
  const selector = cut(p.selector);
  const label = cut(p.label);
  const x = numberOr(p.pageX, 0);
  const y = numberOr(p.pageY, 0);
  s.counts.clicks++;
  if (s.clicks.length < DIGEST_LIMITS.clicks) {
    s.clicks.push({
      url, selector, label, at: t, x, y, relX: numberOr(p.relX, 0), relY: numberOr(p.relY, 0), vw: numberOr(p.vw, 0), dh: numberOr(p.dh, 0),
    });
  }
  w.pending.push({ entry: { url, selector, label, at: t, clicks: 1 }, at: t, answered: false, failed: false });
  const b = w.burst;
  if (b && b.selector === selector && Math.abs(x - b.x) <= RAGE_RADIUS_PX && Math.abs(y - b.y) <= RAGE_RADIUS_PX && t - b.at <= CLICK_WINDOW_MS) {
    b.clicks++;
    if (b.rage) b.rage.clicks = b.clicks;
    else if (b.clicks >= RAGE_CLICKS) {
      b.rage = { url, selector, label, at: b.at, clicks: b.clicks };
      add(s, s.rageClicks, 'rageClicks', b.rage);
    }
  } else {
    w.burst = { selector, x, y, at: t, clicks: 1, rage: undefined };
  }
}

function field(s: DeriveState, w: WindowState, p: Record<string, unknown>, t: number): void {
  const url = typeof p.href === 'string' ? pageUrl(p.href) : w.url;
  const form = cut(p.form);
  if (p.kind === 'submit') {
    for (const f of s.fields.values()) if (f.url === url && f.form === form) f.submitted = true;
    return;
  }
  const name = cut(p.field);
  const key = fieldKey(url, form, name);
  let f = s.fields.get(key);
  if (!f) {
    if (s.fields.size >= DIGEST_LIMITS.fields) return;
    f = { url, form, field: name, focuses: 0, changes: 0, timeMs: 0, submitted: false, abandoned: false, focusAt: undefined, lastAt: t };
    s.fields.set(key, f);
  }
  f.lastAt = Math.max(f.lastAt, t);
  if (p.kind === 'focus') {
    f.focuses++;
    f.focusAt = t;
    f.submitted = false;
  } else if (p.kind === 'change') {
    f.changes++;
    f.submitted = false;
  } else if (p.kind === 'blur' && f.focusAt !== undefined) {
    f.timeMs += Math.max(0, t - f.focusAt);
    f.focusAt = undefined;
  }
}

/**
 * The engagement score, 0–100: up to 30 for time (2 minutes or more), 20 for pages beyond the
 * first (4 more or more), 20 for clicks (10 or more), 15 for the mean scroll depth, 15 for
 * custom events (3 or more); minus 10 per rage click, 5 per dead click and 10 per error
 * click, at most 40 off.
 */
export function engagementScore(d: Pick<SessionDigest, 'durationMs' | 'counts' | 'pages'>): number {
  const c = d.counts;
  const scroll = d.pages.length ? d.pages.reduce((n, p) => n + p.scrollDepth, 0) / d.pages.length : 0;
  const gain = 30 * Math.min(1, d.durationMs / 120_000) + 20 * Math.min(1, Math.max(0, c.pages - 1) / 4) + 20 * Math.min(1, c.clicks / 10)
    + 15 * scroll + 15 * Math.min(1, c.customEvents / 3);
  const penalty = Math.min(40, 10 * c.rageClicks + 5 * c.deadClicks + 10 * c.errorClicks);
  return Math.round(Math.max(0, Math.min(100, gain - penalty)));
}

/** The digest as it stands; clicks still inside their second are left out until a later event settles them. */
export function snapshotDigest(s: DeriveState): SessionDigest {
  const startedAt = Number.isFinite(s.startedAt) ? s.startedAt : 0;
  const endedAt = Number.isFinite(s.endedAt) ? s.endedAt : startedAt;
  const kind = clientKind(s.userAgent ?? '');
  // Per form left unsubmitted, its last used field is the one the visitor abandoned it at.
  const last = new Map<string, FieldState>();
  for (const f of s.fields.values()) {
    const k = formKey(f.url, f.form);
    const seen = last.get(k);
    if (!f.submitted && (!seen || f.lastAt >= seen.lastAt)) last.set(k, f);
  }
  const abandonedAt = new Set(last.values());
  const fields = [...s.fields.values()].map((f): DigestField => ({
    url: f.url, form: f.form, field: f.field, focuses: f.focuses, changes: f.changes, timeMs: f.timeMs, submitted: f.submitted, abandoned: abandonedAt.has(f),
  }));
  const d: SessionDigest = {
    v: DIGEST_VERSION, sessionId: s.sessionId, startedAt, endedAt, durationMs: Math.max(0, endedAt - startedAt),
    browser: kind.browser, os: kind.os, device: kind.device,
    pages: s.pages.map((p) => ({ ...p, vitals: { ...p.vitals } })), clicks: [...s.clicks],
    rageClicks: s.rageClicks.map((r) => ({ ...r })), deadClicks: [...s.deadClicks], errorClicks: [...s.errorClicks],
    fields, events: [...s.events], counts: { ...s.counts }, engagement: 0,
  };
  if (s.userId !== undefined) d.userId = s.userId;
  d.engagement = engagementScore(d);
  return d;
}
