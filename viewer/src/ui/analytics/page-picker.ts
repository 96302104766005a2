/** The page (URL) a heatmap or the forms view is about: chosen among the pages the relay saw in the range, most viewed first. */
import { html } from 'htm/preact';
import { toParams } from '../../analytics/query.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { useReport } from './common.ts';

/** A select of the range's pages; `optional` adds "every page". */
export function PagePicker({ ctx, route, label, optional }: { ctx: ViewerContext; route: AnalyticsRoute; label: string; optional?: boolean }) {
  const params = toParams(route.query);
  const state = useReport(ctx, () => ctx.analytics.pages(params), [params.from, params.to, params.segment]);
  const urls = state.data ? [...state.data.pages].sort((a, b) => b.views - a.views).map((p) => p.url) : [];
  if (route.url && !urls.includes(route.url)) urls.unshift(route.url);
  const pick = (url: string) => {
    const { url: _old, ...rest } = route;
    ctx.navigate(url ? { ...rest, url } : rest);
  };
  return html`<label class="sv-an-picker">${label}
    <select class="sv-select" name="url" value=${route.url ?? ''} onChange=${(e: Event) => pick((e.target as HTMLSelectElement).value)}>
      ${optional || !route.url ? html`<option value="">${optional ? 'Every page' : 'Pick a page…'}</option>` : ''}
      ${urls.map((u) => html`<option value=${u}>${u}</option>`)}
    </select>
  </label>`;
}
