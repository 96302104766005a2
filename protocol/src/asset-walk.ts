/**
 * The URLs a recording makes a replay load by itself, found in one place: images (`src`,
 * `srcset`, `poster`, …), `<link href>`, SVG `href`s, and every `url(…)` and `@import` of the
 * recorded CSS (style text, `style` attributes, style changes, `CSSStyleSheet` rules, adopted
 * stylesheets, recorded web fonts). The viewer rewrites them (viewer privacy); the relay
 * collects them to capture the assets (captured assets). Pure: no I/O, nothing Node- or
 * browser-only.
 */
import { mapAssetUrl, rewriteCssUrls } from './asset-policy.ts';
import { EventType, type RecordedEvent } from './messages.ts';

/** Where a URL of a recording sits: the element's tag and attribute, or `attr: 'css'` for a URL inside CSS. */
export interface AssetSlot {
  /** The element's tag, lower case; `''` for CSS that belongs to no element (rules, fonts). */
  tag: string;
  /** The attribute's name, lower case; `'css'` for a `url(…)` or `@import` inside CSS (whatever the attribute). */
  attr: string;
  /** The element's attributes where the event has them (a full snapshot, an added node). */
  attrs?: Readonly<Record<string, unknown>>;
}

/** Called with each http(s) URL (absolute: resolved against the page) and where it sits; returns the URL to put there when rewriting. */
export type AssetVisit = (absolute: string, slot: AssetSlot) => string;

/** Walks one window's events in order (it follows the page's URL and which text nodes are CSS). */
export interface AssetWalker {
  /** Visits the URLs of `event`; with `rewrite`, puts the visit's answers in place. Returns `event`. */
  walk(event: RecordedEvent): RecordedEvent;
}

/** How a walker treats what it finds. */
export interface AssetWalkOptions {
  /**
   * Put each visit's answer in place of the URL, and remove what a replay must never follow
   * (frames' `src`/`srcdoc`, `<base href>`, `<meta http-equiv=refresh>`). Without it the
   * events are left exactly as they are. Default false.
   */
  rewrite?: boolean;
}

/** rrweb's serialized node types and incremental sources that carry URLs. */
const NodeType = { Element: 2, Text: 3 } as const;
const Source = { Mutation: 0, StyleSheetRule: 8, Font: 10, StyleDeclaration: 13, AdoptedStyleSheet: 15 } as const;

/** SVG presentation attributes whose value may be a CSS `url(…)`. */
const CSS_ATTRS = new Set(['style', '_csstext', 'fill', 'stroke', 'filter', 'clip-path', 'mask', 'marker-start', 'marker-mid', 'marker-end', 'cursor']);
/** Attributes that hold one URL the browser fetches on its own, whatever the element. */
const URL_ATTRS = new Set(['src', 'poster', 'background', 'lowsrc', 'dynsrc']);
const SRCSET_ATTRS = new Set(['srcset', 'imagesrcset']);
/** Elements whose `href` (or `xlink:href`) is fetched as the page renders. */
const HREF_TAGS = new Set(['link', 'image', 'use', 'feimage', 'script']);

interface SerializedNode {
  type: number;
  id?: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
  textContent?: string;
  isStyle?: boolean;
}

/** Node ids up to this are kept in an array (rrweb counts ids up from 1; a larger one, from a hostile recording, goes in a map rather than growing the array). */
const MAX_ARRAY_ID = 1 << 20;

/** Marks an attribute a rewriting walker removes. */
const DROP = Symbol('drop');

