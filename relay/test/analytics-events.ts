/** Hand-made rrweb and Sentiero events for the analytics tests, `at` in ms after `T`. */
import { CustomTag, type RecordedEvent } from '@sentiero/protocol';

export const T = 1_700_000_000_000;
export const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** Event makers. */
export const ev = {
  meta: (at: number, href: string): RecordedEvent => ({ type: 4, timestamp: T + at, data: { href, width: 1280, height: 800 } }),
  mutation: (at: number): RecordedEvent => ({ type: 3, timestamp: T + at, data: { source: 0, adds: [], removes: [], texts: [], attributes: [] } }),
  move: (at: number): RecordedEvent => ({ type: 3, timestamp: T + at, data: { source: 1, positions: [] } }),
  input: (at: number, text: string): RecordedEvent => ({ type: 3, timestamp: T + at, data: { source: 5, id: 42, text, isChecked: false } }),
  custom: (at: number, tag: string, payload: object): RecordedEvent => ({ type: 5, timestamp: T + at, data: { tag, payload } }),
  page: (at: number, href: string) => ev.custom(at, CustomTag.PAGE, { href, title: 't' }),
  click: (at: number, selector = '#buy', x = 100, y = 200, href = 'https://shop.test/cart') =>
    ev.custom(at, CustomTag.CLICK, { selector, label: 'Buy now', href, pageX: x, pageY: y, relX: 0.5, relY: 0.25, vw: 1280, vh: 800, dh: 3000 }),
  error: (at: number) => ev.custom(at, CustomTag.ERROR, { name: 'TypeError', message: 'x is undefined', stack: '' }),
  network: (at: number) => ev.custom(at, CustomTag.NETWORK, { type: 'fetch', method: 'POST', url: '/api', status: 200, startedAt: T + at, durationMs: 20 }),
  field: (at: number, kind: string, field: string, form = 'signup', href = 'https://shop.test/signup') => ev.custom(at, CustomTag.FIELD, { form, field, kind, href }),
};

