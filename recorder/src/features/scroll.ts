/**
 * Scroll depth (`sentiero/scroll@1`, part of `autocapture`): the deepest fraction of the
 * document seen on each page, `(scrollY + innerHeight) / scrollHeight` from 0 to 1. Scrolling
 * is sampled at most every `SCROLL_LIMITS.sampleMs`; an event is written when the depth has
 * grown by `SCROLL_LIMITS.step` since the last one, and the final depth when the page is left
 * (a single-page app's navigation) or hidden, if it grew since.
 */
import { CustomTag } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';
import type { PageTracker } from './pages.ts';

/** How often scrolling is sampled (ms), and the growth (0–1) that is worth an event. */
export const SCROLL_LIMITS = { sampleMs: 250, step: 0.05 } as const;

/** How far down the document the bottom of the viewport is now, 0–1 (rounded to 3 decimals). */
function depthNow(): number {
  const root = document.documentElement;
  const height = Math.max(root.scrollHeight, document.body?.scrollHeight ?? 0);
  if (!(height > 0)) return 1;
  const seen = (window.scrollY || root.scrollTop || 0) + window.innerHeight;
  return Math.round(Math.min(1, Math.max(0, seen / height)) * 1000) / 1000;
}

/** The feature: a passive `scroll` listener that only arms a timer; the depth is read in the timer. */
export function scrollFeature(pages: PageTracker): Feature {
  return {
    name: 'sentiero/scroll@1',
    setup(host) {
      let deepest = 0;
      let written = -1;
      let href = pages.href();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const write = (): void => {
        written = deepest;
        host.add(customEvent(CustomTag.SCROLL, { href, depth: deepest }));
      };
      const sample = (): void => {
        deepest = Math.max(deepest, depthNow());
      };
      const guarded = (what: string, fn: () => void) => (): void => {
        try {
          fn();
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, `scroll depth: ${what} failed`, err);
        }
      };
      const onTimer = guarded('sampling', () => {
        timer = undefined;
        sample();
        if (deepest - written >= SCROLL_LIMITS.step - 1e-9) write();
      });
      const onScroll = (): void => {
        if (timer === undefined) timer = setTimeout(onTimer, SCROLL_LIMITS.sampleMs);
      };
      /** The final depth of the page, when it grew since the last event (or none was written). */
      const settle = (measure: boolean): void => {
        if (timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
          measure = true;
        }
        if (measure) sample();
        if (deepest > written) write();
      };
      const onHide = guarded('writing the final depth', () => {
        if (document.visibilityState === 'hidden') settle(true);
      });
      const onPageHide = guarded('writing the final depth', () => settle(true));
      const off = pages.on((phase) => {
        try {
          // On leave the document may already show the next page: keep what was measured while on this one.
          if (phase === 'leave') settle(false);
          else {
            href = pages.href();
            deepest = 0;
            written = -1;
          }
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, 'scroll depth: a page change failed', err);
        }
      });
      window.addEventListener('scroll', onScroll, { passive: true });
      // Capture listeners run before the recorder's own (bubbling) ones, so this event makes the last batch.
      document.addEventListener('visibilitychange', onHide, true);
      window.addEventListener('pagehide', onPageHide, true);
      return () => {
        off();
        if (timer !== undefined) clearTimeout(timer);
        window.removeEventListener('scroll', onScroll);
        document.removeEventListener('visibilitychange', onHide, true);
        window.removeEventListener('pagehide', onPageHide, true);
      };
    },
  };
}
