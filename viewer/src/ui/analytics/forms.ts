/** Forms: per field of a page's forms, interactions, median time in the field and drop-off (sessions whose last field before leaving the form unsubmitted was this one). */
import { html } from 'htm/preact';
import { toParams } from '../../analytics/query.ts';
import { formatDuration } from '../../format.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ReportState, SessionsLink, formatCount, formatPercent, useReport } from './common.ts';
import { PagePicker } from './page-picker.ts';

/** The forms view. */
export function FormsView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const params = toParams(route.query);
  const url = route.url ?? '';
  const state = useReport(ctx, () => ctx.analytics.forms({ ...params, ...(url ? { url } : {}) }), [params.from, params.to, params.segment, url]);
  const fields = state.data?.fields ?? [];
  const forms = [...new Set(fields.map((f) => f.form))];
  return html`
    <div class="sv-an-forms">
      <${PagePicker} ctx=${ctx} route=${route} label="Forms on" optional=${true} />
      <${ReportState} state=${state} empty=${!!state.data && fields.length === 0} what="the forms" />
      ${forms.map((form) => {
        const rows = fields.filter((f) => f.form === form);
        const most = Math.max(1, ...rows.map((f) => f.interactions));
        return html`<div class="sv-panel" data-form=${form}>
          <h2 class="sv-h2">Form <span class="sv-fg">${form || '(unnamed)'}</span></h2>
          <div class="sv-table sv-an-table" role="table" aria-label=${`Form ${form}`}>
            <div class="sv-tr sv-th sv-form-row" role="row"><span role="columnheader">Field</span><span role="columnheader">Interactions</span><span role="columnheader">Time in field</span><span role="columnheader">Drop-off</span></div>
            ${rows.map((f) => html`<div class="sv-tr sv-form-row" role="row" data-field=${f.field}>
              <span role="cell" class="sv-cell-main"><code class="sv-selector">${f.field}</code><span class="sv-bar-track"><i style=${{ width: `${(f.interactions / most) * 100}%` }}></i></span></span>
              <span role="cell" data-col="interactions"><${SessionsLink} ctx=${ctx} sessions=${f.sessionIds} total=${f.sessions} label=${`Used field ${f.field} of ${form}`} find=${{ kind: 'field', field: f.field }}>${formatCount(f.interactions)}<//></span>
              <span role="cell" class="sv-num" data-col="time">${formatDuration(f.medianTimeMs)}</span>
              <span role="cell" data-col="dropoff" class=${f.abandoned > 0 ? 'sv-dropoff' : ''}>${formatCount(f.abandoned)} <span class="sv-muted">${formatPercent(f.dropOff)}</span></span>
            </div>`)}
          </div>
        </div>`;
      })}
    </div>`;
}
