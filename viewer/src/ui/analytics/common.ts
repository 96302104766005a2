/** What the analytics views share: loading a report, the link from a number to its sessions, counts as bars, number formats. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { LinkedSessions } from '@sentiero/protocol';
import type { MomentHint } from '../../analytics/moment.ts';
import type { PickedSession, Route } from '../../route.ts';
import { MAX_PICKED } from '../../route.ts';
import type { ViewerContext } from '../context.ts';

/** A report being loaded: its data once there, or why it failed. */
export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/** Loads a report whenever `deps` change (and the connection does); a 401 or a network failure is reported to the host. */
export function useReport<T>(ctx: ViewerContext, load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true });
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => { if (!cancelled) setState({ data, loading: false }); },
      (err: unknown) => {
        if (cancelled) return;
        const status = (err as { status?: number }).status;
        const message = err instanceof Error ? err.message : String(err);
        if (status === 401 || status === undefined) ctx.reportFailure(status === 401 ? 'auth' : 'unreachable', message);
        setState({ loading: false, error: message });
      },
    );
    return () => { cancelled = true; };
  }, [ctx.generation, ...deps]);
  return state;
}

/** The route to the sessions behind a number; `find` is what it counted (each session then opens at its first moment). */
export function pickedRoute(sessions: ReadonlyArray<string | PickedSession>, label: string, find?: MomentHint): Route {
  return { view: 'picked', label, sessions: sessions.slice(0, MAX_PICKED).map((s) => (typeof s === 'string' ? { id: s } : s)), ...(find ? { find } : {}) };
}

/**
 * A number that opens the sessions behind it (plain text when there are none). The relay lists
 * the first few ids beside a count; `total` says how many there are, so the list can say so.
 */
export function SessionsLink({ ctx, sessions, total, label, find, children, route }: { ctx: ViewerContext; sessions?: ReadonlyArray<string | PickedSession>; total?: number; label: string; find?: MomentHint; children: ComponentChildren; route?: Route }) {
  const more = sessions && total !== undefined && total > sessions.length ? ` (the latest ${sessions.length} of ${total})` : '';
  const to = route ?? (sessions?.length ? pickedRoute(sessions, `${label}${more}`, find) : undefined);
  if (!to) return html`<span class="sv-num">${children}</span>`;
  return html`<button type="button" class="sv-num sv-numlink" title=${`Sessions: ${label}`} data-sessions=${sessions ? String(sessions.length) : undefined}
    onClick=${() => ctx.navigate(to)}>${children}</button>`;
}

/** A count with thousands separators. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** A share (0–1) as a percentage with one decimal under 10 %. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '—';
  const p = share * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)} %`;
}

/** Counts by name as horizontal bars, largest first (at most `limit`); with `linked` (and `ctx`), a count opens the sessions behind it, labelled `what(name)`. */
export function CountBars({ counts, limit = 8, onPick, ctx, linked, what = (name) => name }: { counts: Record<string, number>; limit?: number; onPick?(name: string): void; ctx?: ViewerContext; linked?: Record<string, LinkedSessions>; what?(name: string): string }) {
  const rows = Object.entries(counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, limit);
  const max = rows[0]?.[1] ?? 0;
  if (!rows.length) return html`<div class="sv-empty-small">Nothing in this range.</div>`;
  return html`<ul class="sv-bars">
    ${rows.map(([name, n]) => html`<li data-name=${name}>
      <span class="sv-bar-label" title=${name}>${name || '(none)'}</span>
      <span class="sv-bar-track"><i style=${{ width: `${max ? (n / max) * 100 : 0}%` }}></i></span>
      ${onPick ? html`<button type="button" class="sv-num sv-numlink" onClick=${() => onPick(name)}>${formatCount(n)}</button>`
        : ctx && linked?.[name] ? html`<${SessionsLink} ctx=${ctx} sessions=${linked[name].sessionIds} total=${linked[name].sessions} label=${what(name)}>${formatCount(n)}<//>`
        : html`<span class="sv-num">${formatCount(n)}</span>`}
    </li>`)}
  </ul>`;
}

/** The loading, failure and empty states around a report. */
export function ReportState<T>({ state, empty, what }: { state: Loaded<T>; empty: boolean; what: string }) {
  if (state.error) return html`<div class="sv-banner is-error" role="alert">Could not load ${what}: ${state.error}</div>`;
  if (state.loading && !state.data) return html`<div class="sv-empty"><span class="sv-spinner" aria-hidden="true"></span> Loading ${what}…</div>`;
  if (empty) return html`<div class="sv-empty"><strong>No data in this range.</strong><span>Widen the dates or pick another segment.</span></div>`;
  return null;
}
