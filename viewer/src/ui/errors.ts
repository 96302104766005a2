/**
 * The errors view: the error groups (filters by status and text, kept current by the errors
 * feed) and one group (its status and the buttons that change it, the stack of its latest
 * occurrence with source-mapped positions, the sessions it happened in with "Replay the
 * moment"). Everything recorded (messages, stacks, URLs) is shown as text only.
 */
import { type ErrorGroup, type ErrorGroupDetail, type ErrorOccurrence, type ErrorStatus, type SessionSummary, type SettableErrorStatus, frameFunction } from '@sentiero/protocol';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  DEFAULT_ERROR_FILTERS, type ErrorFilters, ErrorStatusFilter, STATUS_LABELS, frameViews, isErrorFiltered, mergeGroups, replayMoment, toErrorQueries, upsertGroup,
} from '../errors.ts';
import { clip, formatAgo, formatWhen, shortUrl, urlHost } from '../format.ts';
import { HostCapability } from '../host.ts';
import { formatRoute } from '../route.ts';
import type { ViewerContext } from './context.ts';
import { ViewsNav } from './views-nav.ts';
import { Icon } from './icons.ts';
import { useTick } from './use-tick.ts';

const FILTER_LABELS: Record<ErrorStatusFilter, string> = { unresolved: 'Unresolved', regressed: 'Regressed', resolved: 'Resolved', ignored: 'Ignored', all: 'All' };

/** Sessions of a group shown before "Show all". */
const SESSIONS_SHOWN = 20;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function StatusBadge({ status }: { status: ErrorStatus }) {
  return html`<span class=${`sv-badge sv-status is-${status}`} data-status=${status}>${STATUS_LABELS[status] ?? status}</span>`;
}

interface ListState {
  groups: ErrorGroup[];
  /** The `next` cursor of each query still with more pages (by query index). */
  next: Array<string | undefined>;
  loading: boolean;
  loadingMore: boolean;
  error?: string;
}

/** The error groups. */
export function ErrorList({ ctx, filters }: { ctx: ViewerContext; filters: ErrorFilters }) {
  const [state, setState] = useState<ListState>({ groups: [], next: [], loading: true, loadingMore: false });
  const [text, setText] = useState(filters.q);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  useTick(15_000);
  const now = Date.now();
  const queries = toErrorQueries(filters);

  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    Promise.all(queries.map((q) => ctx.client.listErrorGroups(q))).then(
      (pages) => {
        if (!cancelled) setState({ groups: mergeGroups(...pages.map((p) => p.groups)), next: pages.map((p) => p.next), loading: false, loadingMore: false });
      },
      (err: unknown) => {
        if (cancelled) return;
        const status = (err as { status?: number }).status;
        ctx.reportFailure(status === 401 ? 'auth' : 'unreachable', messageOf(err));
        setState({ groups: [], next: [], loading: false, loadingMore: false, error: messageOf(err) });
      },
    );
    return () => { cancelled = true; };
  }, [ctx.generation, filters.status, filters.q]);

  useEffect(() => {
    const update = (g: ErrorGroup) => setState((st) => ({ ...st, groups: upsertGroup(st.groups, g, filtersRef.current, !st.next.some(Boolean)) }));
    return ctx.watch().onErrors({ onGroup: update, onOccurrence: (_o, g) => update(g) });
  }, [ctx.generation]);

  useEffect(() => setText(filters.q), [filters.q]);

  const setFilters = (patch: Partial<ErrorFilters>) => ctx.navigate({ view: 'errors', filters: { ...filters, ...patch } });
  const more = state.next.some(Boolean);
  const loadMore = () => {
    if (!more) return;
    setState((s) => ({ ...s, loadingMore: true }));
    const pending = queries.map((q, i) => (state.next[i] ? ctx.client.listErrorGroups({ ...q, cursor: state.next[i] }) : undefined));
    Promise.all(pending).then(
      (pages) => setState((s) => ({
        groups: mergeGroups(s.groups, ...pages.map((p) => p?.groups ?? [])),
        next: pages.map((p) => p?.next),
        loading: false,
        loadingMore: false,
      })),
      (err: unknown) => setState((s) => ({ ...s, loadingMore: false, error: messageOf(err) })),
    );
  };
  const open = (g: ErrorGroup) => ctx.navigate({ view: 'error', groupId: g.id });
  const count = state.groups.length;

  return html`
    <section class="sv-list sv-errors" aria-label="Errors">
      <div class="sv-list-head">
        <div>
          ${ctx.showHeader ? '' : html`<${ViewsNav} ctx=${ctx} current="errors" inline />`}
          <h1 class="sv-h1">Errors</h1>
          <p class="sv-sub">${state.loading ? 'Loading…' : `${count}${more ? '+' : ''} group${count === 1 ? '' : 's'}`}</p>
        </div>
      </div>
      <form class="sv-filters" onSubmit=${(e: Event) => { e.preventDefault(); setFilters({ q: text }); }}>
        <div class="sv-segments" role="group" aria-label="Status">
          ${(Object.values(ErrorStatusFilter) as ErrorStatusFilter[]).map((st) => html`
            <button type="button" class=${`sv-segment ${filters.status === st ? 'is-on' : ''}`} aria-pressed=${filters.status === st} data-status-filter=${st}
              onClick=${() => setFilters({ status: st })}>${FILTER_LABELS[st]}</button>`)}
        </div>
        <label class="sv-field sv-search">
          ${Icon.search()}
          <input type="search" name="q" placeholder="Type, message or file…" value=${text} aria-label="Search errors"
            onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
            onChange=${(e: Event) => setFilters({ q: (e.target as HTMLInputElement).value })} />
        </label>
        ${isErrorFiltered(filters) ? html`<button type="button" class="sv-link-btn" onClick=${() => { setText(''); ctx.navigate({ view: 'errors', filters: { ...DEFAULT_ERROR_FILTERS } }); }}>Clear filters</button>` : ''}
      </form>
      ${state.error ? html`<div class="sv-banner is-error" role="alert">Could not load the errors: ${state.error}</div>` : ''}
      <div class="sv-table" role="table" aria-label="Error groups">
        <div class="sv-tr sv-etr sv-th" role="row">
          <span role="columnheader">Error</span><span role="columnheader">Events</span><span role="columnheader">Sessions</span>
          <span role="columnheader">First seen</span><span role="columnheader">Last seen</span><span role="columnheader">Status</span>
        </div>
        ${state.groups.map((g) => html`<${GroupRow} key=${g.id} g=${g} now=${now} onOpen=${() => open(g)} />`)}
        ${!state.loading && !count && !state.error ? html`
          <div class="sv-empty">
            <strong>${isErrorFiltered(filters) ? 'No error group matches these filters.' : 'No open errors.'}</strong>
            <span>${isErrorFiltered(filters) ? 'Try another status or clear the search.' : 'Errors recorded by pages (captureErrors) and servers show up here as they happen.'}</span>
          </div>` : ''}
        ${state.loading && !count ? html`<div class="sv-empty"><span class="sv-spinner" aria-hidden="true"></span> Loading errors…</div>` : ''}
      </div>
      ${more ? html`<div class="sv-more"><button type="button" class="sv-btn" disabled=${state.loadingMore} onClick=${loadMore}>${state.loadingMore ? 'Loading…' : 'Load more'}</button></div>` : ''}
    </section>`;
}

