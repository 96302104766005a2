/** The analytics area: the shell (tabs, dates, segment) with the saved segments loaded once, around the current view. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Segment } from '../../analytics/types.ts';
import type { AnalyticsRoute } from '../../route.ts';
import type { ViewerContext } from '../context.ts';
import { FormsView } from './forms.ts';
import { FrustrationView } from './frustration.ts';
import { FunnelsView } from './funnels.ts';
import { HeatmapsView } from './heatmaps.ts';
import { OverviewView } from './overview.ts';
import { PagesView } from './pages.ts';
import { SegmentsView } from './segments.ts';
import { AnalyticsShell } from './shell.ts';

/** The analytics view the route names. */
export function AnalyticsView({ ctx, route }: { ctx: ViewerContext; route: AnalyticsRoute }) {
  const [segments, setSegments] = useState<Segment[]>();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let cancelled = false;
    ctx.analytics.listSegments().then((s) => { if (!cancelled) setSegments(s); }, () => { if (!cancelled) setSegments([]); });
    return () => { cancelled = true; };
  }, [ctx.generation, version]);
  const props = { ctx, route };
  return html`<${AnalyticsShell} ctx=${ctx} route=${route} segments=${segments}>
    ${route.tab === 'overview' ? html`<${OverviewView} ...${props} />`
      : route.tab === 'pages' ? html`<${PagesView} ...${props} />`
      : route.tab === 'heatmaps' ? html`<${HeatmapsView} ...${props} />`
      : route.tab === 'forms' ? html`<${FormsView} ...${props} />`
      : route.tab === 'funnels' ? html`<${FunnelsView} ...${props} />`
      : route.tab === 'frustration' ? html`<${FrustrationView} ...${props} />`
      : html`<${SegmentsView} ...${props} segments=${segments} reload=${() => setVersion((v) => v + 1)} />`}
  <//>`;
}
