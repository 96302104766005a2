/** The Console pane: the recorded console messages of the shown tab, synchronised with the replay, filterable by level and text; a click seeks there. */
import { html } from 'htm/preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { ConsoleLevel } from '@sentiero/protocol';
import { type ConsoleEntry, filterConsole } from '../capture-log.ts';
import { formatClock } from '../format.ts';
import { useCurrent, visibleRows } from './use-current.ts';

const LEVEL_FILTERS: Array<{ key: string; label: string; levels: ConsoleLevel[] }> = [
  { key: 'all', label: 'All', levels: [] },
  { key: 'error', label: 'Errors', levels: [ConsoleLevel.ERROR, ConsoleLevel.ASSERT] },
  { key: 'warn', label: 'Warnings', levels: [ConsoleLevel.WARN] },
  { key: 'info', label: 'Info', levels: [ConsoleLevel.INFO, ConsoleLevel.LOG, ConsoleLevel.TRACE] },
  { key: 'debug', label: 'Debug', levels: [ConsoleLevel.DEBUG] },
];

/** Props of the Console pane. */
export interface ConsolePaneProps {
  /** The shown tab's messages, in time order. */
  entries: ConsoleEntry[];
  start: number;
  onSeek(abs: number): void;
  onTime(fn: (abs: number) => void): () => void;
}

/** The Console pane. */
export function ConsolePane(p: ConsolePaneProps) {
  const [level, setLevel] = useState('all');
  const [text, setText] = useState('');
  const [open, setOpen] = useState<string>();
  const [showAll, setShowAll] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const levels = LEVEL_FILTERS.find((f) => f.key === level)!.levels;
  const shownAll = useMemo(() => filterConsole(p.entries, { levels: new Set(levels), text }), [p.entries, level, text]);
  const current = useCurrent(shownAll, p.onTime, list);
  const { rows, from } = visibleRows(shownAll, current, showAll);
  const counts = new Map<string, number>();
  for (const f of LEVEL_FILTERS) counts.set(f.key, f.levels.length ? p.entries.filter((e) => f.levels.includes(e.level)).length : p.entries.length);

  return html`
    <section class="sv-activity sv-pane sv-console" aria-label="Console">
      <div class="sv-activity-head sv-pane-head">
        <div class="sv-kinds" role="group" aria-label="Levels">
          ${LEVEL_FILTERS.map((f) => html`
            <button type="button" class=${`sv-kind ${level === f.key ? 'is-on' : ''}`} aria-pressed=${level === f.key} data-level-filter=${f.key} onClick=${() => setLevel(f.key)}>
              ${f.key !== 'all' ? html`<span class=${`sv-lv lv-${f.key}`}></span>` : ''}${f.label} <span class="sv-muted">${counts.get(f.key)}</span>
            </button>`)}
        </div>
        <input class="sv-pane-search" type="search" placeholder="Filter messages" aria-label="Filter messages" value=${text}
          onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
      </div>
      <ol class="sv-entries sv-log" ref=${list}>
        ${rows.length < shownAll.length ? html`<li class="sv-empty-small"><button type="button" class="sv-link-btn" onClick=${() => setShowAll(true)}>Show all ${shownAll.length} messages</button></li>` : ''}
        ${rows.map((e, k) => {
          const i = from + k;
          const isOpen = open === e.id;
          return html`
          <li key=${e.id} class=${`sv-logrow lv-${e.level} ${i === current ? 'is-current' : ''} ${i < current ? 'is-past' : ''}`} data-level=${e.level} data-time=${String(e.timestamp - p.start)}>
            <button type="button" class="sv-logrow-main" aria-expanded=${isOpen} onClick=${() => { p.onSeek(e.timestamp); setOpen(isOpen ? undefined : e.id); }}>
              <span class="sv-entry-time">${formatClock(e.timestamp - p.start)}</span>
              <span class="sv-log-text">${e.args.join(' ')}</span>
              ${e.count > 1 ? html`<span class="sv-log-count" title=${`Logged ${e.count} times in a row`}>${e.count}</span>` : ''}
            </button>
            ${isOpen ? html`
              <div class="sv-entry-detail">
                ${e.dropped ? html`<p class="sv-note-inline">${e.dropped} messages before this one were not recorded (the page logged too fast).</p>` : ''}
                ${e.args.map((a) => html`<pre class="sv-pre">${a}</pre>`)}
                ${e.stack ? html`<pre class="sv-pre sv-muted">${e.stack}</pre>` : ''}
              </div>` : ''}
          </li>`;
        })}
        ${!shownAll.length ? html`<li class="sv-empty-small">${p.entries.length ? 'No message matches.' : 'No console messages recorded. The recorder records them with captureConsole: true.'}</li>` : ''}
      </ol>
    </section>`;
}
