/** The activity sidebar: every marker in time order, filterable by kind; a click seeks there. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatClock } from '../format.ts';
import { type Marker, MarkerKind, markerIndexAt } from '../markers.ts';
import type { StackFrame } from '../stack.ts';
import type { WindowInfo } from '../session.ts';

/** Most entries drawn at once (around the current one) until the user asks for all. */
const MAX_ROWS = 400;

const FILTERS: Array<{ key: 'all' | Marker['kind']; label: string }> = [
  { key: 'all', label: 'All' },
  { key: MarkerKind.CLICK, label: 'Clicks' },
  { key: MarkerKind.INPUT, label: 'Inputs' },
  { key: MarkerKind.NAVIGATION, label: 'Pages' },
  { key: MarkerKind.ERROR, label: 'Errors' },
  { key: MarkerKind.CUSTOM, label: 'Events' },
];

/** Props of the activity list. */
export interface ActivityProps {
  markers: Marker[];
  start: number;
  windows: WindowInfo[];
  canOpenSource: boolean;
  onSeek(marker: Marker): void;
  onOpenSource(frame: StackFrame): void;
  /** Opens an error's group (`#/errors/<groupId>`). */
  onOpenGroup?(groupId: string): void;
  onTime(fn: (abs: number) => void): () => void;
}

