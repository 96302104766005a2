/** Segments: the saved filters every analytics view can apply — create, apply, delete. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Segment, SegmentFilter } from '../../analytics/types.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';

const FIELDS = [
  ['url', 'Visited a URL containing', 'https://app.example/pricing'],
  ['event', 'Sent the custom event', 'signup'],
  ['browser', 'Browser', 'Chrome'],
  ['os', 'Operating system', 'Windows'],
  ['device', 'Device', 'mobile'],
] as const;

/** A segment's filter in words. */
export function describeFilter(f: SegmentFilter): string {
  const parts = FIELDS.filter(([k]) => f[k]).map(([k, label]) => `${label} ${f[k]}`);
  if (f.hasErrors) parts.push('Had an error');
  return parts.join(' · ') || 'Every session';
}

/** The segments view; `reload` refreshes the shell's list after a change. */
export function SegmentsView({ ctx, route, segments, reload }: { ctx: ViewerContext; route: AnalyticsRoute; segments: Segment[] | undefined; reload(): void }) {
  const [name, setName] = useState('');
  const [filter, setFilter] = useState<SegmentFilter>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      reload();
      return true;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    const clean: SegmentFilter = {};
    for (const [k] of FIELDS) if (filter[k]?.trim()) clean[k] = filter[k]!.trim();
    if (filter.hasErrors) clean.hasErrors = true;
    if (await act(() => ctx.analytics.createSegment(name.trim(), clean))) {
      setName('');
      setFilter({});
    }
  };
  const apply = (s: Segment) => ctx.navigate({ view: 'analytics', tab: 'overview', query: { ...route.query, segment: s.id } });
  const remove = (s: Segment) => act(async () => {
    await ctx.analytics.deleteSegment(s.id);
    if (route.query.segment === s.id) ctx.navigate({ ...route, query: { ...route.query, segment: '' } });
  });
  return html`
    <div class="sv-an-segments">
      ${error ? html`<div class="sv-banner is-error" role="alert">${error}</div>` : ''}
      <div class="sv-panel">
        <h2 class="sv-h2">Saved segments</h2>
        ${segments === undefined ? html`<div class="sv-empty-small">Loading…</div>`
          : !segments.length ? html`<div class="sv-empty-small">No segment yet: save one below, then pick it above to narrow every view.</div>`
          : html`<ul class="sv-seglist">${segments.map((s) => html`<li data-segment=${s.id} class=${route.query.segment === s.id ? 'is-on' : ''}>
              <span class="sv-cell-main"><span class="sv-strong">${s.name}</span><span class="sv-muted">${describeFilter(s.filter ?? {})}</span></span>
              <button type="button" class="sv-btn sv-btn-sm" onClick=${() => apply(s)}>Apply</button>
              <button type="button" class="sv-btn sv-btn-sm" disabled=${busy} onClick=${() => remove(s)}>Delete</button>
            </li>`)}</ul>`}
      </div>
      <form class="sv-panel sv-segment-form" onSubmit=${create} aria-label="New segment">
        <h2 class="sv-h2">New segment</h2>
        <label class="sv-form-line">Name <input class="sv-input" name="name" required maxLength=${80} value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} placeholder="Mobile visitors" /></label>
        ${FIELDS.map(([k, label, hint]) => html`<label class="sv-form-line">${label}
          <input class="sv-input" name=${k} value=${filter[k] ?? ''} placeholder=${hint} onInput=${(e: Event) => setFilter((f) => ({ ...f, [k]: (e.target as HTMLInputElement).value }))} /></label>`)}
        <label class="sv-chip"><input type="checkbox" name="hasErrors" checked=${!!filter.hasErrors} onChange=${(e: Event) => setFilter((f) => ({ ...f, hasErrors: (e.target as HTMLInputElement).checked }))} /> Had an error</label>
        <div><button type="submit" class="sv-btn is-primary" disabled=${busy || !name.trim()}>Save segment</button></div>
      </form>
    </div>`;
}
