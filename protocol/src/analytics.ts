/**
 * Analytics: the per-session digest the relay derives from a session's events, the answers of
 * the analytics routes (`<base>/api/analytics/…`), saved segments, and their validators. A
 * digest never holds a typed value: form fields are named, never read.
 */
import { ErrorCode } from './errors.ts';
import { isValidId } from './ids.ts';
import type { Result } from './validate.ts';

/** The digest format this version writes. */
export const DIGEST_VERSION = 1;

/** Caps of a digest, so that a long session's digest stays small. */
export const DIGEST_LIMITS = {
  /** Page visits kept (later ones are counted in `counts.pages` only). */
  pages: 200,
  /** Clicks kept with their position (later ones are counted in `counts.clicks` only). */
  clicks: 200,
  /** Custom events kept (later ones are counted in `counts.customEvents` only). */
  events: 200,
  /** Form fields kept. */
  fields: 100,
  /** Rage, dead and error click entries kept, each. */
  frustration: 50,
  /** Characters kept of a URL, selector, label, event or field name. */
  text: 512,
} as const;

/** The Web Vitals the digest keeps, with their good / poor thresholds (web.dev): good ≤ `good`, poor > `poor`. */
export const VITAL_THRESHOLDS = {
  LCP: { good: 2500, poor: 4000 },
  INP: { good: 200, poor: 500 },
  CLS: { good: 0.1, poor: 0.25 },
  FCP: { good: 1800, poor: 3000 },
  TTFB: { good: 800, poor: 1800 },
} as const;

/** One of the Web Vitals' names. */
export type VitalName = keyof typeof VITAL_THRESHOLDS;

/** A vital's rating, from its value and `VITAL_THRESHOLDS` (the relay rates; the browser's rating is not trusted). */
export type VitalRating = 'good' | 'needs-improvement' | 'poor';

/** Rates a vital's value. */
export function rateVital(name: VitalName, value: number): VitalRating {
  const t = VITAL_THRESHOLDS[name];
  return value <= t.good ? 'good' : value <= t.poor ? 'needs-improvement' : 'poor';
}

/** One page visit: a URL (origin + path, without query or hash) entered in a window. */
export interface DigestPage {
  url: string;
  /** The window (tab) it was visited in. */
  windowId: string;
  /** When it was entered (ms since epoch). */
  at: number;
  /** Until the next page of its window, or its window's last event. */
  durationMs: number;
  /** The deepest scroll reached, 0–1 of the page's height (0 when none was reported). */
  scrollDepth: number;
  /** The last value of each Web Vital measured on it. */
  vitals: Partial<Record<VitalName, number>>;
}

/** A click and where it landed. */
export interface DigestClick {
  url: string;
  selector: string;
  /** The target's accessible name (never a typed value). */
  label: string;
  at: number;
  /** Page coordinates, CSS pixels. */
  x: number;
  y: number;
  /** The position inside the target's box, 0–1. */
  relX: number;
  relY: number;
  /** Viewport width and document height at the time. */
  vw: number;
  dh: number;
}

/** A rage, dead or error click, on one target. */
export interface DigestFrustration {
  url: string;
  selector: string;
  label: string;
  at: number;
  /** The clicks it is made of (a rage click's burst; 1 for a dead or error click). */
  clicks: number;
}

/** A form field as it was used (never its value). */
export interface DigestField {
  url: string;
  form: string;
  field: string;
  focuses: number;
  changes: number;
  /** Time spent in it, from focus to blur. */
  timeMs: number;
  /** Its form was submitted after it was used. */
  submitted: boolean;
  /** The last field used before its form was left without a submit. */
  abandoned: boolean;
}

/** An application's custom event (`CustomTag.EVENT`). */
export interface DigestEvent {
  name: string;
  at: number;
  url: string;
  /** Its properties with primitive values (strings cut to `DIGEST_LIMITS.text`). */
  props: Record<string, string | number | boolean>;
}

/** Counts over the whole session (not capped like the lists). */
export interface DigestCounts {
  events: number;
  pages: number;
  clicks: number;
  rageClicks: number;
  deadClicks: number;
  errorClicks: number;
  errors: number;
  customEvents: number;
}

