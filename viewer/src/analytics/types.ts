/**
 * The answers of the relay's analytics API (`<base>/api/analytics/…`, `<base>/api/segments`) as
 * the views read them, mirroring `@sentiero/protocol`'s analytics types. Every string in them
 * (URLs, selectors, labels, event and field names) is recorded content: the views show it as
 * text only.
 */

/** The Web Vitals with their good / poor thresholds (web.dev): good ≤ `good`, poor > `poor`. */
export const VITAL_THRESHOLDS = {
  LCP: { good: 2500, poor: 4000 },
  INP: { good: 200, poor: 500 },
  CLS: { good: 0.1, poor: 0.25 },
  FCP: { good: 1800, poor: 3000 },
  TTFB: { good: 800, poor: 1800 },
} as const;

/** One of the Web Vitals' names. */
export type VitalName = keyof typeof VITAL_THRESHOLDS;

/** A vital's rating. */
export type VitalRating = 'good' | 'needs-improvement' | 'poor';

/** Rates a vital's value against `VITAL_THRESHOLDS`. */
export function rateVital(name: VitalName, value: number): VitalRating {
  const t = VITAL_THRESHOLDS[name];
  return value <= t.good ? 'good' : value <= t.poor ? 'needs-improvement' : 'poor';
}

/** Which sessions a query looks at; every given condition must hold. */
export interface SegmentFilter {
  url?: string;
  browser?: string;
  os?: string;
  device?: string;
  event?: string;
  property?: { key: string; value: string };
  hasErrors?: boolean;
  frustrated?: boolean;
  userId?: string;
}

/** A saved segment. */
export interface Segment {
  id: string;
  name: string;
  filter: SegmentFilter;
  createdAt: number;
  updatedAt: number;
}

/** `GET <base>/api/analytics/overview`. */
export interface OverviewAnswer {
  read: number;
  sessions: number;
  sessionIds: string[];
  visitors: number;
  pageviews: number;
  medianDurationMs: number;
  bounceRate: number;
  /** Sessions per UTC day (`YYYY-MM-DD`), oldest first. */
  perDay: { day: string; sessions: number }[];
  customEvents: Record<string, number>;
  browsers: Record<string, number>;
  os: Record<string, number>;
  devices: Record<string, number>;
  medianEngagement: number;
}

/** One vital's figures on a page. */
export interface VitalFigures {
  p75: number;
  good: number;
  needsImprovement: number;
  poor: number;
}

/** One page in `GET <base>/api/analytics/pages`. */
export interface PageFigures {
  url: string;
  views: number;
  sessions: number;
  sessionIds: string[];
  medianTimeMs: number;
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
  count: number;
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
  points: { x: number; y: number; selector: string }[];
  pointCount: number;
  /** Share of the page's views that scrolled at least 0 %, 10 %, … 100 % of it. */
  scroll: { depth: number; views: number; share: number }[];
  sessions: number;
  sessionIds: string[];
}

/** One field in `GET <base>/api/analytics/forms`. */
export interface FieldFigures {
  url: string;
  form: string;
  field: string;
  sessions: number;
  sessionIds: string[];
  interactions: number;
  medianTimeMs: number;
  abandoned: number;
  dropOff: number;
}

/** `GET <base>/api/analytics/forms`. */
export interface FormsAnswer {
  read: number;
  fields: FieldFigures[];
}

/** One step of a funnel: a page URL (containing) or a custom event name. */
export type FunnelStep = { url: string } | { event: string };

/** The body of `POST <base>/api/analytics/funnel`. */
export interface FunnelRequest {
  steps: FunnelStep[];
  from?: number;
  to?: number;
  withinMs?: number;
  segment?: string;
}

/** `POST <base>/api/analytics/funnel`. */
export interface FunnelAnswer {
  read: number;
  steps: { count: number; sessions: string[]; medianMsFromPrevious: number | null }[];
}

/** At most this many steps in a funnel. */
export const MAX_FUNNEL_STEPS = 10;
