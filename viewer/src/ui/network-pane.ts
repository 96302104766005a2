/**
 * The Network pane: the recorded requests of the shown tab by start time, synchronised with the
 * replay, filterable by status, type and text; a click seeks to the request and opens its
 * details (timing, sizes, the headers and bodies the recorder was allowed to keep, and the
 * server errors reported for it).
 */
import { html } from 'htm/preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { NetworkInitiator } from '@sentiero/protocol';
import { type NetworkEntry, StatusFilter, filterNetwork, isFailedRequest, serverErrorsOf } from '../capture-log.ts';
import { formatBytes, formatClock, formatMs, shortUrl, urlHost } from '../format.ts';
import type { Marker } from '../markers.ts';
import { useCurrent, visibleRows } from './use-current.ts';

const STATUS_FILTERS: Array<{ key: StatusFilter; label: string }> = [
  { key: StatusFilter.ALL, label: 'All' }, { key: StatusFilter.FAILED, label: 'Failed' }, { key: StatusFilter.OK, label: '2xx' },
  { key: StatusFilter.REDIRECT, label: '3xx' }, { key: StatusFilter.CLIENT, label: '4xx' }, { key: StatusFilter.SERVER, label: '5xx' },
];
const TYPES: Array<{ key: NetworkEntry['type']; label: string }> = [
  { key: NetworkInitiator.FETCH, label: 'Fetch' }, { key: NetworkInitiator.XHR, label: 'XHR' },
  { key: NetworkInitiator.BEACON, label: 'Beacon' }, { key: NetworkInitiator.WEBSOCKET, label: 'WS' },
];

function statusText(e: NetworkEntry): string {
  if (e.aborted) return 'aborted';
  if (e.failed) return 'failed';
  if (e.type === NetworkInitiator.BEACON) return 'sent';
  return String(e.status);
}

/** Props of the Network pane. */
export interface NetworkPaneProps {
  /** The shown tab's requests, by start time. */
  entries: NetworkEntry[];
  /** The session's markers (server errors are linked to requests from them). */
  markers: Marker[];
  start: number;
  /** The recorded page's URL: hosts other than its own are shown beside a request's path. */
  pageUrl: string;
  onSeek(abs: number): void;
  onOpenGroup?(groupId: string): void;
  onTime(fn: (abs: number) => void): () => void;
}

