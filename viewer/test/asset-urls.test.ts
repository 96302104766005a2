/** Viewer privacy: every URL of a recording that rrweb would load by itself is sent through the relay's proxy, or blocked. */
import assert from 'node:assert/strict';
import { BLOCKED_ASSET_URL, type RecordedEvent } from '@sentiero/protocol';
import { assetUrlMap, createAssetRewriter } from '../src/asset-urls.ts';

const RELAY = 'https://relay.example/sentiero';
const proxy = assetUrlMap({ mode: 'proxy', key: 'K' }, RELAY);
const via = (u: string) => `${RELAY}/api/assets?k=K&url=${encodeURIComponent(u)}`;

const el = (id: number, tagName: string, attributes: Record<string, unknown>, childNodes: unknown[] = []) => ({ type: 2, id, tagName, attributes, childNodes });
const meta = (href: string): RecordedEvent => ({ type: 4, timestamp: 1, data: { href, width: 800, height: 600 } });
const full = (node: unknown): RecordedEvent => ({ type: 2, timestamp: 2, data: { node, initialOffset: { top: 0, left: 0 } } });
const inc = (data: Record<string, unknown>): RecordedEvent => ({ type: 3, timestamp: 3, data });

function snapshot() {
  return el(1, 'html', {}, [
    el(2, 'head', {}, [
      el(3, 'link', { rel: 'stylesheet', href: 'https://site.example/a.css' }),
      el(4, 'link', { rel: 'preconnect', href: 'https://tracker.example' }),
      el(5, 'style', { _cssText: 'body { background: url(/bg.png) } @import "x.css";' }),
      el(6, 'style', {}, [{ type: 3, id: 7, textContent: '.a { background: url("b.png") }', isStyle: true }]),
      el(8, 'meta', { 'http-equiv': 'refresh', content: '0; url=https://site.example/next' }),
      el(9, 'base', { href: 'https://site.example/' }),
    ]),
    el(10, 'body', { style: 'background-image: url(https://cdn.example/hero.jpg)' }, [
      el(11, 'img', { src: 'logo.png', srcset: 'logo.png 1x, https://cdn.example/logo@2x.png 2x', alt: 'Logo' }),
      el(12, 'a', { href: 'https://site.example/pricing' }, [{ type: 3, id: 13, textContent: 'url(https://site.example/not-css.png)' }]),
      el(14, 'iframe', { src: 'https://ads.example/frame' }),
      el(15, 'img', { src: 'javascript:alert(1)' }),
      el(16, 'img', { src: 'data:image/png;base64,AAAA' }),
      el(17, 'use', { 'xlink:href': 'https://site.example/sprite.svg#icon' }),
      el(18, 'video', { poster: '//cdn.example/poster.jpg' }),
    ]),
  ]);
}

