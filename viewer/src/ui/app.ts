/** The viewer's root: top bar (Sessions / Errors / Analytics, the connection state), then the list, a session, the errors, one error group, or an analytics view. */
import { html } from 'htm/preact';
import { HostCapability } from '../host.ts';
import type { Route } from '../route.ts';
import type { SessionController } from '../session.ts';
import { DEFAULT_FILTERS } from '../filters.ts';
import type { ViewerContext } from './context.ts';
import { ErrorGroupView, ErrorList } from './errors.ts';
import { Icon } from './icons.ts';
import { SessionList } from './list.ts';
import { StorageFigure } from './privacy.ts';
import { SessionView } from './session-view.ts';
import { AnalyticsView } from './analytics/index.ts';
import { PickedSessions } from './analytics/picked.ts';
import { ViewsNav, areaOf } from './views-nav.ts';

const CONNECTION_TEXT = { connecting: 'Connecting…', open: 'Live updates on', closed: 'Reconnecting…', unauthorized: 'Token refused' } as const;

/** Props of the root. */
export interface AppProps {
  ctx: ViewerContext;
  route: Route;
  onController?(c: SessionController | undefined): void;
}

/** The root component. */
export function App({ ctx, route, onController }: AppProps) {
  return html`
    <div class=${`sv-app ${ctx.showHeader ? '' : 'is-headless'}`}>
      ${ctx.showHeader ? html`<header class="sv-top">
        <a class="sv-brand" href="#/sessions" onClick=${(e: Event) => { e.preventDefault(); ctx.navigate({ view: 'list', filters: { ...DEFAULT_FILTERS } }); }}>
          ${Icon.logo()}<span>Sentiero</span>
        </a>
        <${ViewsNav} ctx=${ctx} current=${areaOf(route)} />
        <span class="sv-top-sep"></span>
        <${StorageFigure} ctx=${ctx} />
        <span class=${`sv-conn is-${ctx.connection}`} data-connection=${ctx.connection}><i></i>${CONNECTION_TEXT[ctx.connection]}</span>
        ${ctx.capabilities.has(HostCapability.AUDIT_LOG) ? html`<a class="sv-link-btn sv-audit-link" href="#/audit">Audit log</a>` : ''}
        ${ctx.capabilities.has(HostCapability.SIGN_OUT) ? html`<button type="button" class="sv-link-btn sv-signout" onClick=${() => ctx.post({ t: 'sign-out' })}>Sign out</button>` : ''}
      </header>` : ''}
      <main class="sv-main">
        ${route.view === 'session'
          ? html`<${SessionView} key=${`${ctx.generation}:${route.sessionId}`} ctx=${ctx} sessionId=${route.sessionId} t=${route.t} windowId=${route.windowId} onController=${onController} />`
          : route.view === 'errors' ? html`<${ErrorList} ctx=${ctx} filters=${route.filters} />`
          : route.view === 'analytics' ? html`<${AnalyticsView} ctx=${ctx} route=${route} />`
          : route.view === 'picked' ? html`<${PickedSessions} ctx=${ctx} route=${route} />`
          : route.view === 'error' ? html`<${ErrorGroupView} key=${`${ctx.generation}:${route.groupId}`} ctx=${ctx} groupId=${route.groupId} />`
          : html`<${SessionList} ctx=${ctx} filters=${route.filters} />`}
      </main>
    </div>`;
}