/** What the relay derives from one session's events (relay/src/analytics/derive.ts), stored per session and read by every analytics query. */
export interface SessionDigest {
  v: number;
  sessionId: string;
  /** First and last event (ms since epoch). */
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** From `CustomTag.IDENTIFY`; absent for anonymous sessions. */
  userId?: string;
  /** From the user agent: browser name, OS name, device type (`desktop`, `mobile`, `tablet`, …). */
  browser: string;
  os: string;
  device: string;
  pages: DigestPage[];
  clicks: DigestClick[];
  rageClicks: DigestFrustration[];
  deadClicks: DigestFrustration[];
  errorClicks: DigestFrustration[];
  fields: DigestField[];
  events: DigestEvent[];
  counts: DigestCounts;
  /** 0–100, see docs/analytics.md ("Engagement score"). */
  engagement: number;
}

// ───── Segments ─────

/** Which sessions a query looks at; every given condition must hold. */
export interface SegmentFilter {
  /** A page URL containing this text (case-insensitive). */
  url?: string;
  /** Browser, OS and device names, exactly as the overview lists them. */
  browser?: string;
  os?: string;
  device?: string;
  /** A custom event of this name happened. */
  event?: string;
  /** …with this property equal to this value (as a string); needs `event`. */
  property?: { key: string; value: string };
  /** Had errors (true) or none (false). */
  hasErrors?: boolean;
  /** Had a rage, dead or error click (true) or none (false). */
  frustrated?: boolean;
  /** Identified as this user. */
  userId?: string;
}

/** A saved segment (`<base>/api/segments`). */
export interface Segment {
  id: string;
  name: string;
  filter: SegmentFilter;
  createdAt: number;
  updatedAt: number;
}

/** The body of `POST <base>/api/segments` and `PUT <base>/api/segments/:id`. */
export interface SegmentInput {
  name: string;
  filter: SegmentFilter;
}

// ───── Answers ─────

/** At most this many session ids are listed beside a count. */
export const MAX_LINKED_SESSIONS = 20;

/** The sessions behind one count: how many, and the first `MAX_LINKED_SESSIONS` of them, newest first. */
export interface LinkedSessions {
  sessions: number;
  sessionIds: string[];
}

/** `GET <base>/api/analytics/overview`. */
export interface OverviewAnswer {
  read: number;
  sessions: number;
  /** The first `MAX_LINKED_SESSIONS` of them, newest first. */
  sessionIds: string[];
  /** Identified users, plus each anonymous session. */
  visitors: number;
  pageviews: number;
  medianDurationMs: number;
  /** Share (0–1) of sessions that bounced: one page, no click, under 10 s. */
  bounceRate: number;
  /** Sessions per UTC day (`YYYY-MM-DD`), oldest first. */
  perDay: { day: string; sessions: number }[];
  /** Occurrences per custom event name. */
  customEvents: Record<string, number>;
  /** Sessions per browser, OS and device. */
  browsers: Record<string, number>;
  os: Record<string, number>;
  devices: Record<string, number>;
  /** The median engagement score (0–100). */
  medianEngagement: number;
  /** The sessions behind each breakdown's counts, by the same keys (`perDay` by day); for a custom event, the sessions it happened in. */
  linked: {
    perDay: Record<string, LinkedSessions>;
    customEvents: Record<string, LinkedSessions>;
    browsers: Record<string, LinkedSessions>;
    os: Record<string, LinkedSessions>;
    devices: Record<string, LinkedSessions>;
  };
}

/** One vital's figures on a page. */
export interface VitalFigures {
  /** The 75th percentile of its values. */
  p75: number;
  good: number;
  needsImprovement: number;
  poor: number;
}

/** One page in `GET <base>/api/analytics/pages`. */
export interface PageFigures {
  url: string;
  views: number;
  /** Sessions that viewed it, and the first `MAX_LINKED_SESSIONS` of them. */
  sessions: number;
  sessionIds: string[];
  medianTimeMs: number;
  /** Sessions that ended on it. */
  exits: number;
  exitRate: number;
  medianScrollDepth: number;
  vitals: Partial<Record<VitalName, VitalFigures>>;
}

/** `GET <base>/api/analytics/pages`, most viewed first. */
export interface PagesAnswer {
  read: number;
  pages: PageFigures[];
  thresholds: typeof VITAL_THRESHOLDS;
}

