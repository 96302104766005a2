/**
 * How the analytics features describe an element without its content: a stable CSS selector,
 * an accessible name (never the text of a field, an editable region or a masked or blocked
 * element), and the names of forms and fields. Every function here is total: odd nodes (SVG,
 * detached, inside a shadow root) get a best-effort answer, never an exception.
 */
import type { PrivacyMatchers } from '../privacy.ts';

/** Caps of the descriptions, in characters. */
export const DESCRIBE_LIMITS = { maxSelector: 300, maxLabel: 100, maxName: 200, maxDepth: 8, maxClasses: 3 } as const;

/** Attributes that identify an element well enough to end a selector there, in order of preference (after `id`). */
const ANCHOR_ATTRIBUTES = ['data-testid', 'data-sentiero-track'] as const;

/** What counts as the element a click was meant for, when the click landed on something inside it. */
const ACTIONABLE = 'a[href], button, input, select, textarea, label, summary, [role="button"], [role="link"], [role="menuitem"], [role="tab"], [role="checkbox"], [role="radio"], [role="switch"], [role="option"], [data-sentiero-track]';

/** Elements whose text content is their accessible name. */
const NAMED_BY_TEXT = 'a, button, label, summary, [role="button"], [role="link"], [role="menuitem"], [role="tab"], [role="option"]';

/** What never lends its text to a label. */
const TEXT_NEVER = 'input, textarea, select, [contenteditable]';

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

const escape = (s: string): string =>
  typeof CSS !== 'undefined' && typeof CSS.escape === 'function' ? CSS.escape(s) : s.replace(/[^\w-]/g, (c) => `\\${c}`);

/** Whether `el` or an ancestor matches `selector` (a bad selector matches nothing). */
export function within(el: Element, selector: string): boolean {
  try {
    return el.closest(selector) !== null;
  } catch {
    return false;
  }
}

/** Whether `el` is inside a blocked or ignored element: nothing there is tracked. */
export function untracked(el: Element, privacy: PrivacyMatchers): boolean {
  return within(el, privacy.block) || within(el, privacy.ignore);
}

const matches = (el: Element, selector: string): boolean => {
  try {
    return el.matches(selector);
  } catch {
    return false;
  }
};

/** The `class` attribute's names (SVG elements have no string `className`). */
function classesOf(el: Element): string[] {
  const cls = el.getAttribute('class');
  if (!cls) return [];
  // Generated names (hashes, state classes with odd characters) make unstable selectors: keep plain, short ones.
  return cls.split(/\s+/).filter((c) => c && c.length <= 40 && /^[A-Za-z_][\w-]*$/.test(c)).slice(0, DESCRIBE_LIMITS.maxClasses);
}

/** One step of a selector, and whether it identifies the element on its own. */
function step(el: Element): { part: string; anchor: boolean } {
  const id = el.getAttribute('id');
  if (id && id.length <= 100) return { part: `#${escape(id)}`, anchor: true };
  for (const attr of ANCHOR_ATTRIBUTES) {
    const v = el.getAttribute(attr);
    if (v && v.length <= 100) return { part: `[${attr}="${v.replace(/["\\]/g, '\\$&')}"]`, anchor: true };
  }
  const tag = el.localName || 'x';
  let part = tag + classesOf(el).map((c) => `.${c}`).join('');
  const parent = el.parentElement;
  if (parent) {
    let index = 0;
    let same = 0;
    for (let s = parent.firstElementChild; s; s = s.nextElementSibling) {
      if (s.localName !== tag) continue;
      same++;
      if (s === el) index = same;
    }
    if (same > 1) part += `:nth-of-type(${index})`;
  }
  return { part, anchor: false };
}

/** A stable CSS selector for `el`: its id, `data-testid` or `data-sentiero-track`, else a short path of tags, classes and positions up to an ancestor that has one. */
export function selectorOf(el: Element): string {
  const parts: string[] = [];
  let length = 0;
  for (let cur: Element | null = el; cur && parts.length < DESCRIBE_LIMITS.maxDepth; cur = cur.parentElement) {
    if (cur.localName === 'html') break;
    const { part, anchor } = step(cur);
    if (length + part.length + 3 > DESCRIBE_LIMITS.maxSelector) break;
    parts.unshift(part);
    length += part.length + 3;
    if (anchor || cur.localName === 'body') break;
  }
  return parts.join(' > ') || el.localName || '';
}

/** The element a click on `target` was meant for: the nearest actionable ancestor, else the target itself. */
export function clickTarget(target: Element): Element {
  try {
    return target.closest(ACTIONABLE) ?? target;
  } catch {
    return target;
  }
}

/** The text of `el` when it may be used as a label: not a field, nothing editable, masked or blocked inside. */
function safeText(el: Element, privacy: PrivacyMatchers): string {
  if (within(el, TEXT_NEVER) || (el as HTMLElement).isContentEditable || within(el, privacy.mask)) return '';
  try {
    if (el.querySelector(`${TEXT_NEVER}, ${privacy.mask}, ${privacy.block}`)) return '';
  } catch {
    return '';
  }
  return squash(el.textContent ?? '');
}

/**
 * The accessible name of `el`, capped: `aria-label`, `aria-labelledby`, `alt`, `title`, or
 * the text of a link or button. Empty for anything inside a blocked element, and never the
 * text (or value) of a field, an editable region or a masked element.
 */
export function labelOf(el: Element, privacy: PrivacyMatchers): string {
  if (within(el, privacy.block)) return '';
  const attr = (name: string): string => squash(el.getAttribute(name) ?? '');
  let label = attr('aria-label');
  if (!label) {
    const ids = attr('aria-labelledby');
    if (ids) {
      const root = el.getRootNode() as Document | ShadowRoot;
      label = squash(ids.split(' ').map((id) => {
        const ref = typeof root.getElementById === 'function' ? root.getElementById(id) : null;
        return ref && !within(ref, privacy.block) ? safeText(ref, privacy) : '';
      }).join(' '));
    }
  }
  if (!label) label = attr('alt') || attr('title');
  if (!label && matches(el, NAMED_BY_TEXT)) label = safeText(el, privacy);
  return cut(label, DESCRIBE_LIMITS.maxLabel);
}

/** A form control's name for analytics: its `name` attribute, else its id, else a selector. */
export function fieldName(el: Element): string {
  return cut(el.getAttribute('name') || el.getAttribute('id') || selectorOf(el), DESCRIBE_LIMITS.maxName);
}

/** A form's name for analytics: its id, else its `name` attribute, else a selector (attributes are read directly: a field named `id` shadows `form.id`). */
export function formName(form: Element | null | undefined): string {
  if (!form) return '';
  return cut(form.getAttribute('id') || form.getAttribute('name') || selectorOf(form), DESCRIBE_LIMITS.maxName);
}
