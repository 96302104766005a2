/**
 * Popovers' open state, which rrweb does not record (showing a popover puts it in the top
 * layer and changes no attribute): a `sentiero/popover@1` event `{ id, open }` (`id` the
 * element's rrweb node id) on each toggle, and one for each open popover after every full
 * snapshot. Popovers of the main document only (a `toggle` event does not leave a shadow root).
 */
import { record } from '@rrweb/record';
import { CustomTag } from '@sentiero/protocol';

/** A running popover watch. */
export interface PopoverWatch {
  /** Records the popovers open now (after a full snapshot). */
  snapshot(): void;
  stop(): void;
}

function note(el: Element, open: boolean): void {
  const id = record.mirror.getId(el);
  if (id < 0) return;
  try {
    record.addCustomEvent(CustomTag.POPOVER, { id, open });
  } catch { /* not recording (any more) */ }
}

/** Starts watching `doc`'s popovers. */
export function watchPopovers(doc: Document): PopoverWatch {
  const onToggle = (e: Event) => {
    const el = e.target;
    if (!(el instanceof Element) || !el.hasAttribute('popover') || el.tagName === 'DIALOG') return;
    note(el, (e as Event & { newState?: string }).newState === 'open');
  };
  doc.addEventListener('toggle', onToggle, true);
  return {
    snapshot() {
      let open: NodeListOf<Element>;
      try {
        open = doc.querySelectorAll(':popover-open');
      } catch {
        return; // a browser without popovers
      }
      for (const el of open) if (el.tagName !== 'DIALOG') note(el, true);
    },
    stop() {
      doc.removeEventListener('toggle', onToggle, true);
    },
  };
}
