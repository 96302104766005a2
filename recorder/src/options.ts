/**
 * The recorder's options, their defaults, and their validation. A wrong value never throws:
 * it is reported to `onError` and replaced by its default.
 */
import { DEFAULT_LIMITS, DEFAULT_RECORDER_CONFIG } from '@sentiero/protocol';
import { RecorderErrorCode, createDefaultOnError, createReport, type RecorderError, type Report } from './errors.ts';
import { PRIVACY_SELECTORS, withDefaultSelector, type PrivacySettings } from './privacy.ts';

/** Options of `start()`; every one is optional. */
export interface RecorderOptions {
  /** The relay's base URL, e.g. `https://app.example/sentiero`. Default: derived from the script's `src`, else `location.origin + '/sentiero'`. */
  relay?: string;
  /** Mask the value of every input, textarea and select (default `true`). Password fields are masked regardless. */
  maskAllInputs?: boolean;
  /** Extra selector whose text is masked, added to `[data-rr-mask]` and `.rr-mask`. */
  maskTextSelector?: string;
  /** Extra selector of elements not recorded at all, added to `[data-rr-block]` and `.rr-block`. */
  blockSelector?: string;
  /** Extra selector of inputs whose input events are not recorded, added to `[data-rr-ignore]` and `.rr-ignore`. */
  ignoreSelector?: string;
  /** Record nothing when the browser sends Global Privacy Control (default `true`). */
  respectGlobalPrivacyControl?: boolean;
  /** A session rolls over after this long without user activity, in ms (default 30 minutes). */
  sessionTimeoutMs?: number;
  /** Send a batch at least this often, in ms (default: the relay's `welcome`, else 1000). */
  flushIntervalMs?: number;
  /** Largest batch, in bytes of JSON (default: the relay's `welcome`, else 512 KiB; the smaller of the two wins). */
  maxBatchBytes?: number;
  /** Most bytes of unacknowledged and pending events held in memory before new events are dropped (default 8 MiB). */
  maxBufferBytes?: number;
  /** Record uncaught errors and unhandled promise rejections as `sentiero/error@1` events (default `false`). */
  captureErrors?: boolean;
  /** Add an `X-Sentiero-Session` header to same-origin `fetch` and XHR requests, so server errors link to this session (default `false`). */
  linkRequests?: boolean;
  /** Record console calls (log, info, warn, error, debug, trace, failed assert) as `sentiero/console@1` events (default `false`). */
  captureConsole?: boolean;
  /** Record the page's fetch, XHR, `sendBeacon` and WebSocket opens as `sentiero/network@1` events (default `false`); never the recorder's own traffic. */
  captureNetwork?: boolean;
  /** Header names (case-insensitive) recorded on captured requests and responses (default none). `cookie`, `set-cookie`, `authorization` and `proxy-authorization` are never recorded. */
  networkHeaders?: string[];
  /** URLs whose request and response bodies are recorded (default none): a string matches a URL that starts with it (a path like `/api/` is resolved against the page), a RegExp is tested on the absolute URL. */
  networkBodies?: (string | RegExp)[];
  /** Most bytes of one recorded body; the rest is cut (default 16 KiB). */
  networkBodyMaxBytes?: number;
  /** Record clicks, form-field use (never values), scroll depth and `data-sentiero-track*` events (default `true`). */
  autocapture?: boolean;
  /** Record a page view when a single-page app changes the URL (`history.pushState`/`replaceState`, `popstate`, `hashchange`; default `true`). */
  spaPageViews?: boolean;
  /** Record Web Vitals (LCP, INP, CLS, FCP, TTFB) with the `web-vitals` library (default `true`). */
  webVitals?: boolean;
  /** Record `<canvas>` content as sampled image frames (default `false`); `true` means `{ fps: 2, quality: 0.6 }`. */
  recordCanvas?: boolean | { fps?: number; quality?: number };
  /** Record fonts the page adds with the `FontFace` API (default `false`; fonts of stylesheets replay without it). */
  collectFonts?: boolean;
  /** Called with each of the recorder's own failures (default: the first one goes to `console.debug`). */
  onError?: (error: RecorderError) => void;
}

/** Defaults of the options that have one. */
export const DEFAULT_OPTIONS = {
  maskAllInputs: true,
  respectGlobalPrivacyControl: true,
  captureErrors: false,
  linkRequests: false,
  captureConsole: false,
  captureNetwork: false,
  networkBodyMaxBytes: 16 * 1024,
  autocapture: true,
  spaPageViews: true,
  webVitals: true,
  collectFonts: false,
  sessionTimeoutMs: 30 * 60 * 1000,
  flushIntervalMs: DEFAULT_RECORDER_CONFIG.flushIntervalMs,
  maxBatchBytes: DEFAULT_RECORDER_CONFIG.maxBatchBytes,
  maxBufferBytes: 8 * 1024 * 1024,
  basePath: '/sentiero',
} as const;

