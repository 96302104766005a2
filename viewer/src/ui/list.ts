/** The session list: filters, newest first, kept current by the sessions feed, with cursor paging. */
import type { SessionSummary } from '@sentiero/protocol';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { DEFAULT_FILTERS, type ListFilters, MIN_DURATIONS, TimeRange, type TimeRangeKey, isFiltered, matchesFilters, toQuery } from '../filters.ts';
import { formatAgo, formatDuration, formatWhen, shortUrl, urlHost } from '../format.ts';
import { describeClient } from '../ua.ts';
import type { ViewerContext } from './context.ts';
import { ViewsNav } from './views-nav.ts';
import { Icon } from './icons.ts';
import { EraseUser } from './privacy.ts';
import { useTick } from './use-tick.ts';

const RANGE_LABELS: Record<TimeRangeKey, string> = { '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', all: 'All time' };
const MIN_LABELS: Record<number, string> = { 0: 'Any length', 10_000: '≥ 10 s', 60_000: '≥ 1 min', 300_000: '≥ 5 min' };

interface ListState {
  sessions: SessionSummary[];
  next?: string;
  loading: boolean;
  loadingMore: boolean;
  error?: string;
}

function sortSessions(list: SessionSummary[]): SessionSummary[] {
  return list.sort((a, b) => b.startedAt - a.startedAt);
}

/** The list view. */
export function SessionList({ ctx, filters }: { ctx: ViewerContext; filters: ListFilters }) {
  const [state, setState] = useState<ListState>({ sessions: [], loading: true, loadingMore: false });
  const [urlText, setUrlText] = useState(filters.url);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  useTick(15_000);
  const now = Date.now();

  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    ctx.client.listSessions(toQuery(filters, Date.now())).then(
      (page) => {
        if (cancelled) return;
        setState({ sessions: sortSessions(page.sessions), loading: false, loadingMore: false, ...(page.next ? { next: page.next } : {}) });
      },
      (err: unknown) => {
        if (cancelled) return;
        const status = (err as { status?: number }).status;
        const message = err instanceof Error ? err.message : String(err);
        ctx.reportFailure(status === 401 ? 'auth' : 'unreachable', message);
        setState({ sessions: [], loading: false, loadingMore: false, error: message });
      },
    );
    return () => { cancelled = true; };
  }, [ctx.generation, filters.range, filters.url, filters.errorsOnly, filters.liveOnly, filters.minDurationMs, filters.user, filters.from, filters.to]);

  useEffect(() => ctx.watch().onSession(
    (s) => setState((st) => {
      const others = st.sessions.filter((x) => x.id !== s.id);
      const known = others.length !== st.sessions.length;
      if (!matchesFilters(s, filtersRef.current, Date.now())) return known ? { ...st, sessions: others } : st;
      // A session that starts now belongs at the top; an update replaces the row in place.
      if (!known && st.next && st.sessions.length && s.startedAt < st.sessions[st.sessions.length - 1]!.startedAt) return st;
      return { ...st, sessions: sortSessions([...others, s]) };
    }),
    (id) => setState((st) => ({ ...st, sessions: st.sessions.filter((x) => x.id !== id) })),
  ), [ctx.generation]);

  useEffect(() => setUrlText(filters.url), [filters.url]);

  const setFilters = (patch: Partial<ListFilters>) => ctx.navigate({ view: 'list', filters: { ...filters, ...patch } });
  const loadMore = () => {
    if (!state.next) return;
    setState((s) => ({ ...s, loadingMore: true }));
    ctx.client.listSessions(toQuery(filters, Date.now(), state.next)).then(
      (page) => setState((s) => {
        const seen = new Set(s.sessions.map((x) => x.id));
        const sessions = [...s.sessions, ...page.sessions.filter((x) => !seen.has(x.id))];
        return { sessions, loading: false, loadingMore: false, ...(page.next ? { next: page.next } : {}) };
      }),
      (err: unknown) => setState((s) => ({ ...s, loadingMore: false, error: err instanceof Error ? err.message : String(err) })),
    );
  };
  const liveCount = state.sessions.filter((s) => s.live).length;

  return html`
    <section class="sv-list" aria-label="Sessions">
      <div class="sv-list-head">
        <div>
          ${ctx.showHeader ? '' : html`<${ViewsNav} ctx=${ctx} current="sessions" inline />`}
          <h1 class="sv-h1">Sessions</h1>
          <p class="sv-sub">${state.loading ? 'Loading…' : `${state.sessions.length}${state.next ? '+' : ''} session${state.sessions.length === 1 ? '' : 's'}`}${liveCount ? html` · <span class="sv-live-text">${liveCount} live now</span>` : ''}</p>
        </div>
      </div>
      <form class="sv-filters" onSubmit=${(e: Event) => { e.preventDefault(); setFilters({ url: urlText }); }}>
        <label class="sv-field sv-search">
          ${Icon.search()}
          <input type="search" name="url" placeholder="URL contains…" value=${urlText} aria-label="URL contains"
            onInput=${(e: Event) => setUrlText((e.target as HTMLInputElement).value)}
            onChange=${(e: Event) => setFilters({ url: (e.target as HTMLInputElement).value })} />
        </label>
        <input class="sv-field sv-user" type="search" name="user" placeholder="User id…" value=${filters.user} aria-label="Identified user"
          onChange=${(e: Event) => setFilters({ user: (e.target as HTMLInputElement).value })} />
        <select class="sv-select" name="range" aria-label="Time range" value=${filters.range}
          onChange=${(e: Event) => setFilters({ range: (e.target as HTMLSelectElement).value as TimeRangeKey })}>
          ${(Object.keys(TimeRange) as TimeRangeKey[]).map((k) => html`<option value=${k}>${RANGE_LABELS[k]}</option>`)}
        </select>
        <select class="sv-select" name="min" aria-label="Minimum duration" value=${String(filters.minDurationMs)}
          onChange=${(e: Event) => setFilters({ minDurationMs: Number((e.target as HTMLSelectElement).value) })}>
          ${MIN_DURATIONS.map((ms) => html`<option value=${String(ms)}>${MIN_LABELS[ms]}</option>`)}
        </select>
        <label class=${`sv-chip ${filters.errorsOnly ? 'is-on' : ''}`}>
          <input type="checkbox" name="errors" checked=${filters.errorsOnly} onChange=${(e: Event) => setFilters({ errorsOnly: (e.target as HTMLInputElement).checked })} />
          Has errors
        </label>
        <label class=${`sv-chip ${filters.liveOnly ? 'is-on' : ''}`}>
          <input type="checkbox" name="live" checked=${filters.liveOnly} onChange=${(e: Event) => setFilters({ liveOnly: (e.target as HTMLInputElement).checked })} />
          Live only
        </label>
        ${filters.from !== undefined || filters.to !== undefined ? html`<span class="sv-chip is-on" data-window="1">
          ${filters.from !== undefined ? formatWhen(filters.from, now) : '…'} – ${filters.to !== undefined ? formatWhen(filters.to, now) : 'now'}
          <button type="button" class="sv-link-btn" aria-label="Any time" onClick=${() => { const { from: _f, to: _t, ...rest } = filters; ctx.navigate({ view: 'list', filters: rest }); }}>×</button>
        </span>` : ''}
        ${isFiltered(filters) ? html`<button type="button" class="sv-link-btn" onClick=${() => { setUrlText(''); ctx.navigate({ view: 'list', filters: { ...DEFAULT_FILTERS } }); }}>Clear filters</button>` : ''}
      </form>
      <${EraseUser} ctx=${ctx} />
      ${state.error ? html`<div class="sv-banner is-error" role="alert">Could not load the sessions: ${state.error}</div>` : ''}
      <div class="sv-table" role="table" aria-label="Sessions">
        <div class="sv-tr sv-th" role="row">
          <span role="columnheader">Session</span><span role="columnheader">Started</span><span role="columnheader">Duration</span>
          <span role="columnheader">Pages</span><span role="columnheader">Browser</span><span role="columnheader">Errors</span>
        </div>
        ${state.sessions.map((s) => html`<${Row} key=${s.id} s=${s} now=${now} onOpen=${() => ctx.navigate({ view: 'session', sessionId: s.id })} />`)}
        ${!state.loading && !state.sessions.length && !state.error ? html`
          <div class="sv-empty">
            <strong>${isFiltered(filters) ? 'No session matches these filters.' : 'No sessions yet.'}</strong>
            <span>${isFiltered(filters) ? 'Widen the time range or clear the filters.' : 'Open a page that loads the recorder; its session shows up here as it happens.'}</span>
          </div>` : ''}
        ${state.loading && !state.sessions.length ? html`<div class="sv-empty"><span class="sv-spinner" aria-hidden="true"></span> Loading sessions…</div>` : ''}
      </div>
      ${state.next ? html`<div class="sv-more"><button type="button" class="sv-btn" disabled=${state.loadingMore} onClick=${loadMore}>${state.loadingMore ? 'Loading…' : 'Load more'}</button></div>` : ''}
    </section>`;
}

