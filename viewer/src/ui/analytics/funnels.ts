/** Funnels: ordered steps (a page or a custom event), built here and kept in the route; conversion, drop-off and time between steps as the relay answers. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MomentHint } from '../../analytics/moment.ts';
import { toParams } from '../../analytics/query.ts';
import { type FunnelAnswer, type FunnelStep, MAX_FUNNEL_STEPS } from '../../analytics/types.ts';
import { formatDuration } from '../../format.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { ReportState, SessionsLink, formatCount, formatPercent, useReport } from './common.ts';

interface Draft { kind: 'url' | 'event'; value: string }

const toDraft = (s: FunnelStep): Draft => ('url' in s ? { kind: 'url', value: s.url } : { kind: 'event', value: s.event });
const toStep = (d: Draft): FunnelStep => (d.kind === 'url' ? { url: d.value.trim() } : { event: d.value.trim() });
const stepText = (s: FunnelStep) => ('url' in s ? `Page ${s.url}` : `Event ${s.event}`);
const stepHint = (s: FunnelStep): MomentHint => ('url' in s ? { kind: 'page', url: s.url } : { kind: 'event', name: s.event });

/** The funnels view. */
export function FunnelsView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const steps = route.steps ?? [];
  const [draft, setDraft] = useState<Draft[]>(steps.length ? steps.map(toDraft) : [{ kind: 'url', value: '' }, { kind: 'url', value: '' }]);
  const key = JSON.stringify(steps);
  useEffect(() => { if (steps.length) setDraft(steps.map(toDraft)); }, [key]);
  const params = toParams(route.query);
  const state = useReport<FunnelAnswer | undefined>(ctx,
    () => (steps.length ? ctx.analytics.funnel({ steps, from: params.from, to: params.to, ...(params.segment ? { segment: params.segment } : {}) }) : Promise.resolve(undefined)),
    [params.from, params.to, params.segment, key]);

  const set = (i: number, patch: Partial<Draft>) => setDraft((d) => d.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  const run = (e: Event) => {
    e.preventDefault();
    const next = draft.filter((d) => d.value.trim()).map(toStep);
    if (next.length) ctx.navigate({ ...route, steps: next });
  };
  const r = state.data;
  const first = r?.steps[0]?.count ?? 0;
  return html`
    <div class="sv-an-funnels">
      <form class="sv-panel sv-funnel-builder" onSubmit=${run} aria-label="Funnel steps">
        <h2 class="sv-h2">Steps, in order</h2>
        <ol class="sv-funnel-steps">
          ${draft.map((d, i) => html`<li data-step=${i}>
            <select class="sv-select" name=${`kind-${i}`} aria-label=${`Step ${i + 1} kind`} value=${d.kind} onChange=${(e: Event) => set(i, { kind: (e.target as HTMLSelectElement).value as Draft['kind'] })}>
              <option value="url">Page URL</option><option value="event">Custom event</option>
            </select>
            <input class="sv-input" name=${`value-${i}`} aria-label=${`Step ${i + 1}`} value=${d.value} placeholder=${d.kind === 'url' ? 'https://app.example/pricing' : 'signup'}
              onInput=${(e: Event) => set(i, { value: (e.target as HTMLInputElement).value })} />
            <button type="button" class="sv-icon-btn" aria-label=${`Remove step ${i + 1}`} disabled=${draft.length <= 1}
              onClick=${() => setDraft((x) => x.filter((_, j) => j !== i))}>×</button>
          </li>`)}
        </ol>
        <div class="sv-funnel-actions">
          <button type="button" class="sv-btn" disabled=${draft.length >= MAX_FUNNEL_STEPS} onClick=${() => setDraft((x) => [...x, { kind: 'url', value: '' }])}>Add step</button>
          <button type="submit" class="sv-btn is-primary">Show funnel</button>
        </div>
      </form>
      ${steps.length ? html`<${ReportState} state=${state} empty=${false} what="the funnel" />` : html`<div class="sv-empty"><strong>Build a funnel.</strong><span>Add the pages or custom events people go through, in order.</span></div>`}
      ${r && steps.length ? html`<div class="sv-panel sv-funnel" role="table" aria-label="Funnel">
        ${r.steps.map((s, i) => {
          const prev = i > 0 ? r.steps[i - 1]! : undefined;
          const dropped = prev ? prev.sessions.filter((id) => !s.sessions.includes(id)) : [];
          const step = steps[i]!;
          return html`<div class="sv-funnel-row" role="row" data-step=${i}>
            <span class="sv-funnel-name" role="cell"><b>${i + 1}</b> <span title=${stepText(step)}>${stepText(step)}</span></span>
            <span class="sv-funnel-bar" role="cell"><i style=${{ width: `${first ? (s.count / first) * 100 : 0}%` }}></i></span>
            <span role="cell" data-col="count"><${SessionsLink} ctx=${ctx} sessions=${s.sessions} label=${`Reached step ${i + 1}: ${stepText(step)}`} find=${stepHint(step)}>${formatCount(s.count)}<//></span>
            <span role="cell" class="sv-num" data-col="conversion">${first ? formatPercent(s.count / first) : '—'}</span>
            <span role="cell" data-col="dropoff">${prev ? html`<${SessionsLink} ctx=${ctx} sessions=${dropped} label=${`Left before step ${i + 1}: ${stepText(step)}`} find=${stepHint(steps[i - 1]!)}>${prev.count > s.count ? '−' : ''}${formatCount(prev.count - s.count)}<//> <span class="sv-muted">${prev.count ? formatPercent((prev.count - s.count) / prev.count) : ''}</span>` : html`<span class="sv-muted">—</span>`}</span>
            <span role="cell" class="sv-num" data-col="time">${s.medianMsFromPrevious === null || s.medianMsFromPrevious === undefined || !prev ? '—' : formatDuration(s.medianMsFromPrevious)}</span>
          </div>`;
        })}
        <div class="sv-funnel-foot sv-muted">Bar: share of the first step. Drop-off: sessions that reached the step before and not this one. Time: median from the step before.</div>
      </div>` : ''}
    </div>`;
}
