/**
 * Viewer privacy: a replay must not tell the recorded site who watched it. Before rrweb sees a
 * window's events, every URL it would load by itself (images, `srcset`, media, stylesheets,
 * fonts, `url()` and `@import` in recorded CSS, link preconnects) is rewritten to go through the
 * relay's asset proxy, or to an empty `data:` URL when the relay blocks assets (and in an HTML
 * export). The dashboard's and the export's CSP back this up: a URL missed here is refused by
 * the browser, never fetched from the recorded site.
 */
import { type AssetPolicy, BLOCKED_ASSET_URL, EventType, type RecordedEvent, mapAssetUrl, rewriteCssUrls } from '@sentiero/protocol';

/** Turns a URL of the recording (absolute, resolved against the page) into the one the replay may load. */
export type AssetUrlMap = (url: string) => string;

/** The map a policy asks for: through `<relayUrl>/api/assets` in `proxy` mode, nowhere in `block` mode. */
export function assetUrlMap(policy: AssetPolicy, relayUrl: string): AssetUrlMap {
  if (policy.mode !== 'proxy' || !policy.key) return () => BLOCKED_ASSET_URL;
  const prefix = `${relayUrl.replace(/\/+$/, '')}/api/assets?k=${encodeURIComponent(policy.key)}&url=`;
  return (url) => `${prefix}${encodeURIComponent(url)}`;
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

/** Rewrites one window's events in order (it follows the page's URL and which text nodes are CSS). */
export interface AssetRewriter {
  /** Rewrites the URLs of `event` in place and returns it. */
  rewrite(event: RecordedEvent): RecordedEvent;
}

/** A rewriter for one window's event stream. */
export function createAssetRewriter(map: AssetUrlMap): AssetRewriter {
  let base = 'about:blank';
  const styleTexts = new Set<number>();
  /** Element tags by node id, for attribute mutations (which name the node only). */
  const tags = new Map<number, string>();

  const url = (raw: string): string => mapAssetUrl(raw, base, map);
  const css = (text: string) => rewriteCssUrls(text, url);
  const srcset = (text: string) =>
    text.split(/,(?=\s*\S)/).map((candidate) => {
      const m = /^(\s*)(\S+)(.*)$/s.exec(candidate);
      return m ? `${m[1]}${url(m[2]!)}${m[3]}` : candidate;
    }).join(',');

  /** The value an attribute of `tag` should have (`null` removes it). */
  const attribute = (tag: string, name: string, value: unknown, attrs: Record<string, unknown> | undefined): unknown => {
    const n = name.toLowerCase();
    if (typeof value === 'object' && value !== null && n === 'style') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = typeof v === 'string' ? css(v) : Array.isArray(v) ? [typeof v[0] === 'string' ? css(v[0]) : v[0], ...v.slice(1)] : v;
      }
      return out;
    }
    if (typeof value !== 'string') return value;
    if ((tag === 'iframe' || tag === 'frame') && (n === 'src' || n === 'srcdoc')) return null;
    if (tag === 'base' && n === 'href') return null;
    if (tag === 'meta' && n === 'content' && String(attrs?.['http-equiv'] ?? '').toLowerCase() === 'refresh') return null;
    if (tag === 'object' && n === 'data') return url(value);
    if (URL_ATTRS.has(n)) return url(value);
    if (SRCSET_ATTRS.has(n)) return srcset(value);
    if ((n === 'href' || n === 'xlink:href') && HREF_TAGS.has(tag)) return url(value);
    if (CSS_ATTRS.has(n)) return css(value);
    return value;
  };

  const node = (n: SerializedNode, parentTag?: string): void => {
    if (n.type === NodeType.Text) {
      if ((n.isStyle || parentTag === 'style') && typeof n.textContent === 'string') {
        n.textContent = css(n.textContent);
        if (n.id !== undefined) styleTexts.add(n.id);
      }
      return;
    }
    const tag = (n.tagName ?? '').toLowerCase();
    if (n.type === NodeType.Element && n.id !== undefined) tags.set(n.id, tag);
    if (n.type === NodeType.Element && n.attributes) {
      for (const name of Object.keys(n.attributes)) {
        const next = attribute(tag, name, n.attributes[name], n.attributes);
        if (next === null) delete n.attributes[name];
        else n.attributes[name] = next;
      }
    }
    for (const child of n.childNodes ?? []) node(child, tag);
  };

  const rules = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const r of list as Array<{ rule?: unknown }>) if (typeof r?.rule === 'string') r.rule = css(r.rule);
  };

  const incremental = (d: Record<string, unknown>): void => {
    switch (d.source) {
      case Source.Mutation: {
        for (const add of (d.adds as Array<{ node?: SerializedNode }> | undefined) ?? []) if (add?.node) node(add.node);
        for (const text of (d.texts as Array<{ id?: number; value?: unknown }> | undefined) ?? []) {
          if (text && typeof text.value === 'string' && text.id !== undefined && styleTexts.has(text.id)) text.value = css(text.value);
        }
        for (const change of (d.attributes as Array<{ id?: number; attributes?: Record<string, unknown> }> | undefined) ?? []) {
          const attrs = change?.attributes;
          if (!attrs) continue;
          // An element never seen (a recording cut short) is taken for the one that would load the most.
          const tag = (change.id !== undefined ? tags.get(change.id) : undefined) ?? 'link';
          for (const name of Object.keys(attrs)) attrs[name] = attribute(tag, name, attrs[name], attrs);
        }
        break;
      }
      case Source.StyleSheetRule:
        rules(d.adds);
        if (typeof d.replace === 'string') d.replace = css(d.replace);
        if (typeof d.replaceSync === 'string') d.replaceSync = css(d.replaceSync);
        break;
      case Source.StyleDeclaration: {
        const set = d.set as { value?: unknown } | undefined;
        if (set && typeof set.value === 'string') set.value = css(set.value);
        break;
      }
      case Source.AdoptedStyleSheet:
        for (const s of (d.styles as Array<{ rules?: unknown }> | undefined) ?? []) rules(s?.rules);
        break;
      case Source.Font:
        if (!d.buffer && typeof d.fontSource === 'string') d.fontSource = css(d.fontSource);
        break;
      default:
        break;
    }
  };

  return {
    rewrite(event) {
      const d = event.data as Record<string, unknown> | undefined;
      if (!d || typeof d !== 'object') return event;
      if (event.type === EventType.Meta && typeof d.href === 'string') base = d.href;
      else if (event.type === EventType.FullSnapshot && d.node) {
        styleTexts.clear();
        tags.clear();
        node(d.node as SerializedNode);
      } else if (event.type === EventType.IncrementalSnapshot) incremental(d);
      return event;
    },
  };
}