/** One target of frustration clicks. */
export interface FrustrationTarget {
  selector: string;
  label: string;
  url: string;
  /** Rage bursts, dead clicks or error clicks on it. */
  count: number;
  /** Sessions it happened in (`sessionCount` of them, the first `MAX_LINKED_SESSIONS` listed). */
  sessions: string[];
  sessionCount: number;
}

/** `GET <base>/api/analytics/frustration`, most frequent first. */
export interface FrustrationAnswer {
  read: number;
  rageClicks: FrustrationTarget[];
  deadClicks: FrustrationTarget[];
  errorClicks: FrustrationTarget[];
}

/** `GET <base>/api/analytics/heatmap`. */
export interface HeatmapAnswer {
  read: number;
  url: string;
  kind: 'click' | 'scroll';
  /** The median viewport width and document height of the clicks (CSS pixels). */
  page: { width: number; height: number };
  /** Clicks in page coordinates (the first `MAX_HEATMAP_POINTS`); `pointCount` is all of them. */
  points: { x: number; y: number; selector: string }[];
  pointCount: number;
  /** Share of the page's views that scrolled at least 0 %, 10 %, … 100 % of it. */
  scroll: { depth: number; views: number; share: number }[];
  sessions: number;
  sessionIds: string[];
}

/** At most this many points in a heatmap answer. */
export const MAX_HEATMAP_POINTS = 10_000;

/** One field in `GET <base>/api/analytics/forms`. */
export interface FieldFigures {
  url: string;
  form: string;
  field: string;
  sessions: number;
  sessionIds: string[];
  /** Focuses and changes. */
  interactions: number;
  medianTimeMs: number;
  /** Sessions whose last field before leaving the form unsubmitted was this one, and their share of `sessions`. */
  abandoned: number;
  dropOff: number;
}

/** `GET <base>/api/analytics/forms`. */
export interface FormsAnswer {
  read: number;
  fields: FieldFigures[];
}

/** One step of a funnel: a page URL (containing, case-insensitive) or a custom event name. */
export type FunnelStep = { url: string } | { event: string };

/** The body of `POST <base>/api/analytics/funnel`. */
export interface FunnelRequest {
  steps: FunnelStep[];
  from?: number;
  to?: number;
  /** The whole funnel must happen within this long of its first step (default: within the session). */
  withinMs?: number;
  /** A saved segment's id. */
  segment?: string;
}

/** `POST <base>/api/analytics/funnel`. */
export interface FunnelAnswer {
  read: number;
  steps: { count: number; sessions: string[]; medianMsFromPrevious: number | null }[];
}

/** At most this many steps in a funnel. */
export const MAX_FUNNEL_STEPS = 10;

// ───── Validators ─────

class Invalid extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (path: string, expected: string): never => { throw new Invalid(`${path} must be ${expected}`); };
const text = (v: unknown, path: string, max: number = DIGEST_LIMITS.text): string =>
  typeof v === 'string' && v.length <= max ? v : bad(path, `a string of at most ${max} characters`);
const finite = (v: unknown, path: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : bad(path, 'a finite number'));
const count = (v: unknown, path: string): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : bad(path, 'an integer ≥ 0'));
const flag = (v: unknown, path: string): boolean => (typeof v === 'boolean' ? v : bad(path, 'true or false'));
function list<T>(v: unknown, path: string, max: number, item: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v) || v.length > max) return bad(path, `an array of at most ${max} items`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}
function object(v: unknown, path: string): Obj {
  return isObj(v) ? v : bad(path, 'an object');
}

function run<T>(code: ErrorCode, fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, code, message: err.message };
    throw err;
  }
}

function page(v: unknown, p: string): DigestPage {
  const o = object(v, p);
  const vitals = object(o.vitals, `${p}.vitals`);
  for (const [k, x] of Object.entries(vitals)) {
    if (!(k in VITAL_THRESHOLDS)) bad(`${p}.vitals`, `keyed by ${Object.keys(VITAL_THRESHOLDS).join(', ')}`);
    finite(x, `${p}.vitals.${k}`);
  }
  return {
    url: text(o.url, `${p}.url`), windowId: text(o.windowId, `${p}.windowId`), at: finite(o.at, `${p}.at`),
    durationMs: finite(o.durationMs, `${p}.durationMs`), scrollDepth: finite(o.scrollDepth, `${p}.scrollDepth`), vitals: vitals as DigestPage['vitals'],
  };
}