/** The activity list. */
export function Activity(p: ActivityProps) {
  const [filter, setFilter] = useState<'all' | Marker['kind']>('all');
  const [current, setCurrent] = useState(-1);
  const [open, setOpen] = useState<Marker | undefined>();
  const [showAll, setShowAll] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const markersRef = useRef(p.markers);
  markersRef.current = p.markers;
  const lastAbs = useRef<number | undefined>(undefined);
  useEffect(() => p.onTime((abs) => {
    lastAbs.current = abs;
    setCurrent(markerIndexAt(markersRef.current, abs));
  }), [p.onTime]);
  // Markers still streaming in after the position last moved (a paused deep link) move the current entry too.
  useEffect(() => {
    if (lastAbs.current !== undefined) setCurrent(markerIndexAt(p.markers, lastAbs.current));
  }, [p.markers]);
  // Keeps the current entry in view as playback moves and after a seek (a deep link to minute 30
  // opens with its entry shown, not the list's first rows); the list is left alone otherwise.
  useEffect(() => {
    if (!list.current) return;
    // Scroll the list only: scrollIntoView would also scroll the page (the stacked narrow layout) away from the player.
    const ol = list.current;
    const li = ol.querySelector<HTMLElement>('.is-current');
    if (!li) return;
    const top = li.getBoundingClientRect().top - ol.getBoundingClientRect().top + ol.scrollTop;
    if (top < ol.scrollTop) ol.scrollTop = top;
    else if (top + li.offsetHeight > ol.scrollTop + ol.clientHeight) ol.scrollTop = top + li.offsetHeight - ol.clientHeight;
  }, [current]);
  // An entry's opened detail (an error's stack) is brought into view, within the list only.
  useEffect(() => {
    const ol = list.current;
    const detail = ol?.querySelector<HTMLElement>('.sv-entry-detail');
    if (!ol || !detail) return;
    const li = detail.parentElement ?? detail;
    const top = li.getBoundingClientRect().top - ol.getBoundingClientRect().top + ol.scrollTop;
    const bottom = top + li.offsetHeight;
    if (bottom > ol.scrollTop + ol.clientHeight) ol.scrollTop = Math.min(top, bottom - ol.clientHeight);
  }, [open]);

  const counts = new Map<string, number>();
  for (const m of p.markers) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
  const multi = p.windows.length > 1;
  const tabOf = new Map(p.windows.map((w) => [w.id, w.index]));
  const all = p.markers.map((m, i) => [m, i] as const).filter(([m]) => filter === 'all' || m.kind === filter);
  // Long sessions have thousands of entries: draw a window around the current one unless asked for all.
  let from = 0;
  if (!showAll && all.length > MAX_ROWS) {
    let at = all.findIndex(([, i]) => i >= current);
    if (at < 0) at = all.length;
    from = Math.max(0, Math.min(at - MAX_ROWS / 4, all.length - MAX_ROWS));
  }
  const shown = showAll ? all : all.slice(from, from + MAX_ROWS);
  const hidden = all.length - shown.length;

  return html`
    <aside class="sv-activity" aria-label="Activity">
      <div class="sv-activity-head">
        <h2 class="sv-h2">Activity <span class="sv-count">${p.markers.length}</span></h2>
        <div class="sv-kinds" role="group" aria-label="Show">
          ${FILTERS.map((f) => html`
            <button type="button" class=${`sv-kind ${filter === f.key ? 'is-on' : ''}`} aria-pressed=${filter === f.key} data-filter=${f.key}
              onClick=${() => setFilter(f.key)} disabled=${f.key !== 'all' && !counts.get(f.key)}>
              ${f.key !== 'all' ? html`<span class=${`sv-dot k-${f.key}`}></span>` : ''}${f.label}${f.key !== 'all' && counts.get(f.key) ? html` <span class="sv-muted">${counts.get(f.key)}</span>` : ''}
            </button>`)}
        </div>
      </div>
      <ol class="sv-entries" ref=${list}>
        ${hidden > 0 ? html`<li class="sv-empty-small"><button type="button" class="sv-link-btn" onClick=${() => setShowAll(true)}>Show all ${all.length} entries</button> <span class="sv-muted">(${hidden} not shown)</span></li>` : ''}
        ${shown.map(([m, i]) => html`
          <li key=${i} class=${`sv-entry k-${m.kind} ${i === current ? 'is-current' : ''} ${i < current ? 'is-past' : ''}`} data-kind=${m.kind} data-origin=${m.origin ?? 'browser'} data-time=${String(m.timestamp - p.start)}>
            <button type="button" class="sv-entry-main" onClick=${() => { p.onSeek(m); if (m.detail || m.groupId) setOpen(open === m ? undefined : m); }} title=${m.detail ? `${m.label}\n${m.detail}` : m.label}>
              <span class=${`sv-dot k-${m.kind}`}></span>
              <span class="sv-entry-label">${m.label}</span>
              ${m.origin === 'server' ? html`<span class="sv-tabtag is-server">Server</span>` : multi ? html`<span class="sv-tabtag">Tab ${tabOf.get(m.windowId) ?? '?'}</span>` : ''}
              <span class="sv-entry-time">${formatClock(m.timestamp - p.start)}</span>
            </button>
            ${open === m && (m.detail || m.groupId) ? html`
              <div class="sv-entry-detail">
                ${m.groupId && p.onOpenGroup ? html`
                  <a class="sv-group-link" href=${`#/errors/${m.groupId}`} data-group=${m.groupId}
                    onClick=${(e: Event) => { e.preventDefault(); p.onOpenGroup?.(m.groupId!); }}>Open the error group →</a>` : ''}
                ${!m.detail ? '' : m.frames?.length ? html`
                  <ol class="sv-frames">
                    ${m.frames.map((f) => html`
                      <li><span class="sv-frame-fn">${f.fn ?? '(anonymous)'}</span> <span class="sv-frame-loc">${f.url}:${f.line}${f.column ? `:${f.column}` : ''}</span>
                        ${p.canOpenSource ? html`<button type="button" class="sv-link-btn" onClick=${() => p.onOpenSource(f)}>Open</button>` : ''}</li>`)}
                  </ol>` : html`<pre class="sv-pre">${m.detail}</pre>`}
              </div>` : ''}
          </li>`)}
        ${!all.length ? html`<li class="sv-empty-small">${p.markers.length ? 'Nothing of this kind.' : 'No activity yet.'}</li>` : ''}
      </ol>
    </aside>`;
}
