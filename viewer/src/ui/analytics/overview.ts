/** Overview: sessions, visitors, pages per session, median duration, bounce rate, sessions per day, browsers / OS / devices (each count opening its sessions) and the top custom events. */
import { html } from 'htm/preact';
import { DAY_MS, startOfDay, toParams } from '../../analytics/query.ts';
import { formatDuration } from '../../format.ts';
import { DEFAULT_FILTERS } from '../../filters.ts';
import type { AnalyticsRoute, Route } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { DayChart } from './chart.ts';
import { CountBars, ReportState, SessionsLink, formatCount, formatPercent, pickedRoute, useReport } from './common.ts';

/** The session list for a time window (ms). */
function listBetween(from: number, to: number): Route {
  return { view: 'list', filters: { ...DEFAULT_FILTERS, from, to } };
}

/** The overview. */
export function OverviewView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const params = toParams(route.query);
  const state = useReport(ctx, () => ctx.analytics.overview(params), [params.from, params.to, params.segment]);
  const o = state.data;
  // Without a segment the session list shows exactly these sessions; with one, the relay's list of them does.
  const all = o && params.segment ? pickedRoute(o.sessionIds, `Sessions in the segment${o.sessions > o.sessionIds.length ? ` (the latest ${o.sessionIds.length} of ${o.sessions})` : ''}`) : listBetween(params.from, params.to);
  const cards: Array<[string, string, string, Route | undefined]> = o ? [
    ['sessions', 'Sessions', formatCount(o.sessions), all],
    ['visitors', 'Visitors', formatCount(o.visitors), all],
    ['pages-per-session', 'Pages per session', o.sessions ? (o.pageviews / o.sessions).toFixed(1) : '—', all],
    ['median-duration', 'Median duration', formatDuration(o.medianDurationMs), all],
    ['bounce-rate', 'Bounce rate', formatPercent(o.bounceRate), all],
    ['engagement', 'Median engagement', `${Math.round(o.medianEngagement)} / 100`, all],
  ] : [];
  return html`
    <div class="sv-an-overview">
      <${ReportState} state=${state} empty=${!!o && o.sessions === 0} what="the overview" />
      ${o && o.sessions > 0 ? html`
        <div class="sv-cards">
          ${cards.map(([key, label, value, to]) => html`<div class="sv-card" data-metric=${key}>
            <span class="sv-card-label">${label}</span>
            <${SessionsLink} ctx=${ctx} label=${label} route=${to}><span class="sv-card-value">${value}</span><//>
          </div>`)}
        </div>
        <div class="sv-panel">
          <h2 class="sv-h2">Sessions per day</h2>
          <${DayChart} days=${o.perDay} onPick=${(day: string) => ctx.navigate(listBetween(startOfDay(day), startOfDay(day) + DAY_MS - 1))} />
        </div>
        <div class="sv-grid-3">
          <div class="sv-panel" data-breakdown="browsers"><h2 class="sv-h2">Browsers</h2><${CountBars} counts=${o.browsers} ctx=${ctx} linked=${o.linked?.browsers} what=${(name: string) => `Browser ${name || '(none)'}`} /></div>
          <div class="sv-panel" data-breakdown="os"><h2 class="sv-h2">Operating systems</h2><${CountBars} counts=${o.os} ctx=${ctx} linked=${o.linked?.os} what=${(name: string) => `OS ${name || '(none)'}`} /></div>
          <div class="sv-panel" data-breakdown="devices"><h2 class="sv-h2">Devices</h2><${CountBars} counts=${o.devices} ctx=${ctx} linked=${o.linked?.devices} what=${(name: string) => `Device ${name || '(none)'}`} /></div>
        </div>
        <div class="sv-panel" data-breakdown="events">
          <h2 class="sv-h2">Top custom events</h2>
          <${CountBars} counts=${o.customEvents} limit=${12}
            onPick=${(name: string) => ctx.navigate({ view: 'analytics', tab: 'funnels', query: route.query, steps: [{ event: name }] })} />
        </div>` : ''}
    </div>`;
}