function Headers({ title, headers }: { title: string; headers: Record<string, string> | undefined }) {
  if (!headers) return '';
  return html`
    <h4 class="sv-net-h">${title}</h4>
    <dl class="sv-net-headers">${Object.entries(headers).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function Details({ e, errors, onOpenGroup }: { e: NetworkEntry; errors: Marker[]; onOpenGroup?: (id: string) => void }) {
  const facts: Array<[string, string]> = [
    ['URL', e.url], ['Status', statusText(e)], ['Type', e.type], ['Duration', formatMs(e.durationMs)],
  ];
  if (e.requestSize !== undefined) facts.push(['Sent', formatBytes(e.requestSize)]);
  if (e.responseSize !== undefined) facts.push(['Received', formatBytes(e.responseSize)]);
  if (e.contentType) facts.push(['Content type', e.contentType]);
  if (e.error) facts.push(['Error', e.error]);
  const nothingMore = !e.requestHeaders && !e.responseHeaders && e.requestBody === undefined && e.responseBody === undefined;
  return html`
    <div class="sv-entry-detail sv-net-detail">
      <dl class="sv-net-facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
      ${errors.map((m) => html`
        <p class="sv-net-server-error" data-group=${m.groupId ?? ''}><strong>Server error</strong> ${m.label}
          ${m.groupId && onOpenGroup ? html` <button type="button" class="sv-link-btn" onClick=${() => onOpenGroup(m.groupId!)}>Open the error group →</button>` : ''}</p>`)}
      <${Headers} title="Request headers" headers=${e.requestHeaders} />
      ${e.requestBody !== undefined ? html`<h4 class="sv-net-h">Request body</h4><pre class="sv-pre sv-net-body">${e.requestBody}</pre>` : ''}
      <${Headers} title="Response headers" headers=${e.responseHeaders} />
      ${e.responseBody !== undefined ? html`<h4 class="sv-net-h">Response body${e.bodyTruncated ? ' (cut)' : ''}</h4><pre class="sv-pre sv-net-body">${e.responseBody}</pre>` : ''}
      ${nothingMore ? html`<p class="sv-muted sv-note-inline">Headers and bodies are not recorded unless the recorder allows them (networkHeaders, networkBodies).</p>` : ''}
    </div>`;
}

/** The Network pane. */
export function NetworkPane(p: NetworkPaneProps) {
  const [status, setStatus] = useState<StatusFilter>(StatusFilter.ALL);
  const [types, setTypes] = useState<ReadonlySet<NetworkEntry['type']>>(new Set());
  const [text, setText] = useState('');
  const [open, setOpen] = useState<string>();
  const [showAll, setShowAll] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const shownAll = useMemo(() => filterNetwork(p.entries, { status, types, text }), [p.entries, status, types, text]);
  const current = useCurrent(shownAll, p.onTime, list);
  const server = useMemo(() => p.markers.filter((m) => m.origin === 'server' && m.url), [p.markers]);
  const { rows, from } = visibleRows(shownAll, current, showAll);
  const failed = p.entries.filter(isFailedRequest).length;
  const pageHost = urlHost(p.pageUrl);
  const toggleType = (t: NetworkEntry['type']) => {
    const next = new Set(types);
    if (next.has(t)) next.delete(t);
    else next.add(t);
    setTypes(next);
  };

  return html`
    <section class="sv-activity sv-pane sv-network" aria-label="Network">
      <div class="sv-activity-head sv-pane-head">
        <div class="sv-kinds" role="group" aria-label="Status">
          ${STATUS_FILTERS.map((f) => html`
            <button type="button" class=${`sv-kind ${status === f.key ? 'is-on' : ''}`} aria-pressed=${status === f.key} data-status-filter=${f.key} onClick=${() => setStatus(f.key)}>
              ${f.label}${f.key === StatusFilter.FAILED && failed ? html` <span class="sv-muted">${failed}</span>` : ''}
            </button>`)}
        </div>
        <div class="sv-kinds" role="group" aria-label="Type">
          ${TYPES.map((t) => html`
            <button type="button" class=${`sv-kind ${types.has(t.key) ? 'is-on' : ''}`} aria-pressed=${types.has(t.key)} data-type-filter=${t.key} onClick=${() => toggleType(t.key)}>${t.label}</button>`)}
          <input class="sv-pane-search" type="search" placeholder="Filter URLs" aria-label="Filter URLs" value=${text}
            onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <ol class="sv-entries sv-log" ref=${list}>
        ${rows.length < shownAll.length ? html`<li class="sv-empty-small"><button type="button" class="sv-link-btn" onClick=${() => setShowAll(true)}>Show all ${shownAll.length} requests</button></li>` : ''}
        ${rows.map((e, k) => {
          const i = from + k;
          const isOpen = open === e.id;
          const bad = isFailedRequest(e);
          const errors = serverErrorsOf(e, server);
          const host = urlHost(e.url);
          return html`
          <li key=${e.id} class=${`sv-netrow ${bad ? 'is-failed' : ''} ${e.aborted ? 'is-aborted' : ''} ${i === current ? 'is-current' : ''} ${i < current ? 'is-past' : ''}`}
            data-status=${statusText(e)} data-type=${e.type} data-time=${String(e.timestamp - p.start)}>
            <button type="button" class="sv-netrow-main" aria-expanded=${isOpen} onClick=${() => { p.onSeek(e.timestamp); setOpen(isOpen ? undefined : e.id); }} title=${`${e.method} ${e.url}`}>
              <span class="sv-entry-time">${formatClock(e.timestamp - p.start)}</span>
              <span class="sv-net-status">${statusText(e)}</span>
              <span class="sv-net-what"><span class="sv-net-method">${e.method}</span> ${shortUrl(e.url)}${host && host !== pageHost ? html` <span class="sv-muted">${host}</span>` : ''}</span>
              ${errors.length ? html`<span class="sv-badge is-error" title="The server reported an error for this request">server error</span>` : ''}
              <span class="sv-net-meta">${e.type} · ${formatMs(e.durationMs)}${e.responseSize !== undefined ? ` · ${formatBytes(e.responseSize)}` : ''}</span>
            </button>
            ${isOpen ? html`<${Details} e=${e} errors=${errors} onOpenGroup=${p.onOpenGroup} />` : ''}
          </li>`;
        })}
        ${!shownAll.length ? html`<li class="sv-empty-small">${p.entries.length ? 'No request matches.' : 'No requests recorded. The recorder records them with captureNetwork: true.'}</li>` : ''}
      </ol>
    </section>`;
}
