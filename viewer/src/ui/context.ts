/** What every view gets from `mountViewer`: the relay client, the shared watch socket, and the host. */
import type { Client, Watch } from '@sentiero/protocol';
import type { AnalyticsApi } from '../analytics/api.ts';
import type { AssetUrlMap } from '../asset-urls.ts';
import type { ConnectionState, HostCapability, ViewerToHost } from '../host.ts';
import type { Route } from '../route.ts';

/** The viewer's services, rebuilt when the host changes the connection. */
export interface ViewerContext {
  /** Changes with every new connection (views key on it). */
  readonly generation: number;
  readonly client: Client;
  /** The relay's analytics API. */
  readonly analytics: AnalyticsApi;
  /** The watch socket, opened on first use and shared by every view. */
  watch(): Watch;
  /** The relay's base URL. */
  readonly relayUrl: string;
  /** Where deep links point: the dashboard (`<relayUrl>/`) unless the host says otherwise. */
  readonly linkBase: string;
  readonly capabilities: ReadonlySet<HostCapability>;
  /** Whether the viewer shows its own top bar (brand, Sessions / Errors, connection); hosts with a bar of their own hide it. */
  readonly showHeader: boolean;
  /** One exported session with no relay behind it: no list, no links, no download. */
  readonly standalone: boolean;
  /** Where a replay of `sessionId` loads the recording's remote assets from (the policy is asked of the relay once per connection). */
  assets(sessionId?: string): Promise<AssetUrlMap>;
  /** The state of the watch socket. */
  readonly connection: ConnectionState;
  /** Sends a message to the host. */
  post(message: ViewerToHost): void;
  /** Goes to a route (and tells the host). */
  navigate(route: Route): void;
  /** Reports a failed REST call to the host (401, network). */
  reportFailure(kind: 'auth' | 'unreachable', message: string): void;
}