function culpritText(g: ErrorGroup): string {
  const c = g.culprit;
  if (!c) return '';
  const o = c.original;
  const where = o ? `${o.file}:${o.line}` : c.file ? `${shortUrl(c.file)}${c.line ? `:${c.line}` : ''}` : '';
  const fn = frameFunction(c);
  return fn ? `${fn} · ${where}` : where;
}

function GroupRow({ g, now, onOpen }: { g: ErrorGroup; now: number; onOpen: () => void }) {
  const culprit = culpritText(g);
  return html`
    <div class=${`sv-tr sv-etr sv-row is-${g.status}`} role="row" tabindex="0" data-group=${g.id} data-status=${g.status}
      onClick=${onOpen} onKeyDown=${(e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(); } }}>
      <span class="sv-err-main" role="cell">
        <span class="sv-err-title"><span class="sv-err-name">${clip(g.name, 80)}</span><span class="sv-err-msg" title=${g.message}>${clip(g.message, 300) || '(no message)'}</span></span>
        <span class="sv-host">${g.origin === 'server' ? 'Server' : 'Browser'}${culprit ? ` · ${culprit}` : ''}</span>
      </span>
      <span role="cell" class="sv-num sv-strong" data-col="count">${g.count}</span>
      <span role="cell" class="sv-num" data-col="sessions">${g.sessionCount}</span>
      <span role="cell"><span>${formatAgo(g.firstSeen, now)}</span></span>
      <span role="cell"><span class="sv-strong">${formatAgo(g.lastSeen, now)}</span></span>
      <span role="cell"><${StatusBadge} status=${g.status} /></span>
    </div>`;
}

interface GroupState {
  detail?: ErrorGroupDetail;
  loading: boolean;
  notFound?: boolean;
  error?: string;
}