describe('viewer privacy: asset URLs in recorded events', () => {
  it('sends every URL of a full snapshot through the proxy, resolved against the page, and strips what would navigate or load a frame', () => {
    const r = createAssetRewriter(proxy);
    r.rewrite(meta('https://site.example/shop/'));
    const e = r.rewrite(full(snapshot()));
    const html = (e.data as { node: ReturnType<typeof snapshot> }).node;
    const [head, body] = html.childNodes as Array<ReturnType<typeof el>>;
    const h = head!.childNodes as Array<ReturnType<typeof el>>;
    const b = body!.childNodes as Array<ReturnType<typeof el>>;
    assert.equal(h[0]!.attributes.href, via('https://site.example/a.css'));
    assert.equal(h[1]!.attributes.href, via('https://tracker.example/'), 'a preconnect goes to the relay, not the tracker');
    assert.equal(h[2]!.attributes._cssText, `body { background: url("${via('https://site.example/bg.png')}") } @import "${via('https://site.example/shop/x.css')}";`);
    assert.equal((h[3]!.childNodes[0] as { textContent: string }).textContent, `.a { background: url("${via('https://site.example/shop/b.png')}") }`);
    assert.equal('content' in h[4]!.attributes, false, 'a meta refresh is dropped');
    assert.equal('href' in h[5]!.attributes, false, 'a base URL is dropped');
    assert.equal(body!.attributes.style, `background-image: url("${via('https://cdn.example/hero.jpg')}")`);
    assert.equal(b[0]!.attributes.src, via('https://site.example/shop/logo.png'));
    assert.equal(b[0]!.attributes.srcset, `${via('https://site.example/shop/logo.png')} 1x, ${via('https://cdn.example/logo@2x.png')} 2x`);
    assert.equal(b[0]!.attributes.alt, 'Logo');
    assert.equal(b[1]!.attributes.href, 'https://site.example/pricing', 'links are not loaded, so they are kept');
    assert.equal((b[1]!.childNodes[0] as { textContent: string }).textContent, 'url(https://site.example/not-css.png)', 'text that is not CSS is kept');
    assert.equal('src' in b[2]!.attributes, false, 'a frame loads nothing');
    assert.equal(b[3]!.attributes.src, BLOCKED_ASSET_URL, 'javascript: is blocked');
    assert.equal(b[4]!.attributes.src, 'data:image/png;base64,AAAA', 'data: stays');
    assert.equal(b[5]!.attributes['xlink:href'], via('https://site.example/sprite.svg#icon'));
    assert.equal(b[6]!.attributes.poster, via('https://cdn.example/poster.jpg'));
  });

  it('follows incremental snapshots: added nodes, attribute changes by element, CSS text, rules, declarations, fonts', () => {
    const r = createAssetRewriter(proxy);
    r.rewrite(meta('https://site.example/'));
    r.rewrite(full(snapshot()));
    const m = r.rewrite(inc({
      source: 0,
      adds: [{ parentId: 10, nextId: null, node: el(30, 'img', { src: '/new.png' }) }],
      attributes: [{ id: 11, attributes: { src: '/changed.png' } }, { id: 12, attributes: { href: '/other' } }, { id: 10, attributes: { style: { background: 'url(/s.png)', color: 'red' } } }],
      texts: [{ id: 7, value: '.b { background: url(/t.png) }' }, { id: 13, value: 'url(/plain)' }],
      removes: [],
    })).data as { adds: Array<{ node: ReturnType<typeof el> }>; attributes: Array<{ attributes: Record<string, unknown> }>; texts: Array<{ value: string }> };
    assert.equal(m.adds[0]!.node.attributes.src, via('https://site.example/new.png'));
    assert.equal(m.attributes[0]!.attributes.src, via('https://site.example/changed.png'));
    assert.equal(m.attributes[1]!.attributes.href, '/other', 'an <a>\'s href is kept');
    assert.deepEqual(m.attributes[2]!.attributes.style, { background: `url("${via('https://site.example/s.png')}")`, color: 'red' });
    assert.equal(m.texts[0]!.value, `.b { background: url("${via('https://site.example/t.png')}") }`);
    assert.equal(m.texts[1]!.value, 'url(/plain)');

    const rule = r.rewrite(inc({ source: 8, id: 5, adds: [{ rule: '.c { background: url(/r.png) }', index: 0 }] })).data as { adds: Array<{ rule: string }> };
    assert.equal(rule.adds[0]!.rule, `.c { background: url("${via('https://site.example/r.png')}") }`);
    const decl = r.rewrite(inc({ source: 13, id: 5, index: [0], set: { property: 'background', value: 'url(/d.png)' } })).data as { set: { value: string } };
    assert.equal(decl.set.value, `url("${via('https://site.example/d.png')}")`);
    const font = r.rewrite(inc({ source: 10, family: 'F', fontSource: 'url(https://fonts.example/f.woff2)', buffer: false })).data as { fontSource: string };
    assert.equal(font.fontSource, `url("${via('https://fonts.example/f.woff2')}")`);
    const adopted = r.rewrite(inc({ source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: '.e { background: url(/e.png) }' }] }] })).data as { styles: Array<{ rules: Array<{ rule: string }> }> };
    assert.equal(adopted.styles[0]!.rules[0]!.rule, `.e { background: url("${via('https://site.example/e.png')}") }`);
  });

  it('names the session in proxy mode, and in block mode loads only the session\'s captured copies', () => {
    const url = 'https://site.example/a.css';
    assert.equal(assetUrlMap({ mode: 'proxy', key: 'K' }, RELAY, 's-1')(url), `${RELAY}/api/assets?k=K&s=s-1&url=${encodeURIComponent(url)}`);
    const captured = { mode: 'block', key: 'K', captured: true } as const;
    assert.equal(assetUrlMap(captured, RELAY, 's-1')(url), `${RELAY}/api/assets?k=K&s=s-1&url=${encodeURIComponent(url)}`);
    assert.equal(assetUrlMap(captured, RELAY)(url), BLOCKED_ASSET_URL, 'no session, no copy');
    assert.equal(assetUrlMap({ mode: 'block', captured: true }, RELAY, 's-1')(url), BLOCKED_ASSET_URL, 'no key');
  });

  it('blocks every remote URL in block mode, and without a key', () => {
    for (const map of [assetUrlMap({ mode: 'block' }, RELAY), assetUrlMap({ mode: 'proxy' }, RELAY)]) {
      const r = createAssetRewriter(map);
      r.rewrite(meta('https://site.example/'));
      const node = (r.rewrite(full(el(1, 'img', { src: '/a.png', style: 'background:url(/b.png)' }))).data as { node: ReturnType<typeof el> }).node;
      assert.equal(node.attributes.src, BLOCKED_ASSET_URL);
      assert.equal(node.attributes.style, `background:url("${BLOCKED_ASSET_URL}")`);
    }
  });
});
