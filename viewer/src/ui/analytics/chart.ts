/** The sessions-per-day chart (uPlot): one bar per day, a click on a day opens its sessions. */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { startOfDay } from '../../analytics/query.ts';

/** Props of the chart. */
export interface DayChartProps {
  days: ReadonlyArray<{ day: string; sessions: number }>;
  /** A click on a day's bar. */
  onPick?(day: string): void;
  height?: number;
}

/** The chart's colours from the viewer's theme (a canvas cannot read CSS variables itself). */
function themeColor(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Dec 6` for `2026-12-06` (a UTC day, as the relay counts them). */
function dayLabel(day: string): string {
  const d = new Date(startOfDay(day));
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
}

/** Sessions per day as bars. */
export function DayChart({ days, onPick, height = 220 }: DayChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // The x axis is the days' positions (a bar each), labelled with their dates.
    const xs = days.map((_, i) => i);
    const ys = days.map((d) => d.sessions);
    const accent = themeColor(el, '--accent', '#4f46e5');
    const muted = themeColor(el, '--muted', '#64748b');
    const line = themeColor(el, '--line', '#e3e7ef');
    const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: () => [-0.5, days.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      axes: [
        { ...axis, space: 50, incrs: [1, 2, 7, 14, 30], values: (_u, splits) => splits.map((i) => (days[i] ? dayLabel(days[i]!.day) : '')) },
        { ...axis, size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
      ],
      series: [{}, { label: 'Sessions', stroke: accent, fill: `${accent}cc`, width: 0, paths: uPlot.paths.bars!({ size: [0.7, 48] }), points: { show: false } }],
    };
    const plot = new uPlot(opts, [xs, ys], el);
    const onClick = () => {
      const i = plot.cursor.idx;
      if (i !== null && i !== undefined && days[i]) pick.current?.(days[i]!.day);
    };
    plot.over.addEventListener('click', onClick);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.over.removeEventListener('click', onClick);
      plot.destroy();
    };
  }, [days, height]);
  return html`<div class="sv-chart" ref=${box} role="img" aria-label=${`Sessions per day: ${days.map((d) => `${d.day} ${d.sessions}`).join(', ')}`}></div>`;
}
