/**
 * Viewer privacy: how a replay reaches the images, fonts and stylesheets a recording refers to.
 * The relay's answer to `GET <base>/api/assets/policy`, and the one CSS URL rewriter shared by
 * the viewer (recorded styles) and the relay's asset proxy (proxied stylesheets).
 */

/** What a viewer does with a recording's remote assets: load them through the relay, or not at all. */
export type AssetMode = 'proxy' | 'block';

/** `GET <base>/api/assets/policy`: the relay's `viewerAssets` mode and, in `proxy` mode, the key its asset URLs carry. */
export interface AssetPolicy {
  mode: AssetMode;
  /** The asset proxy's key (`k=` of `<base>/api/assets?k=…&url=…`); present in `proxy` mode, and in `block` mode with `captured`. It opens nothing else. */
  key?: string;
  /**
   * In `block` mode: the relay serves the copies captured when each session was recorded (and
   * nothing else: no live fetch) under `<base>/api/assets?k=…&s=<session>&url=…`.
   */
  captured?: boolean;
}

/** The URL a blocked asset is replaced with: an empty resource, loaded from nowhere. */
export const BLOCKED_ASSET_URL = 'data:,';

const CSS_URL = /url\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|((?:[^)'"\s\\]|\\.)*))\s*\)/gi;
const CSS_IMPORT = /@import\s+(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')/gi;
/** Whether CSS can hold a match of `CSS_URL` or `CSS_IMPORT` (their common starts): most CSS text holds neither, and is then left as it is without a pass of each. */
const CSS_HAS_URL = /url\(|@import/i;

/**
 * One URL of a recording (or of a proxied stylesheet) as a replay may load it: `data:` URLs and
 * fragments (`#clip`) as they are; anything else resolved against `base` and, when it is http(s),
 * passed to `map`; every other scheme (`javascript:`, `file:`) or unparseable URL blocked.
 */
export function mapAssetUrl(raw: string, base: string | URL, map: (absolute: string) => string): string {
  const t = raw.trim();
  if (t === '' || t.startsWith('#') || /^data:/i.test(t)) return raw;
  let abs: URL;
  try {
    abs = new URL(t, base);
  } catch {
    return BLOCKED_ASSET_URL;
  }
  return abs.protocol === 'http:' || abs.protocol === 'https:' ? map(abs.href) : BLOCKED_ASSET_URL;
}

/** A CSS string's value with its escapes (`\"`, `\\`, `\41 `) undone. */
function unescapeCss(s: string): string {
  return s.replace(/\\([0-9a-fA-F]{1,6}\s?|[\s\S])/g, (_m, e: string) => {
    if (/^[0-9a-fA-F]/.test(e)) {
      const cp = parseInt(e, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
    }
    return e === '\n' ? '' : e;
  });
}

/** A CSS double-quoted string holding `s`. */
function quoteCss(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\n\r\f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;
}

/**
 * `css` with every `url(…)` and every `@import "…"` passed through `map` (which gets the URL as
 * written, unescaped, and returns the one to use). Fragment-only references (`url(#clip)`) are
 * left alone. A URL hidden from this scan (CSS escapes in the word `url` itself, `image-set("…")`
 * strings) is not rewritten: the viewer's CSP is what keeps those from loading.
 */
export function rewriteCssUrls(css: string, map: (url: string) => string): string {
  if (!CSS_HAS_URL.test(css)) return css;
  const apply = (raw: string) => {
    const url = unescapeCss(raw).trim();
    return url.startsWith('#') ? undefined : map(url);
  };
  return css
    .replace(CSS_URL, (whole, dq?: string, sq?: string, bare?: string) => {
      const mapped = apply(dq ?? sq ?? bare ?? '');
      return mapped === undefined ? whole : `url(${quoteCss(mapped)})`;
    })
    .replace(CSS_IMPORT, (whole, dq?: string, sq?: string) => {
      const mapped = apply(dq ?? sq ?? '');
      return mapped === undefined ? whole : `@import ${quoteCss(mapped)}`;
    });
}
