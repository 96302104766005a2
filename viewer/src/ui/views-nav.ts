/** Sessions / Errors / Analytics: the switch between the viewer's areas, in the top bar, or at the head of each list when the host hides the bar (`showHeader: false`). */
import { html } from 'htm/preact';
import { lastDays, DEFAULT_DAYS } from '../analytics/query.ts';
import { DEFAULT_ERROR_FILTERS } from '../errors.ts';
import { DEFAULT_FILTERS } from '../filters.ts';
import type { Route } from '../route.ts';
import type { ViewerContext } from './context.ts';

/** The viewer's areas. */
export type ViewArea = 'sessions' | 'errors' | 'analytics';

/** The area a route belongs to. */
export function areaOf(route: Route): ViewArea {
  if (route.view === 'errors' || route.view === 'error') return 'errors';
  if (route.view === 'analytics' || route.view === 'picked') return 'analytics';
  return 'sessions';
}

const AREAS: ReadonlyArray<[ViewArea, string, string]> = [['sessions', 'Sessions', '#/sessions'], ['errors', 'Errors', '#/errors'], ['analytics', 'Analytics', '#/analytics/overview']];

function homeOf(area: ViewArea): Route {
  if (area === 'errors') return { view: 'errors', filters: { ...DEFAULT_ERROR_FILTERS } };
  if (area === 'analytics') return { view: 'analytics', tab: 'overview', query: lastDays(DEFAULT_DAYS, Date.now()) };
  return { view: 'list', filters: { ...DEFAULT_FILTERS } };
}

/** The links; `current` says which one is on. */
export function ViewsNav({ ctx, current, inline }: { ctx: ViewerContext; current: ViewArea; inline?: boolean }) {
  return html`
    <nav class=${inline ? 'sv-views' : 'sv-nav'} aria-label="Views">
      ${AREAS.map(([area, label, href]) => html`<a class=${`sv-nav-item ${current === area ? 'is-on' : ''}`} href=${href} data-nav=${area}
        aria-current=${current === area ? 'page' : undefined} onClick=${(e: Event) => { e.preventDefault(); ctx.navigate(homeOf(area)); }}>${label}</a>`)}
    </nav>`;
}