function click(v: unknown, p: string): DigestClick {
  const o = object(v, p);
  const n = (k: string) => finite(o[k], `${p}.${k}`);
  return {
    url: text(o.url, `${p}.url`), selector: text(o.selector, `${p}.selector`), label: text(o.label, `${p}.label`),
    at: n('at'), x: n('x'), y: n('y'), relX: n('relX'), relY: n('relY'), vw: n('vw'), dh: n('dh'),
  };
}

function frustration(v: unknown, p: string): DigestFrustration {
  const o = object(v, p);
  return { url: text(o.url, `${p}.url`), selector: text(o.selector, `${p}.selector`), label: text(o.label, `${p}.label`), at: finite(o.at, `${p}.at`), clicks: count(o.clicks, `${p}.clicks`) };
}

function field(v: unknown, p: string): DigestField {
  const o = object(v, p);
  return {
    url: text(o.url, `${p}.url`), form: text(o.form, `${p}.form`), field: text(o.field, `${p}.field`),
    focuses: count(o.focuses, `${p}.focuses`), changes: count(o.changes, `${p}.changes`), timeMs: finite(o.timeMs, `${p}.timeMs`),
    submitted: flag(o.submitted, `${p}.submitted`), abandoned: flag(o.abandoned, `${p}.abandoned`),
  };
}

function customEvent(v: unknown, p: string): DigestEvent {
  const o = object(v, p);
  const props = object(o.props, `${p}.props`);
  for (const [k, x] of Object.entries(props)) {
    text(k, `${p}.props key`);
    if (typeof x === 'string') text(x, `${p}.props.${k}`);
    else if (typeof x !== 'boolean') finite(x, `${p}.props.${k}`);
  }
  return { name: text(o.name, `${p}.name`), at: finite(o.at, `${p}.at`), url: text(o.url, `${p}.url`), props: props as DigestEvent['props'] };
}

const COUNT_KEYS = ['events', 'pages', 'clicks', 'rageClicks', 'deadClicks', 'errorClicks', 'errors', 'customEvents'] as const;

/** Validates a stored or sent `SessionDigest` (`SENTIERO_INVALID_MESSAGE` naming the field); unknown fields are dropped. */
export function validateSessionDigest(v: unknown): Result<SessionDigest> {
  return run(ErrorCode.INVALID_MESSAGE, () => {
    const o = object(v, 'digest');
    if (o.v !== DIGEST_VERSION) bad('digest.v', String(DIGEST_VERSION));
    if (!isValidId(o.sessionId)) bad('digest.sessionId', 'a session id');
    const c = object(o.counts, 'digest.counts');
    const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k, count(c[k], `digest.counts.${k}`)])) as unknown as DigestCounts;
    const d: SessionDigest = {
      v: DIGEST_VERSION, sessionId: o.sessionId as string,
      startedAt: finite(o.startedAt, 'digest.startedAt'), endedAt: finite(o.endedAt, 'digest.endedAt'), durationMs: finite(o.durationMs, 'digest.durationMs'),
      browser: text(o.browser, 'digest.browser', 128), os: text(o.os, 'digest.os', 128), device: text(o.device, 'digest.device', 128),
      pages: list(o.pages, 'digest.pages', DIGEST_LIMITS.pages, page),
      clicks: list(o.clicks, 'digest.clicks', DIGEST_LIMITS.clicks, click),
      rageClicks: list(o.rageClicks, 'digest.rageClicks', DIGEST_LIMITS.frustration, frustration),
      deadClicks: list(o.deadClicks, 'digest.deadClicks', DIGEST_LIMITS.frustration, frustration),
      errorClicks: list(o.errorClicks, 'digest.errorClicks', DIGEST_LIMITS.frustration, frustration),
      fields: list(o.fields, 'digest.fields', DIGEST_LIMITS.fields, field),
      events: list(o.events, 'digest.events', DIGEST_LIMITS.events, customEvent),
      counts, engagement: finite(o.engagement, 'digest.engagement'),
    };
    if (o.userId !== undefined) d.userId = text(o.userId, 'digest.userId');
    return d;
  });
}

