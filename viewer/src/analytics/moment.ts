/**
 * The moment behind an analytics number in one session: the first click on an element, custom
 * event, page view or form field use that the number counted. The relay counts; this only finds
 * where to start the replay, reading the session's stored events until the first match.
 */
import { type Client, CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { samePage } from './snapshot.ts';

/** What to look for: a click on a selector, a custom event, a page, or a form field. */
export type MomentHint =
  | { kind: 'click'; selector: string }
  | { kind: 'event'; name: string }
  | { kind: 'page'; url: string }
  | { kind: 'field'; field: string };

/** A replay starts this long before the moment, so that what led to it is seen. */
export const MOMENT_LEAD_MS = 1000;

/** The route text of a hint: `click:<selector>`, `event:<name>`, `page:<url>`, `field:<name>`. */
export function formatHint(h: MomentHint): string {
  const value = h.kind === 'click' ? h.selector : h.kind === 'event' ? h.name : h.kind === 'page' ? h.url : h.field;
  return `${h.kind}:${value}`;
}

/** A hint from its route text, or undefined. */
export function parseHint(text: string | null): MomentHint | undefined {
  const m = /^(click|event|page|field):([\s\S]{1,512})$/.exec(text ?? '');
  if (!m) return undefined;
  const v = m[2]!;
  switch (m[1]) {
    case 'click': return { kind: 'click', selector: v };
    case 'event': return { kind: 'event', name: v };
    case 'page': return { kind: 'page', url: v };
    default: return { kind: 'field', field: v };
  }
}

/** A page hint matches its page, or (a funnel step) any URL containing it, case-insensitive. */
const pageMatches = (href: string, url: string): boolean => samePage(href, url) || href.toLowerCase().includes(url.toLowerCase());

function matches(e: RecordedEvent, h: MomentHint): boolean {
  if (h.kind === 'page' && e.type === EventType.Meta) {
    const href = (e.data as { href?: unknown } | undefined)?.href;
    return typeof href === 'string' && pageMatches(href, h.url);
  }
  if (e.type !== EventType.Custom) return false;
  const d = e.data as { tag?: unknown; payload?: Record<string, unknown> } | undefined;
  const p = d?.payload ?? {};
  switch (h.kind) {
    case 'click': return d?.tag === CustomTag.CLICK && p.selector === h.selector;
    case 'event': return d?.tag === CustomTag.EVENT && p.name === h.name;
    case 'page': return d?.tag === CustomTag.PAGE && typeof p.href === 'string' && pageMatches(p.href, h.url);
    default: return d?.tag === CustomTag.FIELD && p.field === h.field;
  }
}

/** The first moment of `hint` in the session (its window and time), or undefined when the stored events have none. */
export async function findMoment(client: Client, sessionId: string, hint: MomentHint): Promise<{ windowId: string; at: number } | undefined> {
  let found: { windowId: string; at: number } | undefined;
  for await (const line of client.getEvents(sessionId)) {
    for (const e of line.events as RecordedEvent[]) {
      if (matches(e, hint) && (!found || e.timestamp < found.at)) found = { windowId: line.windowId, at: e.timestamp };
    }
    // Batches of one window come in order, windows one after another: the first match of a window is its earliest.
  }
  return found;
}
