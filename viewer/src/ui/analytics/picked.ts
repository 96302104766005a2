/** The sessions behind an analytics number (`#/analytics/sessions?ids=…&label=…&find=…`): their rows, each opening its replay at the moment the number counted. */
import type { SessionSummary } from '@sentiero/protocol';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { DEFAULT_DAYS, lastDays } from '../../analytics/query.ts';
import { MOMENT_LEAD_MS, findMoment } from '../../analytics/moment.ts';
import type { PickedRoute, Route } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { Row } from '../list.ts';
import { ViewsNav } from '../views-nav.ts';
import { ReportState, useReport } from './common.ts';

/** How many sessions are fetched at once. */
const PARALLEL = 6;

async function loadAll(ctx: ViewerContext, ids: string[]): Promise<Array<SessionSummary | undefined>> {
  const out: Array<SessionSummary | undefined> = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      out[i] = await ctx.client.getSession(ids[i]!).catch((err: { status?: number }) => {
        if (err.status === 404) return undefined;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, ids.length) }, worker));
  return out;
}

/** The picked sessions' list. */
export function PickedSessions({ ctx, route }: { ctx: ViewerContext; route: PickedRoute }) {
  const picked = route;
  const ids = route.sessions.map((s) => s.id);
  const state = useReport(ctx, () => loadAll(ctx, ids), [ids.join(',')]);
  const found = (state.data ?? []).flatMap((s, i) => (s ? [{ s, t: route.sessions[i]!.t }] : []));
  const gone = state.data ? state.data.length - found.length : 0;
  const now = Date.now();
  const [finding, setFinding] = useState<string>();
  // A row opens its replay at the moment the number counted (found in its events), else where the link said, else at the start.
  const open = async (s: SessionSummary, t: number | undefined) => {
    let route: Route = { view: 'session', sessionId: s.id, ...(t !== undefined ? { t } : {}) };
    if (t === undefined && picked.find) {
      setFinding(s.id);
      const m = await findMoment(ctx.client, s.id, picked.find).catch(() => undefined);
      setFinding(undefined);
      if (m) route = { view: 'session', sessionId: s.id, windowId: m.windowId, t: Math.max(0, m.at - s.startedAt - MOMENT_LEAD_MS) };
    }
    ctx.navigate(route);
  };
  return html`
    <section class="sv-list sv-picked" aria-label="Sessions behind a number">
      <div class="sv-list-head"><div>
        ${ctx.showHeader ? '' : html`<${ViewsNav} ctx=${ctx} current="analytics" inline />`}
        <button type="button" class="sv-link-btn" onClick=${() => ctx.navigate({ view: 'analytics', tab: 'overview', query: lastDays(DEFAULT_DAYS, Date.now()) })}>← Analytics</button>
        <h1 class="sv-h1">Sessions</h1>
        <p class="sv-sub"><span class="sv-picked-label">${route.label || 'Picked sessions'}</span> · ${route.sessions.length} session${route.sessions.length === 1 ? '' : 's'}${gone ? ` (${gone} deleted since)` : ''}</p>
      </div></div>
      <${ReportState} state=${state} empty=${!!state.data && !found.length} what="the sessions" />
      ${finding ? html`<p class="sv-sub" role="status" data-finding=${finding}>Finding the moment in ${finding}…</p>` : ''}
      ${found.length ? html`<div class="sv-table" role="table" aria-label="Sessions">
        <div class="sv-tr sv-th" role="row">
          <span role="columnheader">Session</span><span role="columnheader">Started</span><span role="columnheader">Duration</span>
          <span role="columnheader">Pages</span><span role="columnheader">Browser</span><span role="columnheader">Errors</span>
        </div>
        ${found.map(({ s, t }) => html`<${Row} key=${s.id} s=${s} now=${now} onOpen=${() => open(s, t)} />`)}
      </div>` : ''}
    </section>`;
}
