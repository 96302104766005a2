/**
 * Hand-built rrweb recordings for the viewer's tests: a page whose heading says `step N` at
 * known times, with a button, mouse moves, clicks, inputs, custom events and idle stretches.
 */

/** An rrweb event as the relay stores it. */
export interface Ev { type: number; timestamp: number; data: any }

/** One change of the heading: at `at` ms from the start it reads `text`. */
export interface Step { at: number; text: string }

/** Options of `syntheticEvents`. */
export interface SyntheticOptions {
  /** ms since epoch of the first event. */
  t0: number;
  steps: Step[];
  /** Mouse moves every `moveEveryMs` over these [from, to) stretches (ms from the start). */
  active?: Array<[number, number]>;
  moveEveryMs?: number;
  /** Extra events (ms from the start): a click on the button, an input, a custom event, an error. */
  clicks?: number[];
  inputs?: number[];
  custom?: Array<{ at: number; name: string; props?: Record<string, unknown> }>;
  errors?: Array<{ at: number; name: string; message: string; stack?: string }>;
  /** The last event's time, ms from the start. */
  end: number;
  href?: string;
  title?: string;
}

/** Builds the events, sorted by time. */
export function syntheticEvents(o: SyntheticOptions): Ev[] {
  const href = o.href ?? 'http://synthetic.test/steps';
  const t = (ms: number) => o.t0 + ms;
  const events: Ev[] = [
    { type: 4, timestamp: t(0), data: { href, width: 1024, height: 640 } },
    {
      type: 2, timestamp: t(1), data: {
        initialOffset: { left: 0, top: 0 },
        node: {
          type: 0, id: 1, childNodes: [{
            type: 2, tagName: 'html', attributes: {}, id: 2, childNodes: [
              { type: 2, tagName: 'head', attributes: {}, id: 3, childNodes: [] },
              {
                type: 2, tagName: 'body', attributes: {}, id: 4, childNodes: [
                  { type: 2, tagName: 'h1', attributes: { id: 'status' }, id: 5, childNodes: [{ type: 3, textContent: 'step 0', id: 6 }] },
                  { type: 2, tagName: 'button', attributes: { id: 'go' }, id: 7, childNodes: [{ type: 3, textContent: 'Go', id: 8 }] },
                  { type: 2, tagName: 'input', attributes: { id: 'email', type: 'email' }, id: 9, childNodes: [] },
                ],
              },
            ],
          }],
        },
      },
    },
    { type: 5, timestamp: t(2), data: { tag: 'sentiero/page@1', payload: { href, title: o.title ?? 'Synthetic steps' } } },
  ];
  for (const s of o.steps) events.push({ type: 3, timestamp: t(s.at), data: { source: 0, texts: [{ id: 6, value: s.text }], attributes: [], removes: [], adds: [] } });
  const every = o.moveEveryMs ?? 200;
  for (const [from, to] of o.active ?? []) {
    for (let at = from; at < to; at += every) events.push({ type: 3, timestamp: t(at), data: { source: 1, positions: [{ x: 100 + (at % 400), y: 200, id: 4, timeOffset: 0 }] } });
  }
  for (const at of o.clicks ?? []) events.push({ type: 3, timestamp: t(at), data: { source: 2, type: 2, id: 7, x: 40, y: 80 } });
  for (const at of o.inputs ?? []) events.push({ type: 3, timestamp: t(at), data: { source: 5, id: 9, text: '****', isChecked: false } });
  for (const c of o.custom ?? []) events.push({ type: 5, timestamp: t(c.at), data: { tag: 'sentiero/event@1', payload: { name: c.name, props: c.props ?? {} } } });
  for (const e of o.errors ?? []) events.push({ type: 5, timestamp: t(e.at), data: { tag: 'sentiero/error@1', payload: { name: e.name, message: e.message, stack: e.stack ?? '' } } });
  events.push({ type: 3, timestamp: t(o.end), data: { source: 1, positions: [{ x: 10, y: 10, id: 4, timeOffset: 0 }] } });
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

/** Splits events into batches of at most `size`, as a recorder would send them. */
export function batches(events: Ev[], size = 50): Ev[][] {
  const out: Ev[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}
