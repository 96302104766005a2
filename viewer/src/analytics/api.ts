/**
 * The viewer's calls to the relay's analytics API: one method per route, each answering what the
 * relay computed (the viewer never computes analytics from raw events). A refusal becomes a
 * `SentieroError` with the relay's code and the HTTP status, as in the protocol client.
 */
import { createRelayRequest } from '@sentiero/protocol';
import type {
  FormsAnswer, FrustrationAnswer, FunnelAnswer, FunnelRequest, HeatmapAnswer, OverviewAnswer, PagesAnswer, Segment, SegmentFilter,
} from './types.ts';

/** The time window and segment every analytics read takes. */
export interface AnalyticsParams {
  from?: number;
  to?: number;
  segment?: string;
}

/** The analytics routes of one relay. */
export interface AnalyticsApi {
  /** `GET <base>/api/analytics/overview`. */
  overview(p: AnalyticsParams): Promise<OverviewAnswer>;
  /** `GET <base>/api/analytics/pages`. */
  pages(p: AnalyticsParams): Promise<PagesAnswer>;
  /** `GET <base>/api/analytics/frustration`. */
  frustration(p: AnalyticsParams): Promise<FrustrationAnswer>;
  /** `GET <base>/api/analytics/heatmap?url&kind`. */
  heatmap(p: AnalyticsParams & { url: string; kind: HeatmapAnswer['kind'] }): Promise<HeatmapAnswer>;
  /** `GET <base>/api/analytics/forms?url`. */
  forms(p: AnalyticsParams & { url?: string }): Promise<FormsAnswer>;
  /** `POST <base>/api/analytics/funnel`. */
  funnel(body: FunnelRequest): Promise<FunnelAnswer>;
  /** `GET <base>/api/segments`. */
  listSegments(): Promise<Segment[]>;
  /** `POST <base>/api/segments`: saves a segment; resolves to it with its id. */
  createSegment(name: string, filter: SegmentFilter): Promise<Segment>;
  /** `DELETE <base>/api/segments/:id`. */
  deleteSegment(id: string): Promise<void>;
}

/** Creates the analytics calls for the relay at `baseUrl`, with the viewer token. */
export function createAnalyticsApi(baseUrl: string, token: string, fetchImpl?: typeof fetch): AnalyticsApi {
  const request = createRelayRequest(baseUrl, token, fetchImpl);
  const get = async <T>(path: string, params: Record<string, string | number | undefined>): Promise<T> => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return (await (await request(`${path}${qs ? `?${qs}` : ''}`)).json()) as T;
  };
  const post = async <T>(path: string, body: unknown): Promise<T> =>
    (await (await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as T;

  return {
    overview: (p) => get('/api/analytics/overview', { ...p }),
    pages: (p) => get('/api/analytics/pages', { ...p }),
    frustration: (p) => get('/api/analytics/frustration', { ...p }),
    heatmap: (p) => get('/api/analytics/heatmap', { ...p }),
    forms: (p) => get('/api/analytics/forms', { ...p }),
    funnel: (body) => post('/api/analytics/funnel', body),
    listSegments: async () => (await get<{ segments: Segment[] }>('/api/segments', {})).segments,
    createSegment: (name, filter) => post('/api/segments', { name, filter }),
    deleteSegment: async (id) => { await request(`/api/segments/${encodeURIComponent(id)}`, { method: 'DELETE' }); },
  };
}
