/**
 * Form fields (`sentiero/field@1`, part of `autocapture`): focus, change and blur of inputs,
 * textareas and selects, and form submits, each as `{ form, field, kind, href }` — the form
 * and field by id, name or selector, never a value. Fields inside blocked or ignored elements
 * are not told about; neither are hidden inputs and buttons.
 */
import { CustomTag } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import type { PrivacyMatchers } from '../privacy.ts';
import { fieldName, formName, untracked } from './describe.ts';
import { customEvent } from './custom-event.ts';
import type { Feature } from './feature.ts';
import type { PageTracker } from './pages.ts';

/** What happened to a field. */
export type FieldKind = 'focus' | 'change' | 'blur' | 'submit';

const BUTTON_TYPES = new Set(['hidden', 'submit', 'button', 'reset', 'image']);

/** Whether `el` is a form field the feature reports on. */
function isField(el: Element): el is HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
  const tag = el.localName;
  if (tag === 'textarea' || tag === 'select') return true;
  return tag === 'input' && !BUTTON_TYPES.has(((el as HTMLInputElement).type || 'text').toLowerCase());
}

/** The feature: capture-phase `focusin`, `change`, `focusout` and `submit` listeners on `window`. */
export function fieldsFeature(pages: PageTracker, privacy: PrivacyMatchers): Feature {
  return {
    name: 'sentiero/fields@1',
    setup(host) {
      const write = (form: string, field: string, kind: FieldKind): void => {
        host.add(customEvent(CustomTag.FIELD, { form, field, kind, href: pages.href() }));
      };
      const onField = (kind: FieldKind) => (ev: Event): void => {
        try {
          const el = ev.target;
          if (!(el instanceof Element) || !isField(el) || untracked(el, privacy)) return;
          write(formName(el.form), fieldName(el), kind);
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, `recording a field ${kind} failed`, err);
        }
      };
      const onSubmit = (ev: Event): void => {
        try {
          const form = ev.target;
          if (!(form instanceof Element) || untracked(form, privacy)) return;
          const submitter = (ev as SubmitEvent).submitter;
          write(formName(form), submitter ? fieldName(submitter) : '', 'submit');
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, 'recording a form submit failed', err);
        }
      };
      const listeners: [string, (ev: Event) => void][] = [
        ['focusin', onField('focus')], ['change', onField('change')], ['focusout', onField('blur')], ['submit', onSubmit],
      ];
      for (const [type, fn] of listeners) window.addEventListener(type, fn, { capture: true, passive: true });
      return () => {
        for (const [type, fn] of listeners) window.removeEventListener(type, fn, { capture: true });
      };
    },
  };
}