const FILTER_TEXT = ['url', 'browser', 'os', 'device', 'event', 'userId'] as const;

function segmentFilter(v: unknown, p: string): SegmentFilter {
  const o = object(v, p);
  const known = new Set<string>([...FILTER_TEXT, 'property', 'hasErrors', 'frustrated']);
  for (const k of Object.keys(o)) if (!known.has(k)) bad(`${p}.${k}`, `left out (a filter has ${[...known].join(', ')})`);
  const f: SegmentFilter = {};
  for (const k of FILTER_TEXT) if (o[k] !== undefined) f[k] = text(o[k], `${p}.${k}`);
  if (o.hasErrors !== undefined) f.hasErrors = flag(o.hasErrors, `${p}.hasErrors`);
  if (o.frustrated !== undefined) f.frustrated = flag(o.frustrated, `${p}.frustrated`);
  if (o.property !== undefined) {
    if (f.event === undefined) bad(`${p}.property`, 'given with "event"');
    const q = object(o.property, `${p}.property`);
    f.property = { key: text(q.key, `${p}.property.key`), value: text(q.value, `${p}.property.value`) };
  }
  return f;
}

/** Validates a segment filter (`SENTIERO_INVALID_QUERY` naming the field). */
export function validateSegmentFilter(v: unknown): Result<SegmentFilter> {
  return run(ErrorCode.INVALID_QUERY, () => segmentFilter(v, 'filter'));
}

/** Validates the body of `POST`/`PUT <base>/api/segments` (`SENTIERO_INVALID_QUERY` naming the field). */
export function validateSegmentInput(v: unknown): Result<SegmentInput> {
  return run(ErrorCode.INVALID_QUERY, () => {
    const o = object(v, 'segment');
    const name = text(o.name, 'segment.name', 200);
    if (name.trim() === '') bad('segment.name', 'a non-empty name');
    return { name, filter: segmentFilter(o.filter ?? {}, 'segment.filter') };
  });
}

/** Validates a stored segment. */
export function validateSegment(v: unknown): Result<Segment> {
  return run(ErrorCode.INVALID_MESSAGE, () => {
    const o = object(v, 'segment');
    if (!isValidId(o.id)) bad('segment.id', 'an id');
    const input = validateSegmentInput(o);
    if (!input.ok) bad('segment', input.message);
    const { name, filter } = (input as { value: SegmentInput }).value;
    return { id: o.id as string, name, filter, createdAt: finite(o.createdAt, 'segment.createdAt'), updatedAt: finite(o.updatedAt, 'segment.updatedAt') };
  });
}

/** Validates the body of `POST <base>/api/analytics/funnel` (`SENTIERO_INVALID_QUERY` naming the field). */
export function validateFunnelRequest(v: unknown): Result<FunnelRequest> {
  return run(ErrorCode.INVALID_QUERY, () => {
    const o = object(v, 'funnel');
    const steps = list(o.steps, 'funnel.steps', MAX_FUNNEL_STEPS, (x, p): FunnelStep => {
      const s = object(x, p);
      if ((s.url === undefined) === (s.event === undefined)) bad(p, 'either { url } or { event }');
      const value = text(s.url ?? s.event, `${p}.${s.url === undefined ? 'event' : 'url'}`);
      if (value === '') bad(p, 'a non-empty url or event');
      return s.url === undefined ? { event: value } : { url: value };
    });
    if (steps.length === 0) bad('funnel.steps', 'at least one step');
    const r: FunnelRequest = { steps };
    if (o.from !== undefined) r.from = finite(o.from, 'funnel.from');
    if (o.to !== undefined) r.to = finite(o.to, 'funnel.to');
    if (o.withinMs !== undefined) {
      r.withinMs = finite(o.withinMs, 'funnel.withinMs');
      if (r.withinMs <= 0) bad('funnel.withinMs', 'a positive number of ms');
    }
    if (o.segment !== undefined) r.segment = isValidId(o.segment) ? o.segment : bad('funnel.segment', 'a segment id');
    return r;
  });
}
