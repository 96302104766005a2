/** What a window tells the relay about the page and the browser (`hello.meta`, and HTTP posts before any `hello`). */
import type { SessionMeta } from '@sentiero/protocol';

/** This recorder's version, sent in `meta.recorder` (kept equal to package.json's by a test). */
export const RECORDER_VERSION = '0.1.0';

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** The page's URL as recorded: with its query, without its hash. */
export function pageUrl(): string {
  const href = location.href;
  const hash = href.indexOf('#');
  return cut(hash < 0 ? href : href.slice(0, hash), 4096);
}

/** Collects the meta of a window that started at `startedAt`. */
export function collectMeta(startedAt: number): SessionMeta {
  const meta: SessionMeta = {
    url: pageUrl(),
    userAgent: cut(String(navigator.userAgent ?? ''), 1024),
    startedAt,
    recorder: `sentiero-recorder@${RECORDER_VERSION}`,
  };
  try {
    if (document.referrer) meta.referrer = cut(document.referrer, 4096);
    if (navigator.language) meta.language = cut(navigator.language, 64);
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) meta.timeZone = cut(tz, 64);
    meta.viewport = { width: window.innerWidth, height: window.innerHeight };
    meta.screen = { width: screen.width, height: screen.height };
  } catch { /* meta is best effort beyond url, userAgent and startedAt */ }
  return meta;
}