/** A walker for one window's event stream, calling `visit` for every URL a replay would load. */
export function createAssetWalker(visit: AssetVisit, options: AssetWalkOptions = {}): AssetWalker {
  const rewrite = options.rewrite === true;
  let base = 'about:blank';
  const styleTexts = new Set<number>();
  /**
   * Element tags by node id, for attribute mutations (which name the node only). rrweb's ids are
   * small integers counted up from 1, so an array indexed by id (several times faster than a
   * `Map` on a full snapshot's thousands of elements); any other id goes in the map.
   */
  const tagById: string[] = [];
  const tagByOtherId = new Map<unknown, string>();
  const small = (id: unknown): id is number => typeof id === 'number' && id >= 0 && id <= MAX_ARRAY_ID && Number.isInteger(id);
  const setTag = (id: unknown, tag: string): void => {
    if (small(id)) tagById[id] = tag;
    else tagByOtherId.set(id, tag);
  };
  const tagOf = (id: unknown): string | undefined => (small(id) ? tagById[id] : tagByOtherId.get(id));

  const url = (raw: string, slot: AssetSlot): string => mapAssetUrl(raw, base, (abs) => visit(abs, slot));
  const css = (text: string, tag: string, attrs?: Readonly<Record<string, unknown>>) =>
    rewriteCssUrls(text, (u) => url(u, { tag, attr: 'css', attrs }));
  const srcset = (text: string, slot: AssetSlot) =>
    text.split(/,(?=\s*\S)/).map((candidate) => {
      const m = /^(\s*)(\S+)(.*)$/s.exec(candidate);
      return m ? `${m[1]}${url(m[2]!, slot)}${m[3]}` : candidate;
    }).join(',');

  /** The value an attribute of `tag` should have (`DROP` removes it). */
  const attribute = (tag: string, name: string, value: unknown, attrs: Record<string, unknown> | undefined): unknown => {
    const n = name.toLowerCase();
    if (typeof value === 'object' && value !== null && n === 'style') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = typeof v === 'string' ? css(v, tag, attrs) : Array.isArray(v) ? [typeof v[0] === 'string' ? css(v[0], tag, attrs) : v[0], ...v.slice(1)] : v;
      }
      return rewrite ? out : value;
    }
    if (typeof value !== 'string') return value;
    if ((tag === 'iframe' || tag === 'frame') && (n === 'src' || n === 'srcdoc')) return DROP;
    if (tag === 'base' && n === 'href') return DROP;
    if (tag === 'meta' && n === 'content' && String(attrs?.['http-equiv'] ?? '').toLowerCase() === 'refresh') return DROP;
    const slot = { tag, attr: n, attrs };
    if (tag === 'object' && n === 'data') return url(value, slot);
    if (URL_ATTRS.has(n)) return url(value, slot);
    if (SRCSET_ATTRS.has(n)) return srcset(value, slot);
    if ((n === 'href' || n === 'xlink:href') && HREF_TAGS.has(tag)) return url(value, slot);
    if (CSS_ATTRS.has(n)) return css(value, tag, attrs);
    return value;
  };

  const attributes = (tag: string, attrs: Record<string, unknown>, context: Record<string, unknown> | undefined): void => {
    for (const name of Object.keys(attrs)) {
      const next = attribute(tag, name, attrs[name], context);
      if (!rewrite) continue;
      if (next === DROP) delete attrs[name];
      else attrs[name] = next;
    }
  };

  const node = (n: SerializedNode, parentTag?: string): void => {
    if (n.type === NodeType.Text) {
      if ((n.isStyle || parentTag === 'style') && typeof n.textContent === 'string') {
        const text = css(n.textContent, 'style');
        if (rewrite) n.textContent = text;
        if (n.id !== undefined) styleTexts.add(n.id);
      }
      return;
    }
    const tag = (n.tagName ?? '').toLowerCase();
    if (n.type === NodeType.Element && n.id !== undefined) setTag(n.id, tag);
    if (n.type === NodeType.Element && n.attributes) attributes(tag, n.attributes, n.attributes);
    for (const child of n.childNodes ?? []) node(child, tag);
  };

  /** CSS at `holder[key]`, walked and (when rewriting) replaced. */
  const cssAt = (holder: Record<string, unknown>, key: string): void => {
    const text = holder[key];
    if (typeof text !== 'string') return;
    const next = css(text, '');
    if (rewrite) holder[key] = next;
  };

  const rules = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const r of list as Array<Record<string, unknown> | null>) if (r && typeof r === 'object') cssAt(r, 'rule');
  };

  const incremental = (d: Record<string, unknown>): void => {
    switch (d.source) {
      case Source.Mutation: {
        for (const add of (d.adds as Array<{ node?: SerializedNode }> | undefined) ?? []) if (add?.node) node(add.node);
        for (const text of (d.texts as Array<{ id?: number; value?: unknown }> | undefined) ?? []) {
          if (text && typeof text.value === 'string' && text.id !== undefined && styleTexts.has(text.id)) cssAt(text as Record<string, unknown>, 'value');
        }
        for (const change of (d.attributes as Array<{ id?: number; attributes?: Record<string, unknown> }> | undefined) ?? []) {
          const attrs = change?.attributes;
          if (!attrs) continue;
          // An element never seen (a recording cut short) is taken for the one that would load the most.
          const tag = (change.id !== undefined ? tagOf(change.id) : undefined) ?? 'link';
          attributes(tag, attrs, attrs);
        }
        break;
      }
      case Source.StyleSheetRule:
        rules(d.adds);
        cssAt(d, 'replace');
        cssAt(d, 'replaceSync');
        break;
      case Source.StyleDeclaration: {
        const set = d.set as Record<string, unknown> | undefined;
        if (set && typeof set === 'object') cssAt(set, 'value');
        break;
      }
      case Source.AdoptedStyleSheet:
        for (const s of (d.styles as Array<{ rules?: unknown }> | undefined) ?? []) rules(s?.rules);
        break;
      case Source.Font:
        if (!d.buffer) cssAt(d, 'fontSource');
        break;
      default:
        break;
    }
  };

  return {
    walk(event) {
      const d = event.data as Record<string, unknown> | undefined;
      if (!d || typeof d !== 'object') return event;
      if (event.type === EventType.Meta && typeof d.href === 'string') base = d.href;
      else if (event.type === EventType.FullSnapshot && d.node) {
        styleTexts.clear();
        tagById.length = 0;
        tagByOtherId.clear();
        node(d.node as SerializedNode);
      } else if (event.type === EventType.IncrementalSnapshot) incremental(d);
      return event;
    },
  };
}

/** The http(s) URLs CSS refers to (`url(…)`, `@import`), resolved against `base` (the stylesheet's own URL). */
export function cssAssetUrls(css: string, base: string): string[] {
  const found: string[] = [];
  rewriteCssUrls(css, (u) => mapAssetUrl(u, base, (abs) => {
    found.push(abs);
    return abs;
  }));
  return found;
}
