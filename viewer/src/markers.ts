/**
 * What happened in a recording, for the timeline and the activity list: clicks, inputs, page
 * changes, errors, custom events and gaps, read from rrweb events in one pass (incrementally,
 * as batches stream in). Labels are plain text: they are only ever shown as text.
 */
import { CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { captureMarker, indexAt, mergeByTime } from './capture-log.ts';
import { IncrementalSource, MouseInteraction, NodeType } from './rrweb-types.ts';
import { type StackFrame, parseStack } from './stack.ts';

/** The kinds of marker, in the order the legend shows them. */
export const MarkerKind = {
  CLICK: 'click',
  INPUT: 'input',
  NAVIGATION: 'navigation',
  ERROR: 'error',
  CUSTOM: 'custom',
  GAP: 'gap',
} as const;

/** One of the marker kinds. */
export type MarkerKind = (typeof MarkerKind)[keyof typeof MarkerKind];

/** One moment worth showing on the timeline and in the activity list. */
export interface Marker {
  kind: MarkerKind;
  /** The event's time (ms since epoch, recorder clock). */
  timestamp: number;
  /** The window (tab) it happened in. */
  windowId: string;
  /** A one-line description, e.g. `Click on button “Save”`. */
  label: string;
  /** More text: a URL, an error's stack, a custom event's properties as JSON. */
  detail?: string;
  /** For errors: the parsed stack frames. */
  frames?: StackFrame[];
  /** For errors: the error group the relay put it in (links to `#/errors/<groupId>`). */
  groupId?: string;
  /** For errors: `server` when the app's server reported it (it then belongs to no tab). */
  origin?: 'server';
  /** For server errors: the URL of the request that failed (links it to a recorded request). */
  url?: string;
}

interface IndexedNode {
  type: number;
  tag?: string;
  attrs?: Record<string, unknown>;
  text?: string;
  parent?: number;
  children: number[];
}

/** Longest label text taken from a page, in characters. */
const MAX_LABEL = 80;
/** Without focus events (older recordings), inputs into the same field closer than this (ms) are one marker. */
const INPUT_MERGE_MS = 1500;
/** Without the `userTriggered` flag, an input into another field this soon (ms) after one is the page's own doing (a re-render). */
const INPUT_BURST_MS = 30;
/** How many ancestors are searched for text to name an element that has none. */
const CONTEXT_DEPTH = 4;
/** Elements whose text is too broad to name something inside them (a whole form, list or page section). */
const CONTAINERS = new Set(['html', 'body', 'main', 'section', 'article', 'aside', 'nav', 'header', 'footer', 'form', 'fieldset', 'dialog', 'ul', 'ol', 'table', 'tbody']);
/** Longest text around an element that still names it, in characters. */
const MAX_CONTEXT = 60;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const clipText = (s: string, max = MAX_LABEL): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Reads the markers of one window's events, incrementally: feed it events in time order. */
export class MarkerReader {
  private readonly nodes = new Map<number, IndexedNode>();
  /** Element ids (the `id` attribute) → node id, for `aria-labelledby`. */
  private readonly byElementId = new Map<string, number>();
  /** A `<label for>`'s target id → the label's node id. */
  private readonly labelFor = new Map<string, number>();
  /** The field whose typing entry is still open (merges further input), or -1. */
  private openInputId = -1;
  private lastInputAt = 0;
  /** Whether the recording has focus events (then one typing entry lasts as long as the field has focus). */
  private focusSeen = false;
  private pageTitle = new Map<string, string>();

  constructor(readonly windowId: string) {}

  /** Reads events and returns the markers they add (an input merged into the previous one adds none). */
  read(events: readonly RecordedEvent[]): Marker[] {
    const out: Marker[] = [];
    for (const e of events) {
      const m = this.one(e);
      if (m) out.push(m);
    }
    return out;
  }

  private one(e: RecordedEvent): Marker | undefined {
    const data = isObj(e.data) ? e.data : {};
    switch (e.type) {
      case EventType.FullSnapshot:
        this.nodes.clear();
        this.byElementId.clear();
        this.labelFor.clear();
        this.openInputId = -1;
        if (isObj(data.node)) this.index(data.node, undefined);
        return undefined;
      case EventType.Meta: {
        const href = str(data.href) ?? '';
        return { kind: MarkerKind.NAVIGATION, timestamp: e.timestamp, windowId: this.windowId, label: `Page ${clipText(pathOf(href), 120)}`, detail: href };
      }
      case EventType.Custom:
        return this.custom(e, data);
      case EventType.IncrementalSnapshot:
        return this.incremental(e, data);
      default:
        return undefined;
    }
  }

  private custom(e: RecordedEvent, data: Obj): Marker | undefined {
    const tag = str(data.tag) ?? '';
    const p = isObj(data.payload) ? data.payload : {};
    const base = { timestamp: e.timestamp, windowId: this.windowId };
    if (tag === CustomTag.PAGE) {
      const title = str(p.title);
      if (title) this.pageTitle.set(str(p.href) ?? '', title);
      return undefined;
    }
    if (tag === CustomTag.ERROR) {
      const name = str(p.name) || 'Error';
      const message = str(p.message) ?? '';
      const stack = str(p.stack) ?? '';
      const m: Marker = { ...base, kind: MarkerKind.ERROR, label: clipText(squash(`${name}: ${message}`), 160) };
      if (stack) {
        m.detail = stack.slice(0, 4000);
        m.frames = parseStack(stack).slice(0, 20);
      }
      const groupId = str(p.groupId);
      if (groupId && /^[A-Za-z0-9_-]{1,64}$/.test(groupId)) m.groupId = groupId;
      return m;
    }
    // Analytics events: the rrweb click and input entries already say this, and the analytics views show the rest.
    if (tag === CustomTag.CLICK || tag === CustomTag.FIELD || tag === CustomTag.SCROLL || tag === CustomTag.VITAL) return undefined;
    // Replay state, not an event of the visit.
    if (tag === CustomTag.POPOVER) return undefined;
    if (tag === CustomTag.IDENTIFY) return { ...base, kind: MarkerKind.CUSTOM, label: clipText(squash(`Identified as ${str(p.userId) ?? '?'}`), 120) };
    const captured = captureMarker(tag, data.payload, base);
    if (captured !== undefined) return captured ?? undefined;
    if (tag === CustomTag.EVENT) {
      const name = str(p.name) ?? '(unnamed)';
      const m: Marker = { ...base, kind: MarkerKind.CUSTOM, label: clipText(squash(name), 120) };
      if (isObj(p.props) && Object.keys(p.props).length) m.detail = safeJson(p.props, 2000);
      return m;
    }
    if (tag === CustomTag.GAP) {
      const dropped = typeof p.dropped === 'number' ? p.dropped : 0;
      const reason = str(p.reason) ?? 'unknown';
      return { ...base, kind: MarkerKind.GAP, label: dropped ? `${dropped} events lost` : 'Events lost', detail: `Reason: ${reason}` };
    }
    return { ...base, kind: MarkerKind.CUSTOM, label: clipText(squash(tag || '(custom event)'), 120), detail: safeJson(data.payload, 2000) };
  }

  private incremental(e: RecordedEvent, data: Obj): Marker | undefined {
    const source = data.source;
    if (source === IncrementalSource.Mutation) {
      for (const r of Array.isArray(data.removes) ? data.removes : []) if (isObj(r) && typeof r.id === 'number') this.nodes.delete(r.id);
      for (const a of Array.isArray(data.adds) ? data.adds : []) {
        if (!isObj(a) || !isObj(a.node)) continue;
        this.index(a.node, typeof a.parentId === 'number' ? a.parentId : undefined);
      }
      for (const t of Array.isArray(data.texts) ? data.texts : []) {
        if (!isObj(t) || typeof t.id !== 'number') continue;
        const n = this.nodes.get(t.id);
        if (n) n.text = str(t.value) ?? '';
      }
      return undefined;
    }
    if (source === IncrementalSource.MouseInteraction && (data.type === MouseInteraction.Focus || data.type === MouseInteraction.Blur)) {
      this.focusSeen = true;
      // Focus moving anywhere else, or the field losing it, ends the field's typing entry.
      if (data.type === MouseInteraction.Blur ? data.id === this.openInputId : data.id !== this.openInputId) this.openInputId = -1;
      return undefined;
    }
    if (source === IncrementalSource.MouseInteraction && (data.type === MouseInteraction.Click || data.type === MouseInteraction.DblClick)) {
      const verb = data.type === MouseInteraction.DblClick ? 'Double-click' : 'Click';
      const target = typeof data.id === 'number' ? this.describe(data.id) : '';
      return { kind: MarkerKind.CLICK, timestamp: e.timestamp, windowId: this.windowId, label: target ? `${verb} on ${target}` : verb };
    }
    if (source === IncrementalSource.Input && typeof data.id === 'number') return this.input(e, data, data.id);
    return undefined;
  }

  /**
   * An input: only the user's count (rrweb's `userTriggered`, when the recorder asked for it),
   * and typing into one field is one entry for as long as the field keeps focus. Each toggle of a
   * checkbox or radio button is an entry of its own.
   */
  private input(e: RecordedEvent, data: Obj, id: number): Marker | undefined {
    if (data.userTriggered === false) return undefined;
    const kind = this.inputKind(id);
    const toggle = kind === 'Toggled';
    const since = e.timestamp - this.lastInputAt;
    if (!('userTriggered' in data) && this.lastInputAt && id !== this.openInputId && since < INPUT_BURST_MS) return undefined;
    const sameEntry = !toggle && id === this.openInputId && (this.focusSeen || since < INPUT_MERGE_MS);
    this.lastInputAt = e.timestamp;
    this.openInputId = id;
    if (sameEntry) return undefined;
    const target = this.describe(id);
    return { kind: MarkerKind.INPUT, timestamp: e.timestamp, windowId: this.windowId, label: `${kind} ${target || 'a field'}` };
  }

  private inputKind(id: number): string {
    const n = this.nodes.get(id);
    const type = str(n?.attrs?.type)?.toLowerCase();
    if (n?.tag === 'select') return 'Chose in';
    if (type === 'checkbox' || type === 'radio') return 'Toggled';
    if (SET_TYPES.has(type ?? '')) return 'Set';
    return 'Typed in';
  }

  /** Indexes a serialized node and its subtree. */
  private index(node: Obj, parentId: number | undefined): void {
    const stack: Array<[Obj, number | undefined]> = [[node, parentId]];
    while (stack.length) {
      const [n, parent] = stack.pop()!;
      if (typeof n.id !== 'number') continue;
      const entry: IndexedNode = { type: typeof n.type === 'number' ? n.type : -1, children: [] };
      if (parent !== undefined) entry.parent = parent;
      if (entry.type === NodeType.Element) {
        entry.tag = (str(n.tagName) ?? '').toLowerCase();
        entry.attrs = isObj(n.attributes) ? n.attributes : {};
        const elId = str(entry.attrs.id);
        if (elId) this.byElementId.set(elId, n.id);
        const forId = entry.tag === 'label' ? str(entry.attrs.for) : undefined;
        if (forId) this.labelFor.set(forId, n.id);
      } else if (entry.type === NodeType.Text) entry.text = str(n.textContent) ?? '';
      this.nodes.set(n.id, entry);
      if (parent !== undefined) this.nodes.get(parent)?.children.push(n.id);
      const kids = Array.isArray(n.childNodes) ? n.childNodes : [];
      for (let i = kids.length - 1; i >= 0; i--) if (isObj(kids[i])) stack.push([kids[i] as Obj, n.id]);
    }
  }

  private textOf(id: number, budget: { left: number }): string {
    const n = this.nodes.get(id);
    if (!n || budget.left <= 0) return '';
    if (n.type === NodeType.Text) {
      const t = n.text ?? '';
      budget.left -= t.length;
      return t;
    }
    if (n.type !== NodeType.Element || n.tag === 'script' || n.tag === 'style') return '';
    let s = '';
    for (const c of n.children) s += ` ${this.textOf(c, budget)}`;
    return s;
  }

  /**
   * A short description of an element, by its accessible name first: `button “Save”`,
   * `field “Email”` (its label), `checkbox in “Buy milk”` (no name: the text around it),
   * and a selector (`field #email`) only when there is nothing to read.
   */
  describe(id: number): string {
    const n = this.nodes.get(id);
    if (!n) return '';
    if (n.type === NodeType.Text) return `“${clipText(squash(n.text ?? ''), 40)}”`;
    if (n.type !== NodeType.Element) return '';
    const a = n.attrs ?? {};
    const type = str(a.type)?.toLowerCase();
    const isButton = n.tag === 'input' && (type === 'submit' || type === 'button' || type === 'reset');
    const tag = isButton ? 'button' : (n.tag === 'input' && INPUT_NAMES[type ?? '']) || FRIENDLY[n.tag ?? ''] || n.tag || 'element';
    const name = this.accessibleName(id, n, isButton);
    if (name) return `${tag} “${clipText(name, 40)}”`;
    const around = this.textAround(id, n);
    if (around) return `${tag} in “${clipText(around, 40)}”`;
    const elId = str(a.id);
    if (elId) return `${tag} #${clipText(elId, 40)}`;
    const nm = str(a.name);
    if (nm) return `${tag} [name=${clipText(nm, 30)}]`;
    const cls = str(a.class)?.trim().split(/\s+/)[0];
    return cls ? `${tag}.${clipText(cls, 30)}` : tag;
  }

  /** The element's accessible name, roughly as a screen reader finds it; '' when it has none. */
  private accessibleName(id: number, n: IndexedNode, isButton: boolean): string {
    const a = n.attrs ?? {};
    const attr = (k: string) => squash(str(a[k]) ?? '');
    const labelledBy = attr('aria-labelledby').split(' ').map((ref) => this.byElementId.get(ref)).filter((x): x is number => x !== undefined);
    const field = n.tag === 'input' || n.tag === 'textarea' || n.tag === 'select';
    const candidates = [
      () => squash(labelledBy.map((ref) => this.textOf(ref, { left: 200 })).join(' ')),
      () => attr('aria-label'),
      () => (field ? this.labelText(n) : ''),
      () => (field ? '' : squash(this.textOf(id, { left: 200 }))),
      () => attr('alt'),
      () => attr('title'),
      () => attr('placeholder'),
      () => (isButton ? attr('value') : ''),
    ];
    for (const c of candidates) {
      const v = c();
      if (v) return v;
    }
    return '';
  }

  /** The text of a field's `<label>`: one that names it (`for`) or one around it. */
  private labelText(n: IndexedNode): string {
    const elId = str(n.attrs?.id);
    const forLabel = elId ? this.labelFor.get(elId) : undefined;
    if (forLabel !== undefined && this.nodes.has(forLabel)) return squash(this.textOf(forLabel, { left: 200 }));
    for (let p = n.parent, depth = 0; p !== undefined && depth < CONTEXT_DEPTH; depth++) {
      const pn = this.nodes.get(p);
      if (!pn) break;
      if (pn.tag === 'label') return squash(this.textOf(p, { left: 200 }));
      p = pn.parent;
    }
    return '';
  }

  /** For an element with no name (an icon button, a bare checkbox): the text of the nearest ancestor that has some. */
  private textAround(id: number, n: IndexedNode): string {
    let child = id;
    for (let p = n.parent, depth = 0; p !== undefined && depth < CONTEXT_DEPTH; depth++) {
      const pn = this.nodes.get(p);
      if (!pn || CONTAINERS.has(pn.tag ?? '')) break;
      const text = squash(pn.children.filter((c) => c !== child).map((c) => this.textOf(c, { left: 200 })).join(' '));
      // Much text around (a whole form, a page section) names nothing in particular.
      if (text) return text.length <= MAX_CONTEXT ? text : '';
      child = p;
      p = pn.parent;
    }
    return '';
  }

  /** The title the recorder gave a page URL, if any. */
  titleOf(href: string): string | undefined {
    return this.pageTitle.get(href);
  }
}

/** Input types that are set, not typed in. */
const SET_TYPES = new Set(['range', 'color', 'date', 'datetime-local', 'month', 'week', 'time', 'file']);

/** What an `<input>` is called by its type. */
const INPUT_NAMES: Record<string, string> = { checkbox: 'checkbox', radio: 'radio button', range: 'slider', file: 'file field', search: 'search field' };

const FRIENDLY: Record<string, string> = {
  a: 'link', button: 'button', input: 'field', textarea: 'text area', select: 'menu', img: 'image', label: 'label', li: 'item',
  h1: 'heading', h2: 'heading', h3: 'heading', p: 'text', span: 'text', summary: 'summary', option: 'option',
  th: 'column', td: 'cell', tr: 'row', svg: 'icon', path: 'icon', nav: 'navigation',
};

function pathOf(href: string): string {
  try {
    const u = new URL(href);
    return `${u.pathname}${u.search}` || '/';
  } catch {
    return href || '(unknown)';
  }
}

function safeJson(v: unknown, max: number): string {
  let s: string;
  try {
    s = JSON.stringify(v, null, 2) ?? '';
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Reads all markers of one window's events at once. */
export function extractMarkers(events: readonly RecordedEvent[], windowId = ''): Marker[] {
  return new MarkerReader(windowId).read(events);
}

/** A stretch without user activity, in ms since epoch. */
export interface InactivePeriod {
  from: number;
  to: number;
}

const USER_SOURCES = new Set<number>([
  IncrementalSource.MouseMove, IncrementalSource.MouseInteraction, IncrementalSource.Scroll, IncrementalSource.ViewportResize,
  IncrementalSource.Input, IncrementalSource.TouchMove, IncrementalSource.MediaInteraction, IncrementalSource.Drag,
]);

/** Whether an event is a user's doing (what rrweb's skip-inactive mode looks for). */
export function isUserActivity(e: RecordedEvent): boolean {
  if (e.type !== EventType.IncrementalSnapshot || !isObj(e.data)) return false;
  return USER_SOURCES.has(e.data.source as number);
}

/**
 * The stretches longer than `thresholdMs` between user activity (rrweb skips these when
 * skip-inactive is on), given events in time order.
 */
export function inactivePeriods(events: readonly RecordedEvent[], thresholdMs = 10_000): InactivePeriod[] {
  const out: InactivePeriod[] = [];
  if (!events.length) return out;
  let last = events[0]!.timestamp;
  for (const e of events) {
    if (!isUserActivity(e)) continue;
    if (e.timestamp - last > thresholdMs) out.push({ from: last, to: e.timestamp });
    last = e.timestamp;
  }
  const end = events[events.length - 1]!.timestamp;
  if (end - last > thresholdMs) out.push({ from: last, to: end });
  return out;
}

/** The index of the last marker at or before `timestamp` (markers in time order), or -1. */
export function markerIndexAt(markers: readonly Marker[], timestamp: number): number {
  return indexAt(markers, timestamp);
}

/** Inserts markers into a time-ordered list, keeping the order (new markers mostly come last). */
export function mergeMarkers(into: Marker[], add: readonly Marker[]): Marker[] {
  return mergeByTime(into, add);
}