/** Accepted ranges of the numeric options (inclusive). */
export const OPTION_RANGES = {
  sessionTimeoutMs: [1000, 7 * 24 * 60 * 60 * 1000],
  flushIntervalMs: [50, 60_000],
  maxBatchBytes: [1024, DEFAULT_LIMITS.maxPayloadBytes / 2],
  maxBufferBytes: [4096, 512 * 1024 * 1024],
  networkBodyMaxBytes: [0, 1024 * 1024],
} as const;

/** What `recordCanvas: true` means: frames per second sampled, and the WebP quality of a frame. */
export const DEFAULT_CANVAS_SAMPLING: CanvasSampling = { fps: 2, quality: 0.6 };

/** Accepted ranges of `recordCanvas`'s settings (inclusive). */
export const CANVAS_RANGES = { fps: [0.2, 15], quality: [0.1, 1] } as const;

/** How `<canvas>` content is sampled (the `recordCanvas` option). */
export interface CanvasSampling {
  /** Frames per second at most; a canvas that did not change sends nothing. */
  fps: number;
  /** WebP quality of a frame, 0.1–1. */
  quality: number;
}

/** Headers never recorded by network capture, whatever `networkHeaders` says. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);

/** The options after validation. */
export interface ResolvedOptions extends PrivacySettings {
  /** Absolute http(s) base URL without a trailing slash. */
  relay: string;
  respectGlobalPrivacyControl: boolean;
  captureErrors: boolean;
  linkRequests: boolean;
  captureConsole: boolean;
  captureNetwork: boolean;
  /** Lower-case header names to record (never a `SECRET_HEADERS` one). */
  networkHeaders: string[];
  /** URL patterns whose bodies are recorded (strings already absolute). */
  networkBodies: (string | RegExp)[];
  networkBodyMaxBytes: number;
  autocapture: boolean;
  spaPageViews: boolean;
  webVitals: boolean;
  /** Canvas sampling, or `false` when canvases are not recorded. */
  recordCanvas: CanvasSampling | false;
  collectFonts: boolean;
  sessionTimeoutMs: number;
  flushIntervalMs: number;
  maxBatchBytes: number;
  maxBufferBytes: number;
  /** Which batching options the page set itself (those win over the relay's advice). */
  explicit: { flushIntervalMs: boolean; maxBatchBytes: boolean };
  report: Report;
}

const KNOWN = new Set([
  'relay', 'maskAllInputs', 'maskTextSelector', 'blockSelector', 'ignoreSelector', 'respectGlobalPrivacyControl',
  'sessionTimeoutMs', 'flushIntervalMs', 'maxBatchBytes', 'maxBufferBytes', 'onError', 'captureErrors', 'linkRequests',
  'captureConsole', 'captureNetwork', 'networkHeaders', 'networkBodies', 'networkBodyMaxBytes',
  'autocapture', 'spaPageViews', 'webVitals', 'recordCanvas', 'collectFonts',
]);

/** The `src` of the script element that evaluated this bundle (only meaningful for the IIFE). */
const loadedFrom: string | undefined = (() => {
  try {
    const s = typeof document === 'undefined' ? null : document.currentScript;
    return s && typeof (s as HTMLScriptElement).src === 'string' ? (s as HTMLScriptElement).src : undefined;
  } catch {
    return undefined;
  }
})();

