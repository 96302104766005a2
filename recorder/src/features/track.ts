/**
 * Custom events without code (`sentiero/track@1`, part of `autocapture`), written as
 * `sentiero/event@1` `{ name, props, source }`:
 * - `data-sentiero-track="name"`: a click on the element or inside it (the nearest such ancestor);
 * - `data-sentiero-track-submit="name"` on a form: its submit;
 * - `data-sentiero-track-view="name"`: the first time any part of the element is in the
 *   viewport, once per element per page view.
 * `data-sentiero-prop-<key>="value"` attributes of the same element are the props. Click and
 * submit are delegated (one listener each on `window`), so elements added later work. View
 * elements are looked for (one `querySelectorAll`) at start, on each page view, shortly after
 * clicks, submits and scrolling, and every `TRACK_LIMITS.rescanMs` while the page is
 * visible — never on DOM mutations. Elements inside blocked or ignored elements never emit.
 */
import { CustomTag } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import type { PrivacyMatchers } from '../privacy.ts';
import { untracked } from './describe.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';
import type { PageTracker } from './pages.ts';

/** Caps of attribute-tracked events: name length, number of props, key and value lengths; and how often view elements are looked for (ms). */
export const TRACK_LIMITS = { maxName: 200, maxProps: 20, maxKey: 50, maxValue: 500, rescanMs: 2000, settleMs: 300 } as const;

/** The attributes. */
export const TRACK_ATTRIBUTES = {
  click: 'data-sentiero-track',
  submit: 'data-sentiero-track-submit',
  view: 'data-sentiero-track-view',
  propPrefix: 'data-sentiero-prop-',
} as const;

/** Where an attribute-tracked event came from. */
export type TrackSource = 'click' | 'submit' | 'view';

/** The `props` of an element: its `data-sentiero-prop-*` attributes, capped. */
export function trackProps(el: Element): Record<string, string> {
  const props: Record<string, string> = {};
  let n = 0;
  for (const attr of Array.from(el.attributes)) {
    if (!attr.name.startsWith(TRACK_ATTRIBUTES.propPrefix)) continue;
    const key = attr.name.slice(TRACK_ATTRIBUTES.propPrefix.length);
    if (!key || key.length > TRACK_LIMITS.maxKey) continue;
    props[key] = attr.value.slice(0, TRACK_LIMITS.maxValue);
    if (++n >= TRACK_LIMITS.maxProps) break;
  }
  return props;
}

/** The feature. */
export function trackFeature(pages: PageTracker, privacy: PrivacyMatchers): Feature {
  return {
    name: 'sentiero/track@1',
    setup(host) {
      const write = (el: Element, attribute: string, source: TrackSource): void => {
        const name = (el.getAttribute(attribute) ?? '').trim().slice(0, TRACK_LIMITS.maxName);
        if (!name || untracked(el, privacy)) return;
        host.add(customEvent(CustomTag.EVENT, { name, props: trackProps(el), source }));
      };
      const guarded = <A extends unknown[]>(what: string, fn: (...args: A) => void) => (...args: A): void => {
        try {
          fn(...args);
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, `tracking ${what} failed`, err);
        }
      };

      // Views: each element once per page view.
      let seen = new WeakSet<Element>();
      const observer = typeof IntersectionObserver === 'function'
        ? new IntersectionObserver(guarded('a view', (entries: IntersectionObserverEntry[]) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            observer?.unobserve(entry.target);
            write(entry.target, TRACK_ATTRIBUTES.view, 'view');
          }
        }))
        : undefined;
      const scan = guarded('view elements', () => {
        if (!observer) return;
        for (const el of Array.from(document.querySelectorAll(`[${TRACK_ATTRIBUTES.view}]`))) {
          if (seen.has(el)) continue;
          seen.add(el);
          observer.observe(el);
        }
      });
      let soon: ReturnType<typeof setTimeout> | undefined;
      const scanSoon = (): void => {
        if (soon === undefined && observer) soon = setTimeout(() => { soon = undefined; scan(); }, TRACK_LIMITS.settleMs);
      };
      const every = setInterval(() => {
        if (document.visibilityState === 'visible') scan();
      }, TRACK_LIMITS.rescanMs);

      const onClick = guarded('a click', (ev: Event) => {
        const target = ev.target;
        if (target instanceof Element) {
          const el = target.closest(`[${TRACK_ATTRIBUTES.click}]`);
          if (el) write(el, TRACK_ATTRIBUTES.click, 'click');
        }
        scanSoon();
      });
      const onSubmit = guarded('a submit', (ev: Event) => {
        const form = ev.target;
        if (form instanceof Element && form.hasAttribute(TRACK_ATTRIBUTES.submit)) write(form, TRACK_ATTRIBUTES.submit, 'submit');
        scanSoon();
      });
      const off = pages.on(guarded('a page view', (phase: string) => {
        if (phase !== 'enter' || !observer) return;
        observer.disconnect();
        seen = new WeakSet();
        scan();
      }));
      window.addEventListener('click', onClick, { capture: true, passive: true });
      window.addEventListener('submit', onSubmit, { capture: true, passive: true });
      window.addEventListener('scroll', scanSoon, { passive: true });
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan, { once: true });
      scan();
      return () => {
        off();
        clearInterval(every);
        if (soon !== undefined) clearTimeout(soon);
        observer?.disconnect();
        window.removeEventListener('click', onClick, { capture: true });
        window.removeEventListener('submit', onSubmit, { capture: true });
        window.removeEventListener('scroll', scanSoon);
        document.removeEventListener('DOMContentLoaded', scan);
      };
    },
  };
}
