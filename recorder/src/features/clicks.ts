/**
 * Clicks (`sentiero/click@1`, part of `autocapture`): one capture-phase `click` listener on
 * `window` describes every click by where it landed — a stable selector and the accessible
 * name of the element it was meant for, the position in the page and inside that element's
 * box, the viewport and the document height — and never by what was typed anywhere. Rage and
 * dead clicks are the relay's to find from these.
 */
import { CustomTag } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import type { PrivacyMatchers } from '../privacy.ts';
import { clickTarget, labelOf, selectorOf, within } from './describe.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';
import type { PageTracker } from './pages.ts';

const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Number.isFinite(n) ? Math.round(n * f) / f : 0;
};
const unit = (n: number): number => round(Math.min(1, Math.max(0, n)), 3);

/** The `sentiero/click@1` payload of a click on `target`. */
function clickPayload(ev: MouseEvent, target: Element, pages: PageTracker, privacy: PrivacyMatchers): Record<string, unknown> {
  // A click inside a blocked element is told as a click on the blocked element itself, which the replay shows as a box.
  let el = clickTarget(target);
  if (within(el, privacy.block)) el = el.closest(privacy.block) ?? el;
  const box = el.getBoundingClientRect();
  const keyboard = ev.detail === 0 && ev.clientX === 0 && ev.clientY === 0;
  // A click from the keyboard (Enter, Space) has no position: it is placed at the element's centre.
  const clientX = keyboard ? box.left + box.width / 2 : ev.clientX;
  const clientY = keyboard ? box.top + box.height / 2 : ev.clientY;
  const root = document.documentElement;
  return {
    selector: selectorOf(el),
    label: labelOf(el, privacy),
    href: pages.href(),
    pageX: round(clientX + window.scrollX, 1),
    pageY: round(clientY + window.scrollY, 1),
    relX: box.width > 0 ? unit((clientX - box.left) / box.width) : 0.5,
    relY: box.height > 0 ? unit((clientY - box.top) / box.height) : 0.5,
    vw: window.innerWidth,
    vh: window.innerHeight,
    dh: Math.max(root.scrollHeight, document.body?.scrollHeight ?? 0),
  };
}

/** The feature. */
export function clicksFeature(pages: PageTracker, privacy: PrivacyMatchers): Feature {
  return {
    name: 'sentiero/clicks@1',
    setup(host) {
      // A click on a <label> is passed on by the browser as a second click on its control, in the same task: that one is not the visitor's.
      let forwarded: Element | null = null;
      const onClick = (ev: Event): void => {
        try {
          const target = ev.target;
          if (!(target instanceof Element)) return;
          if (target === forwarded) {
            forwarded = null;
            return;
          }
          const label = target.closest('label');
          if (label?.control) {
            forwarded = label.control;
            setTimeout(() => { forwarded = null; }, 0);
          }
          host.add(customEvent(CustomTag.CLICK, clickPayload(ev as MouseEvent, target, pages, privacy)));
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, 'recording a click failed', err);
        }
      };
      window.addEventListener('click', onClick, { capture: true, passive: true });
      return () => window.removeEventListener('click', onClick, { capture: true });
    },
  };
}
