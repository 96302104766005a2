/**
 * The analytics overlay on the live inspected page: the page's click heatmap and its rage, dead
 * and error clicks, drawn on one canvas that the panel puts over the page through
 * `devtools.inspectedWindow.eval`. The data is the relay's (heatmap and frustration answers);
 * it enters the page as a JSON literal and is drawn on the canvas only (text with `fillText`),
 * so nothing recorded becomes markup in the inspected page. The canvas never takes a click.
 */
import type { FrustrationAnswer, HeatmapAnswer } from '@sentiero/protocol';

/** The id of the overlay's canvas in the inspected page. */
export const OVERLAY_ID = '__sentiero_overlay__';

/** What the overlay draws. */
export interface OverlayData {
  /** Clicks in page coordinates. */
  points: Array<{ x: number; y: number }>;
  /** Elements people clicked in frustration on this page: selector, and how often each kind happened on it. */
  marks: Array<{ selector: string; rage: number; dead: number; error: number }>;
}

/** The overlay for one page from the relay's answers: its clicks, and the frustration targets on that page. */
export function overlayData(heatmap: Pick<HeatmapAnswer, 'points'>, frustration: Pick<FrustrationAnswer, 'rageClicks' | 'deadClicks' | 'errorClicks'>, url: string): OverlayData {
  const marks = new Map<string, OverlayData['marks'][number]>();
  const kinds = [['rageClicks', 'rage'], ['deadClicks', 'dead'], ['errorClicks', 'error']] as const;
  for (const [key, kind] of kinds) {
    for (const t of frustration[key]) {
      if (t.url !== url) continue;
      let m = marks.get(t.selector);
      if (!m) marks.set(t.selector, (m = { selector: t.selector, rage: 0, dead: 0, error: 0 }));
      m[kind] += t.count;
    }
  }
  return { points: heatmap.points.map((p) => ({ x: p.x, y: p.y })), marks: [...marks.values()] };
}

/**
 * The expression that draws `data` over the page (or, with `null`, removes the overlay). It
 * returns `{ points, marks }`: how many clicks were drawn and how many marked elements were found.
 */
export function overlayExpression(data: OverlayData | null): string {
  return `(() => {
  const ID = ${JSON.stringify(OVERLAY_ID)};
  const old = document.getElementById(ID);
  if (old) old.remove();
  const d = ${JSON.stringify(data)};
  if (!d) return { points: 0, marks: 0 };
  const de = document.documentElement;
  const w = Math.max(de.scrollWidth, de.clientWidth), h = Math.max(de.scrollHeight, de.clientHeight);
  const c = document.createElement('canvas');
  c.id = ID;
  c.width = w; c.height = h;
  c.setAttribute('aria-hidden', 'true');
  c.style.cssText = 'position:absolute;left:0;top:0;width:' + w + 'px;height:' + h + 'px;pointer-events:none;z-index:2147483647;';
  const g = c.getContext('2d');
  const R = 24;
  g.globalCompositeOperation = 'lighter';
  for (const p of d.points) {
    const grad = g.createRadialGradient(p.x, p.y, 0, p.x, p.y, R);
    grad.addColorStop(0, 'rgba(255, 40, 0, 0.45)');
    grad.addColorStop(1, 'rgba(255, 40, 0, 0)');
    g.fillStyle = grad;
    g.fillRect(p.x - R, p.y - R, 2 * R, 2 * R);
  }
  g.globalCompositeOperation = 'source-over';
  const COLORS = { rage: '#e11d48', dead: '#64748b', error: '#f59e0b' };
  let marks = 0;
  g.font = '600 12px system-ui, sans-serif';
  for (const m of d.marks) {
    let el = null;
    try { el = document.querySelector(m.selector); } catch (e) { el = null; }
    // The page itself is not an element to point at.
    if (!el || el === document.body || el === de) continue;
    const r = el.getBoundingClientRect();
    const x = r.left + window.scrollX, y = r.top + window.scrollY;
    // One frame per element, in the colour of the worst that happened on it; the label counts each kind.
    const color = m.rage ? COLORS.rage : m.error ? COLORS.error : COLORS.dead;
    g.strokeStyle = color; g.lineWidth = 3;
    g.strokeRect(x - 2, y - 2, r.width + 4, r.height + 4);
    const text = ['rage', 'error', 'dead'].filter((k) => m[k] > 0).map((k) => m[k] + ' ' + k).join(' · ') + ' clicks';
    const tw = g.measureText(text).width + 10;
    g.fillStyle = color;
    g.fillRect(x - 2, Math.max(0, y - 20), tw, 18);
    g.fillStyle = '#fff';
    g.fillText(text, x + 3, Math.max(0, y - 20) + 13);
    marks++;
  }
  de.appendChild(c);
  return { points: d.points.length, marks };
})()`;
}