/** The relay base a script URL implies: `<base>/recorder.js` → `<base>`; `undefined` for any other script. */
export function relayFromScriptSrc(src: string | undefined): string | undefined {
  if (!src) return undefined;
  const m = /^(https?:\/\/[^?#]*?)\/recorder(?:\.iife)?(?:\.min)?\.js(?:[?#].*)?$/.exec(src);
  return m ? m[1] : undefined;
}

/** Normalises a relay URL: absolute, http(s), no trailing slash; `undefined` when it cannot be one. */
export function normalizeRelay(value: string): string | undefined {
  try {
    const url = new URL(value, location.href);
    if (url.protocol === 'ws:') url.protocol = 'http:';
    else if (url.protocol === 'wss:') url.protocol = 'https:';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    url.search = '';
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The relay used when the page names none. */
export function defaultRelay(): string {
  return relayFromScriptSrc(loadedFrom) ?? `${location.origin}${DEFAULT_OPTIONS.basePath}`;
}

function validSelector(sel: string): boolean {
  try {
    document.createDocumentFragment().querySelector(sel);
    return true;
  } catch {
    return false;
  }
}

/** Validates `start()`'s options; every wrong value is reported and replaced by its default. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const given = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const onError = typeof given.onError === 'function' ? (given.onError as (e: RecorderError) => void) : createDefaultOnError();
  const report = createReport(onError);
  const bad = (name: string, expected: string): void =>
    report(RecorderErrorCode.BAD_OPTION, `option "${name}" must be ${expected}; using its default`);

  if (input !== undefined && (typeof input !== 'object' || input === null)) bad('options', 'an object');
  if (given.onError !== undefined && typeof given.onError !== 'function') bad('onError', 'a function');
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) report(RecorderErrorCode.BAD_OPTION, `unknown option "${key}" ignored`);
  }

  const bool = (name: 'maskAllInputs' | 'respectGlobalPrivacyControl' | 'captureErrors' | 'linkRequests' | 'captureConsole' | 'captureNetwork' | 'autocapture' | 'spaPageViews' | 'webVitals' | 'collectFonts'): boolean => {
    const v = given[name];
    if (v === undefined) return DEFAULT_OPTIONS[name];
    if (typeof v === 'boolean') return v;
    bad(name, 'true or false');
    return DEFAULT_OPTIONS[name];
  };
  const explicit = { flushIntervalMs: false, maxBatchBytes: false };
  const number = (name: keyof typeof OPTION_RANGES): number => {
    const v = given[name];
    const [min, max] = OPTION_RANGES[name];
    if (v === undefined) return DEFAULT_OPTIONS[name];
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) {
      if (name === 'flushIntervalMs' || name === 'maxBatchBytes') explicit[name] = true;
      return Math.floor(v);
    }
    bad(name, `a number from ${min} to ${max}`);
    return DEFAULT_OPTIONS[name];
  };
  const selector = (name: 'maskTextSelector' | 'blockSelector' | 'ignoreSelector', always: string): string => {
    const v = given[name];
    if (v === undefined) return always;
    if (typeof v === 'string' && validSelector(v)) return withDefaultSelector(always, v);
    bad(name, 'a valid CSS selector');
    return always;
  };

  const headerNames = (): string[] => {
    const v = given.networkHeaders;
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((h) => typeof h === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h))) {
      bad('networkHeaders', 'an array of header names');
      return [];
    }
    const names = v.map((h: string) => h.toLowerCase());
    for (const h of names) if (SECRET_HEADERS.has(h)) report(RecorderErrorCode.BAD_OPTION, `networkHeaders: "${h}" is never recorded`);
    return [...new Set(names.filter((h) => !SECRET_HEADERS.has(h)))];
  };
  const bodyPatterns = (): (string | RegExp)[] => {
    const v = given.networkBodies;
    if (v === undefined) return [];
    const out: (string | RegExp)[] = [];
    if (Array.isArray(v)) {
      for (const p of v) {
        if (p instanceof RegExp) out.push(p);
        else if (typeof p === 'string' && p) {
          try {
            out.push(new URL(p, location.href).href);
            continue;
          } catch { /* reported below */ }
          out.length = 0;
          break;
        } else {
          out.length = 0;
          break;
        }
      }
      if (out.length === v.length) return out;
    }
    bad('networkBodies', 'an array of URL prefixes and RegExps');
    return [];
  };

  const canvas = (): CanvasSampling | false => {
    const v = given.recordCanvas;
    if (v === undefined || v === false) return false;
    if (v === true) return { ...DEFAULT_CANVAS_SAMPLING };
    const inRange = (x: unknown, [min, max]: readonly [number, number]) => x === undefined || (typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max);
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k === 'fps' || k === 'quality')) {
      const { fps, quality } = v as { fps?: unknown; quality?: unknown };
      if (inRange(fps, CANVAS_RANGES.fps) && inRange(quality, CANVAS_RANGES.quality)) {
        return { fps: (fps as number | undefined) ?? DEFAULT_CANVAS_SAMPLING.fps, quality: (quality as number | undefined) ?? DEFAULT_CANVAS_SAMPLING.quality };
      }
    }
    bad('recordCanvas', `true, false or { fps: ${CANVAS_RANGES.fps[0]}–${CANVAS_RANGES.fps[1]}, quality: ${CANVAS_RANGES.quality[0]}–${CANVAS_RANGES.quality[1]} }`);
    return false;
  };

  let relay: string | undefined;
  if (given.relay !== undefined) {
    relay = typeof given.relay === 'string' ? normalizeRelay(given.relay) : undefined;
    if (!relay) bad('relay', 'an http(s) URL');
  }
  relay ??= normalizeRelay(defaultRelay()) ?? '';

  return {
    relay,
    maskAllInputs: bool('maskAllInputs'),
    maskTextSelector: selector('maskTextSelector', PRIVACY_SELECTORS.mask),
    blockSelector: selector('blockSelector', PRIVACY_SELECTORS.block),
    ignoreSelector: selector('ignoreSelector', PRIVACY_SELECTORS.ignore),
    respectGlobalPrivacyControl: bool('respectGlobalPrivacyControl'),
    captureErrors: bool('captureErrors'),
    linkRequests: bool('linkRequests'),
    captureConsole: bool('captureConsole'),
    captureNetwork: bool('captureNetwork'),
    networkHeaders: headerNames(),
    networkBodies: bodyPatterns(),
    networkBodyMaxBytes: number('networkBodyMaxBytes'),
    autocapture: bool('autocapture'),
    spaPageViews: bool('spaPageViews'),
    webVitals: bool('webVitals'),
    recordCanvas: canvas(),
    collectFonts: bool('collectFonts'),
    sessionTimeoutMs: number('sessionTimeoutMs'),
    flushIntervalMs: number('flushIntervalMs'),
    maxBatchBytes: number('maxBatchBytes'),
    maxBufferBytes: number('maxBufferBytes'),
    explicit,
    report,
  };
}
