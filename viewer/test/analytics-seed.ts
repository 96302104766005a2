/**
 * Known sessions for the analytics views' tests: three visits to a shop's pricing page (a tall
 * page with a "Buy now" button), two of which go on to the signup form, with clicks at known
 * page coordinates, a rage burst, a custom event, form fields, Web Vitals and scroll depth.
 * They go through the relay's real HTTP ingest, so the relay derives their digests itself.
 */
import type { Ev } from './synthetic.ts';

/** The pages, as analytics names them (origin + path). */
export const PRICING = 'http://shop.test/pricing';
export const SIGNUP = 'http://shop.test/signup';
/** The pricing page's size in CSS pixels. */
export const PAGE_W = 1024;
export const PAGE_H = 2400;
/** Where the "Buy now" button's clicks land, and where the lone deep click lands. */
export const BUY = { x: 210, y: 300 };
export const DEEP = { x: 800, y: 1900 };

/** A custom event name that is markup: the views must show it as text. */
export const HOSTILE = '<img src=x onerror="window.__pwned=1">';

export const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** One seeded session. */
export interface Seed { sessionId: string; userAgent: string; events: Ev[] }

const el = (id: number, tagName: string, attributes: Record<string, string>, childNodes: unknown[] = []) => ({ type: 2, tagName, attributes, id, childNodes });
const txt = (id: number, textContent: string) => ({ type: 3, textContent, id });

/** The pricing page: a hero with the button at `BUY`, plans below, a footer near the bottom. */
function pricingSnapshot(at: number): Ev {
  return {
    type: 2, timestamp: at, data: {
      initialOffset: { left: 0, top: 0 },
      node: {
        type: 0, id: 1, childNodes: [el(2, 'html', {}, [
          el(3, 'head', {}, []),
          el(4, 'body', { style: `margin:0;font-family:sans-serif;height:${PAGE_H}px;position:relative;background:#f8fafc` }, [
            el(5, 'header', { style: 'height:80px;background:#0f172a;color:#fff;padding:24px 40px;box-sizing:border-box;font-size:22px' }, [txt(6, 'Shop · Pricing')]),
            el(7, 'h1', { id: 'title', style: 'margin:0;position:absolute;left:40px;top:140px;font-size:40px;color:#0f172a' }, [txt(8, 'Simple pricing')]),
            el(9, 'button', { id: 'buy', style: `position:absolute;left:${BUY.x - 60}px;top:${BUY.y - 20}px;width:120px;height:40px;background:#4f46e5;color:#fff;border:0;border-radius:8px;font-size:16px` }, [txt(10, 'Buy now')]),
            el(11, 'div', { style: 'position:absolute;left:40px;right:40px;top:420px;height:900px;background:#e2e8f0;border-radius:16px' }, [txt(12, 'Plans')]),
            el(13, 'footer', { id: 'foot', style: `position:absolute;left:0;right:0;top:${PAGE_H - 600}px;height:600px;background:#1e293b;color:#cbd5e1;padding:40px;box-sizing:border-box` }, [
              el(14, 'a', { id: 'contact', href: '#contact', style: `position:absolute;left:${DEEP.x - 55}px;top:${DEEP.y - (PAGE_H - 600) - 10}px;width:110px;color:#fff` }, [txt(15, 'Contact sales')]),
            ]),
          ]),
        ])],
      },
    },
  };
}

const custom = (at: number, tag: string, payload: object): Ev => ({ type: 5, timestamp: at, data: { tag, payload } });
const click = (at: number, p: { x: number; y: number }, selector = 'button#buy', label = 'Buy now', href = PRICING) =>
  custom(at, 'sentiero/click@1', { selector, label, href, pageX: p.x, pageY: p.y, relX: 0.5, relY: 0.5, vw: PAGE_W, vh: 700, dh: PAGE_H });
const move = (at: number): Ev => ({ type: 3, timestamp: at, data: { source: 1, positions: [{ x: 10, y: 10, id: 4, timeOffset: 0 }] } });
const mutation = (at: number): Ev => ({ type: 3, timestamp: at, data: { source: 0, texts: [{ id: 8, value: 'Simple pricing!' }], attributes: [], removes: [], adds: [] } });
const field = (at: number, kind: string, name: string) => custom(at, 'sentiero/field@1', { form: 'signup', field: name, kind, href: SIGNUP });

/** The three sessions, starting `t0` (ms since epoch) and a minute apart; their ids are `<prefix>0001`…`0003`. */
export function seedSessions(t0: number, prefix = 'seedsession'): Seed[] {
  const start = (t: number, lcp: number): Ev[] => [
    { type: 4, timestamp: t, data: { href: `${PRICING}?ref=mail`, width: PAGE_W, height: 700 } },
    pricingSnapshot(t + 1),
    custom(t + 2, 'sentiero/page@1', { href: `${PRICING}?ref=mail`, title: 'Pricing' }),
    custom(t + 500, 'sentiero/vital@1', { name: 'LCP', value: lcp, rating: 'good', href: PRICING }),
  ];
  const a = t0;
  const s1: Ev[] = [
    ...start(a, 1200),
    // A rage burst on the button: three clicks within a second, nothing answers them.
    click(a + 2000, BUY), click(a + 2200, { x: BUY.x + 4, y: BUY.y + 2 }), click(a + 2400, { x: BUY.x - 3, y: BUY.y - 1 }),
    custom(a + 4000, 'sentiero/scroll@1', { href: PRICING, depth: 1 }),
    custom(a + 5000, 'sentiero/event@1', { name: 'plan-picked', props: { plan: 'pro' }, source: 'click' }),
    custom(a + 6000, 'sentiero/page@1', { href: SIGNUP, title: 'Sign up' }),
    field(a + 7000, 'focus', 'email'), field(a + 9000, 'change', 'email'), field(a + 9100, 'blur', 'email'),
    field(a + 9200, 'focus', 'password'), field(a + 11_000, 'change', 'password'), field(a + 11_100, 'blur', 'password'),
    field(a + 11_200, 'submit', ''),
    custom(a + 11_300, 'sentiero/event@1', { name: 'signup', props: {} }),
    move(a + 20_000),
  ];
  const b = t0 + 60_000;
  const s2: Ev[] = [
    ...start(b, 3000),
    click(b + 2000, BUY), mutation(b + 2100),
    custom(b + 3000, 'sentiero/scroll@1', { href: PRICING, depth: 0.5 }),
    custom(b + 6000, 'sentiero/page@1', { href: SIGNUP, title: 'Sign up' }),
    field(b + 7000, 'focus', 'email'), field(b + 8000, 'change', 'email'), field(b + 8100, 'blur', 'email'),
    move(b + 30_000),
  ];
  const c = t0 + 120_000;
  const s3: Ev[] = [
    ...start(c, 5000),
    click(c + 3000, DEEP, 'a#contact', 'Contact sales'), mutation(c + 3050),
    custom(c + 3200, 'sentiero/event@1', { name: HOSTILE, props: {} }),
    custom(c + 3500, 'sentiero/scroll@1', { href: PRICING, depth: 0.9 }),
    move(c + 15_000),
  ];
  return [
    { sessionId: `${prefix}0001`, userAgent: CHROME_LINUX, events: s1 },
    { sessionId: `${prefix}0002`, userAgent: CHROME_LINUX, events: s2 },
    { sessionId: `${prefix}0003`, userAgent: IPHONE, events: s3 },
  ];
}
