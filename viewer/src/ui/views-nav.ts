/** Sessions / Errors: the switch between the two lists, in the top bar, or at the head of each list when the host hides the bar (`showHeader: false`). */
import { html } from 'htm/preact';
import { DEFAULT_ERROR_FILTERS } from '../errors.ts';
import { DEFAULT_FILTERS } from '../filters.ts';
import type { ViewerContext } from './context.ts';

/** The two links; `sessionsOn` says which one is current. */
export function ViewsNav({ ctx, sessionsOn, inline }: { ctx: ViewerContext; sessionsOn: boolean; inline?: boolean }) {
  const go = (view: 'list' | 'errors') => (e: Event) => {
    e.preventDefault();
    ctx.navigate(view === 'list' ? { view: 'list', filters: { ...DEFAULT_FILTERS } } : { view: 'errors', filters: { ...DEFAULT_ERROR_FILTERS } });
  };
  return html`
    <nav class=${inline ? 'sv-views' : 'sv-nav'} aria-label="Views">
      <a class=${`sv-nav-item ${sessionsOn ? 'is-on' : ''}`} href="#/sessions" data-nav="sessions" aria-current=${sessionsOn ? 'page' : undefined} onClick=${go('list')}>Sessions</a>
      <a class=${`sv-nav-item ${sessionsOn ? '' : 'is-on'}`} href="#/errors" data-nav="errors" aria-current=${sessionsOn ? undefined : 'page'} onClick=${go('errors')}>Errors</a>
    </nav>`;
}
