/** The frame of every analytics view: its tabs, the date range (from / to, with presets) and the segment selector they share. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { type AnalyticsQuery, AnalyticsTab, type AnalyticsTabKey, lastDays } from '../../analytics/query.ts';
import type { Segment } from '../../analytics/types.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ViewsNav } from '../views-nav.ts';

const PRESETS = [[7, '7 days'], [30, '30 days'], [90, '90 days']] as const;

/** Props of the shell. */
export interface ShellProps {
  ctx: ViewerContext;
  route: AnalyticsRoute;
  /** The saved segments (for the selector). */
  segments: Segment[] | undefined;
  children: ComponentChildren;
}

/** The shell around one analytics view. */
export function AnalyticsShell({ ctx, route, segments, children }: ShellProps) {
  const q = route.query;
  const setQuery = (patch: Partial<AnalyticsQuery>) => ctx.navigate({ ...route, query: { ...q, ...patch } });
  const tab = (key: AnalyticsTabKey) => (e: Event) => {
    e.preventDefault();
    ctx.navigate({ view: 'analytics', tab: key, query: q });
  };
  const now = Date.now();
  const preset = PRESETS.find(([days]) => {
    const p = lastDays(days, now);
    return p.from === q.from && p.to === q.to;
  })?.[0];
  return html`
    <section class="sv-analytics" aria-label="Analytics" data-tab=${route.tab}>
      ${ctx.showHeader ? '' : html`<${ViewsNav} ctx=${ctx} current="analytics" inline=${true} />`}
      <div class="sv-an-head">
        <nav class="sv-an-tabs" aria-label="Analytics views">
          ${(Object.keys(AnalyticsTab) as AnalyticsTabKey[]).map((k) => html`
            <a class=${`sv-an-tab ${route.tab === k ? 'is-on' : ''}`} href=${`#/analytics/${k}`} data-tab=${k}
              aria-current=${route.tab === k ? 'page' : undefined} onClick=${tab(k)}>${AnalyticsTab[k]}</a>`)}
        </nav>
        <form class="sv-an-query" onSubmit=${(e: Event) => e.preventDefault()}>
          <span class="sv-an-presets" role="group" aria-label="Date presets">
            ${PRESETS.map(([days, label]) => html`<button type="button" class=${`sv-chip ${preset === days ? 'is-on' : ''}`} data-days=${days}
              onClick=${() => setQuery({ ...lastDays(days, Date.now()), segment: q.segment })}>${label}</button>`)}
          </span>
          <label class="sv-an-date">From <input type="date" name="from" value=${q.from} max=${q.to}
            onChange=${(e: Event) => { const v = (e.target as HTMLInputElement).value; if (v) setQuery({ from: v }); }} /></label>
          <label class="sv-an-date">To <input type="date" name="to" value=${q.to} min=${q.from}
            onChange=${(e: Event) => { const v = (e.target as HTMLInputElement).value; if (v) setQuery({ to: v }); }} /></label>
          <select class="sv-select" name="segment" aria-label="Segment" value=${q.segment}
            onChange=${(e: Event) => setQuery({ segment: (e.target as HTMLSelectElement).value })}>
            <option value="">All sessions</option>
            ${(segments ?? []).map((s) => html`<option value=${s.id}>${s.name}</option>`)}
            ${q.segment && segments && !segments.some((s) => s.id === q.segment) ? html`<option value=${q.segment}>(deleted segment)</option>` : ''}
          </select>
        </form>
      </div>
      <div class="sv-an-body">${children}</div>
    </section>`;
}