/** One session row of a list. */
export function Row({ s, now, onOpen }: { s: SessionSummary; now: number; onOpen: () => void }) {
  const c = describeClient(s.userAgent || '');
  const pages = s.pages?.length || 1;
  const last = s.pages?.[s.pages.length - 1];
  return html`
    <div class=${`sv-tr sv-row ${s.live ? 'is-live' : ''}`} role="row" tabindex="0" data-session=${s.id}
      onClick=${onOpen} onKeyDown=${(e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(); } }}>
      <span class="sv-cell-main" role="cell">
        ${s.live ? html`<span class="sv-badge is-live" title="Being recorded now"><i></i>Live</span>` : ''}
        <span class="sv-url" title=${s.url}>${shortUrl(s.url) || '(no URL)'}</span>
        <span class="sv-host">${urlHost(s.url)}${last && last !== s.url ? ` → ${shortUrl(last)}` : ''}</span>
      </span>
      <span role="cell"><span class="sv-strong">${formatWhen(s.startedAt, now)}</span><span class="sv-muted">${formatAgo(s.lastEventAt, now)}</span></span>
      <span role="cell" class="sv-num">${formatDuration(s.lastEventAt - s.startedAt)}</span>
      <span role="cell" class="sv-num" data-col="pages">${pages}${s.windows.length > 1 ? html`<span class="sv-muted"> · ${s.windows.length} tabs</span>` : ''}</span>
      <span role="cell"><span class="sv-strong">${c.browser}</span><span class="sv-muted">${c.os} · ${c.device}</span></span>
      <span role="cell">${s.errorCount > 0 ? html`<span class="sv-badge is-error">${s.errorCount} error${s.errorCount === 1 ? '' : 's'}</span>` : html`<span class="sv-muted">—</span>`}</span>
    </div>`;
}