/** One error group. */
export function ErrorGroupView({ ctx, groupId }: { ctx: ViewerContext; groupId: string }) {
  const [state, setState] = useState<GroupState>({ loading: true });
  const [starts, setStarts] = useState<Record<string, number | null>>({});
  const [busy, setBusy] = useState<SettableErrorStatus>();
  const [actionError, setActionError] = useState<string>();
  const [allSessions, setAllSessions] = useState(false);
  const [reload, setReload] = useState(0);
  useTick(15_000);
  const now = Date.now();

  useEffect(() => {
    let cancelled = false;
    ctx.client.getErrorGroup(groupId, { occurrences: 20 }).then(
      (detail) => { if (!cancelled) setState({ detail, loading: false }); },
      (err: unknown) => {
        if (cancelled) return;
        const status = (err as { status?: number }).status;
        const code = (err as { code?: string }).code;
        if (status === 404 || code === 'SENTIERO_NOT_FOUND') return setState({ loading: false, notFound: true });
        ctx.reportFailure(status === 401 ? 'auth' : 'unreachable', messageOf(err));
        setState((s) => ({ ...s, loading: false, error: messageOf(err) }));
      },
    );
    return () => { cancelled = true; };
  }, [ctx.generation, groupId, reload]);

  // Live: a status change updates the header; a new occurrence reloads the detail (stack, sessions).
  useEffect(() => ctx.watch().onErrors({
    onGroup: (g) => { if (g.id === groupId) setState((s) => (s.detail ? { ...s, detail: { ...s.detail, ...g } } : s)); },
    onOccurrence: (_o, g) => { if (g.id === groupId) setReload((n) => n + 1); },
  }), [ctx.generation, groupId]);

  // The sessions' start times, for the `t` of "Replay the moment".
  const shownSessions = state.detail ? (allSessions ? state.detail.sessions : state.detail.sessions.slice(0, SESSIONS_SHOWN)) : [];
  useEffect(() => {
    const missing = shownSessions.map((s) => s.sessionId).filter((id) => !(id in starts));
    if (!missing.length) return;
    let cancelled = false;
    void Promise.all(missing.map((id) => ctx.client.getSession(id).then((s: SessionSummary) => [id, s.startedAt] as const, () => [id, null] as const))).then((pairs) => {
      if (!cancelled) setStarts((st) => ({ ...st, ...Object.fromEntries(pairs) }));
    });
    return () => { cancelled = true; };
  }, [ctx.generation, shownSessions.map((s) => s.sessionId).join(',')]);

  const setStatus = (status: SettableErrorStatus) => {
    setBusy(status);
    setActionError(undefined);
    ctx.client.setErrorStatus(groupId, status).then(
      (g) => { setBusy(undefined); setState((s) => (s.detail ? { ...s, detail: { ...s.detail, ...g } } : s)); },
      (err: unknown) => { setBusy(undefined); setActionError(messageOf(err)); },
    );
  };

  const back = html`<button type="button" class="sv-back" onClick=${() => ctx.navigate({ view: 'errors', filters: { ...DEFAULT_ERROR_FILTERS } })}>${Icon.back()} Errors</button>`;
  if (state.notFound || state.error || !state.detail) {
    return html`
      <section class="sv-list sv-error-group" aria-label="Error group" data-group=${groupId}>
        <div class="sv-group-head">${back}</div>
        ${state.notFound ? html`<div class="sv-empty"><strong>Error group not found</strong><span>It may have been deleted with its sessions.</span></div>`
          : state.error ? html`<div class="sv-banner is-error" role="alert">Could not load this error group: ${state.error}</div>`
          : html`<div class="sv-empty"><span class="sv-spinner" aria-hidden="true"></span> Loading the error group…</div>`}
      </section>`;
  }

  const d = state.detail;
  const latest: ErrorOccurrence | undefined = d.occurrences[0];
  const frames = frameViews(latest?.frames ?? (d.culprit ? [d.culprit] : []));
  const canOpen = ctx.capabilities.has(HostCapability.OPEN_SOURCE);
  const closed = d.status === 'resolved' || d.status === 'ignored';
  const actions: Array<[SettableErrorStatus, string]> = closed
    ? [['unresolved', 'Reopen'], d.status === 'resolved' ? ['ignored', 'Ignore'] : ['resolved', 'Resolve']]
    : [['resolved', 'Resolve'], ['ignored', 'Ignore']];

  return html`
    <section class="sv-list sv-error-group" aria-label="Error group" data-group=${d.id} data-status=${d.status}>
      <div class="sv-group-head">
        ${back}
        <div class="sv-title">
          <h1 class="sv-h1 sv-group-title"><span class="sv-err-name">${clip(d.name, 120)}</span> <span class="sv-group-msg">${clip(d.message, 2000) || '(no message)'}</span></h1>
          <div class="sv-meta">
            <${StatusBadge} status=${d.status} />
            <span>${d.origin === 'server' ? 'Server' : 'Browser'}</span>
            <span><strong class="sv-fg" data-col="count">${d.count}</strong> event${d.count === 1 ? '' : 's'}</span>
            <span><strong class="sv-fg">${d.sessionCount}</strong> session${d.sessionCount === 1 ? '' : 's'}</span>
            <span title=${new Date(d.firstSeen).toISOString()}>First seen ${formatAgo(d.firstSeen, now)}</span>
            <span title=${new Date(d.lastSeen).toISOString()}>Last seen ${formatAgo(d.lastSeen, now)}</span>
          </div>
        </div>
        <div class="sv-actions">
          ${actions.map(([status, label]) => html`
            <button type="button" class=${`sv-btn ${status === 'resolved' ? 'is-primary' : ''}`} data-action=${status} disabled=${!!busy} onClick=${() => setStatus(status)}>
              ${status === 'resolved' ? Icon.check() : ''}${busy === status ? 'Saving…' : label}
            </button>`)}
        </div>
      </div>
      ${actionError ? html`<div class="sv-banner is-error" role="alert">Could not change the status: ${actionError}</div>` : ''}
      <div class="sv-group-body">
        <div class="sv-card sv-stack-card">
          <div class="sv-card-head">
            <h2 class="sv-h2">Stack trace</h2>
            ${latest ? html`<span class="sv-muted">Latest event ${formatWhen(latest.timestamp, now)}${latest.url ? html` · <span class="sv-mono" title=${latest.url}>${urlHost(latest.url)}${shortUrl(latest.url)}</span>` : ''}</span>` : ''}
          </div>
          ${frames.length ? html`
            <ol class="sv-stack">
              ${frames.map((f, i) => html`
                <li class=${`sv-sframe ${f.inApp ? 'is-app' : 'is-lib'}`} data-frame=${String(i)} data-mapped=${String(f.mapped)}>
                  <div class="sv-sframe-main">
                    <span class="sv-frame-fn">${clip(f.fn, 200)}</span>
                    <span class="sv-sframe-loc">${clip(f.location, 600)}</span>
                    ${f.inApp ? '' : html`<span class="sv-tabtag">library</span>`}
                    ${canOpen && f.open ? html`<button type="button" class="sv-btn sv-btn-sm" data-action="open-source" onClick=${() => ctx.post({ t: 'open-source', ...f.open! })}>${Icon.source()} Open</button>` : ''}
                  </div>
                  ${f.generated ? html`<div class="sv-sframe-gen">${clip(f.generated, 600)}</div>` : ''}
                </li>`)}
            </ol>` : html`<div class="sv-empty-small">No stack trace was recorded.</div>`}
        </div>
        <div class="sv-card sv-sessions-card">
          <div class="sv-card-head">
            <h2 class="sv-h2">Sessions <span class="sv-count">${d.sessions.length}</span></h2>
          </div>
          <ol class="sv-occ">
            ${shownSessions.map((s) => {
              const start = starts[s.sessionId];
              const t = typeof start === 'number' ? replayMoment(s.firstSeen, start) : undefined;
              const route = { view: 'session' as const, sessionId: s.sessionId, ...(t !== undefined ? { t } : {}) };
              return html`
                <li class="sv-occ-row" data-session=${s.sessionId}>
                  <div class="sv-occ-main">
                    <span class="sv-strong">${formatWhen(s.firstSeen, now)}</span>
                    <span class="sv-muted">${s.count > 1 ? `${s.count} events · last ${formatAgo(s.lastSeen, now)}` : formatAgo(s.firstSeen, now)}</span>
                    <span class="sv-muted sv-mono">${s.sessionId.slice(0, 12)}</span>
                  </div>
                  ${start === null ? html`<span class="sv-muted">Session not found</span>` : html`
                    <a class=${`sv-btn sv-btn-sm ${t === undefined ? 'is-pending' : ''}`} href=${formatRoute(route)} data-action="replay" data-t=${t === undefined ? '' : String(t)}
                      onClick=${(e: Event) => { e.preventDefault(); ctx.navigate(route); }}>${Icon.replay()} Replay the moment</a>`}
                </li>`;
            })}
            ${!d.sessions.length ? html`<li class="sv-empty-small">Not linked to a recorded session.</li>` : ''}
          </ol>
          ${!allSessions && d.sessions.length > SESSIONS_SHOWN ? html`<div class="sv-more"><button type="button" class="sv-link-btn" onClick=${() => setAllSessions(true)}>Show all ${d.sessions.length} sessions</button></div>` : ''}
          ${d.occurrences.some((o) => !o.sessionId) ? html`<p class="sv-muted sv-note">Some events are not linked to a session (e.g. server errors without the session header).</p>` : ''}
        </div>
      </div>
    </section>`;
}
