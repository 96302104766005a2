/** The timeline: session span, idle stretches, loaded part, color-coded markers with hover details, and a draggable playhead. */
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatClock } from '../format.ts';
import type { InactivePeriod, Marker } from '../markers.ts';
import type { WindowInfo } from '../session.ts';

/** Props of the timeline. */
export interface TimelineProps {
  start: number;
  end: number;
  markers: Marker[];
  windowId: string | undefined;
  window: WindowInfo | undefined;
  inactive: InactivePeriod[];
  loadedUntil: number;
  loading: boolean;
  live: boolean;
  onSeek(abs: number): void;
  /** Subscribes to the playback position (ms since epoch). */
  onTime(fn: (abs: number) => void): () => void;
}

/** Markers closer than 1/BUCKETS of the timeline are drawn as one (a 30-minute session has thousands). */
const BUCKETS = 500;

interface Bucket { index: number; kind: Marker['kind']; timestamp: number; count: number }

function bucketize(markers: readonly Marker[], windowId: string | undefined, start: number, span: number): Bucket[] {
  const seen = new Map<string, Bucket>();
  markers.forEach((m, index) => {
    if (m.windowId !== windowId && m.origin !== 'server') return;
    const key = `${m.kind}:${Math.floor(((m.timestamp - start) / span) * BUCKETS)}`;
    const b = seen.get(key);
    if (b) b.count++;
    else seen.set(key, { index, kind: m.kind, timestamp: m.timestamp, count: 1 });
  });
  // Errors last, so that they are drawn on top.
  return [...seen.values()].sort((a, b) => Number(a.kind === 'error') - Number(b.kind === 'error'));
}

const pct = (v: number, start: number, span: number) => `${Math.max(0, Math.min(100, ((v - start) / span) * 100))}%`;

/** The timeline. */
export function Timeline(p: TimelineProps) {
  const track = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLDivElement>(null);
  const played = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ x: number; abs: number; marker?: Marker; more?: number } | undefined>();
  const span = Math.max(1, p.end - p.start);
  const spanRef = useRef({ start: p.start, span });
  spanRef.current = { start: p.start, span };

  useEffect(() => p.onTime((abs) => {
    const { start, span: s } = spanRef.current;
    const left = pct(abs, start, s);
    if (head.current) head.current.style.left = left;
    if (played.current) played.current.style.width = left;
    if (track.current) {
      track.current.setAttribute('aria-valuenow', String(Math.round(abs - start)));
      track.current.setAttribute('aria-valuetext', formatClock(abs - start));
    }
  }), [p.onTime]);

  const absAt = (clientX: number): number => {
    const r = track.current!.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (clientX - r.left) / r.width));
    return p.start + f * span;
  };
  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const el = track.current!;
    el.setPointerCapture(e.pointerId);
    p.onSeek(absAt(e.clientX));
    const move = (ev: PointerEvent) => p.onSeek(absAt(ev.clientX));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
  };
  const onMove = (e: MouseEvent) => {
    const r = track.current!.getBoundingClientRect();
    const target = (e.target as HTMLElement).closest<HTMLElement>('[data-marker]');
    const marker = target ? p.markers[Number(target.dataset.marker)] : undefined;
    const more = target ? Number(target.dataset.count) - 1 : 0;
    const abs = marker ? marker.timestamp : absAt(e.clientX);
    setHover({ x: Math.max(0, Math.min(r.width, ((abs - p.start) / span) * r.width)), abs, ...(marker ? { marker, more } : {}) });
  };

  const w = p.window;
  const buckets = useMemo(() => bucketize(p.markers, p.windowId, p.start, span), [p.markers, p.windowId, p.start, span]);
  return html`
    <div class="sv-timeline">
      <div class="sv-track" ref=${track} role="slider" tabindex="0" aria-label="Timeline" aria-valuemin="0" aria-valuemax=${String(Math.round(span))}
        onPointerDown=${onPointerDown} onMouseMove=${onMove} onMouseLeave=${() => setHover(undefined)}>
        <div class="sv-rail">
          ${w && w.start > p.start ? html`<div class="sv-absent" style=${{ left: '0%', width: pct(w.start, p.start, span) }} title="This tab was not open yet"></div>` : ''}
          ${p.inactive.map((i) => html`<div class="sv-idle" style=${{ left: pct(i.from, p.start, span), width: `calc(${pct(i.to, p.start, span)} - ${pct(i.from, p.start, span)})` }}></div>`)}
          ${p.loading ? html`<div class="sv-loaded" style=${{ width: pct(p.loadedUntil, p.start, span) }}></div>` : ''}
          <div class="sv-played" ref=${played}></div>
        </div>
        <div class="sv-markers">
          ${buckets.map((b) => html`<span key=${`${b.kind}${b.index}`} class=${`sv-marker k-${b.kind}`} data-marker=${b.index} data-count=${b.count} data-kind=${b.kind} style=${{ left: pct(b.timestamp, p.start, span) }}></span>`)}
        </div>
        <div class=${`sv-head ${p.live ? 'is-live' : ''}`} ref=${head}></div>
        ${hover ? html`
          <div class="sv-tip" style=${{ left: `${hover.x}px` }} role="tooltip">
            ${hover.marker ? html`<span class=${`sv-dot k-${hover.marker.kind}`}></span><span class="sv-tip-label">${hover.marker.label}</span>${hover.more ? html`<span class="sv-tip-time">+${hover.more} more</span>` : ''}` : ''}
            <span class="sv-tip-time">${formatClock(hover.abs - p.start)}</span>
          </div>` : ''}
      </div>
    </div>`;
}
