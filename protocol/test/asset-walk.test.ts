/** The one walker of a recording's asset URLs: what the viewer rewrites and the relay captures. */
import assert from 'node:assert/strict';
import { type AssetSlot, type RecordedEvent, createAssetWalker, cssAssetUrls } from '../src/index.ts';

const el = (id: number, tagName: string, attributes: Record<string, unknown>, childNodes: unknown[] = []) => ({ type: 2, id, tagName, attributes, childNodes });
const meta = (href: string): RecordedEvent => ({ type: 4, timestamp: 1, data: { href, width: 800, height: 600 } });
const full = (node: unknown): RecordedEvent => ({ type: 2, timestamp: 2, data: { node, initialOffset: { top: 0, left: 0 } } });
const inc = (data: Record<string, unknown>): RecordedEvent => ({ type: 3, timestamp: 3, data });

function recording(): RecordedEvent[] {
  return [
    meta('https://site.example/shop/'),
    full(el(1, 'html', {}, [
      el(2, 'head', {}, [
        el(3, 'link', { rel: 'stylesheet', href: 'main.css' }),
        el(4, 'style', { _cssText: '@import "print.css"; body { background: url(/bg.png) }' }),
        el(5, 'style', {}, [{ type: 3, id: 6, textContent: '@font-face { src: url("fonts/a.woff2") }', isStyle: true }]),
        el(7, 'iframe', { src: 'https://ads.example/frame' }),
      ]),
      el(8, 'body', { style: { background: 'url(//cdn.example/hero.jpg)' } }, [
        el(9, 'img', { src: 'logo.png', srcset: 'logo.png 1x, https://cdn.example/logo@2x.png 2x' }),
        el(10, 'video', { poster: 'data:image/png;base64,AAAA' }),
        el(11, 'img', { src: 'javascript:alert(1)' }),
      ]),
    ])),
    inc({ source: 0, adds: [{ parentId: 8, node: el(12, 'img', { src: '/added.png' }) }], texts: [{ id: 6, value: 'x { background: url(changed.png) }' }], attributes: [{ id: 3, attributes: { href: 'other.css' } }], removes: [] }),
    inc({ source: 8, id: 1, adds: [{ rule: '.r { background: url(rule.png) }', index: 0 }], replaceSync: '.s { background: url(sync.png) }' }),
    inc({ source: 13, id: 1, index: [0], set: { property: 'background', value: 'url(decl.png)' } }),
    inc({ source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: '.a { background: url(adopted.png) }', index: 0 }] }] }),
    inc({ source: 10, family: 'F', fontSource: 'url("https://fonts.example/f.woff2")', buffer: false }),
  ];
}

describe('protocol: the asset walker', () => {
  it('visits every URL a replay would load, absolute, with where it sits, and leaves the events alone without rewrite', () => {
    const events = recording();
    const before = JSON.stringify(events);
    const seen: Array<[string, AssetSlot]> = [];
    const walker = createAssetWalker((url, slot) => {
      seen.push([url, slot]);
      return 'https://changed.example/';
    });
    for (const e of events) walker.walk(e);
    assert.equal(JSON.stringify(events), before, 'collecting changes nothing');
    const urls = seen.map(([u]) => u);
    assert.deepEqual(urls, [
      'https://site.example/shop/main.css',
      'https://site.example/bg.png',
      'https://site.example/shop/print.css',
      'https://site.example/shop/fonts/a.woff2',
      'https://cdn.example/hero.jpg',
      'https://site.example/shop/logo.png',
      'https://site.example/shop/logo.png',
      'https://cdn.example/logo@2x.png',
      'https://site.example/added.png',
      'https://site.example/shop/changed.png',
      'https://site.example/shop/other.css',
      'https://site.example/shop/rule.png',
      'https://site.example/shop/sync.png',
      'https://site.example/shop/decl.png',
      'https://site.example/shop/adopted.png',
      'https://fonts.example/f.woff2',
    ]);
    assert.deepEqual(seen[0]![1], { tag: 'link', attr: 'href', attrs: { rel: 'stylesheet', href: 'main.css' } });
    assert.equal(seen[2]![1].attr, 'css');
    assert.equal(seen[5]![1].attr, 'src');
    assert.equal(seen[10]![1].tag, 'link', 'an attribute change knows its element');
    assert.ok(!urls.some((u) => u.includes('ads.example') || u.startsWith('javascript') || u.startsWith('data')), 'frames, scripts and data URLs are not assets');
  });

  it('rewrites in place and drops frames with rewrite', () => {
    const events = recording();
    const walker = createAssetWalker((url) => `https://relay.example/a?url=${encodeURIComponent(url)}`, { rewrite: true });
    for (const e of events) walker.walk(e);
    const text = JSON.stringify(events);
    assert.ok(!text.includes('ads.example'), 'the frame src is gone');
    assert.ok(text.includes(`https://relay.example/a?url=${encodeURIComponent('https://site.example/shop/main.css')}`));
    assert.ok(text.includes(`url(\\"https://relay.example/a?url=${encodeURIComponent('https://cdn.example/hero.jpg')}\\")`));
  });

  it('finds the URLs of a stylesheet, resolved against its own URL', () => {
    assert.deepEqual(
      cssAssetUrls('@import url(base.css); @import "../x.css"; a { background: url(\'i.png\') } b { mask: url(#m) } c { background: url(data:,) }', 'https://cdn.example/css/site.css'),
      ['https://cdn.example/css/base.css', 'https://cdn.example/css/i.png', 'https://cdn.example/x.css'],
    );
  });
});
