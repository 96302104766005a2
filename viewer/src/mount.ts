/**
 * `mountViewer(root, options)`: the one way to put the viewer in a page, a DevTools panel or a
 * VS Code webview. The host gives the relay URL and token and a message adapter; the viewer
 * renders into `root` and talks to the relay through `@sentiero/protocol`'s client.
 */
import { type AssetPolicy, type Client, type Watch, type WebSocketConstructor, createClient } from '@sentiero/protocol';
import { h, render } from 'preact';
import { type AnalyticsApi, createAnalyticsApi } from './analytics/api.ts';
import { assetUrlMap } from './asset-urls.ts';
import type { ConnectionState, HostCapability, HostToViewer, Theme, ViewerAdapter, ViewerToHost } from './host.ts';
import { type Route, formatRoute, parseRoute } from './route.ts';
import { App } from './ui/app.ts';
import type { ViewerContext } from './ui/context.ts';

/** Options of `mountViewer`. */
export interface ViewerOptions {
  /** The relay's base URL, e.g. `https://app.example/sentiero`. */
  relayUrl: string;
  /** The viewer token. */
  token: string;
  /** The channel to the host; without one, messages to the host are dropped. */
  adapter?: ViewerAdapter;
  /** Where to start: `#/sessions`, `#/sessions/<id>?t=<ms>`. Default: the list. */
  route?: string;
  /** `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** `WebSocket` to use (default: the global one). */
  WebSocket?: WebSocketConstructor;
  /** Color scheme. Default `auto`. */
  theme?: Theme;
  /** What the host can do beyond the basics. */
  capabilities?: readonly HostCapability[];
  /** Base of the links "copy link at this moment" makes. Default: the dashboard, `<relayUrl>/`. */
  linkBase?: string;
  /**
   * Whether to show the viewer's own top bar (brand, Sessions / Errors, connection state).
   * Default `true`. A host with a bar of its own (the DevTools panel) passes `false`: the lists
   * then carry the Sessions / Errors switch at their head, a session keeps its "Sessions" back
   * button, and the connection state reaches the host as `connection` messages only.
   */
  showHeader?: boolean;
  /**
   * One session with no relay behind it (an HTML export): no way back to the list, no links to
   * copy, no download. Default `false`.
   */
  standalone?: boolean;
}

/** What `mountViewer` returns. */
export interface ViewerHandle {
  /** Goes to a route (`#/sessions/<id>?t=<ms>`), as the host's `navigate` message does. */
  navigate(route: string): void;
  /** Switches to another relay or token. */
  setConnection(relayUrl: string, token: string): void;
  /** Changes the color scheme. */
  setTheme(theme: Theme): void;
  /** The current route's text. */
  readonly route: string;
  /** Unmounts the viewer and closes its connections. */
  destroy(): void;
}

const trim = (u: string) => u.replace(/\/+$/, '');

/** Mounts the viewer into `root`. Options are checked here; a wrong one throws a `TypeError` that names it. */
export function mountViewer(root: HTMLElement, options: ViewerOptions): ViewerHandle {
  if (!root || typeof (root as { appendChild?: unknown }).appendChild !== 'function') throw new TypeError('mountViewer: "root" must be an element');
  if (typeof options?.relayUrl !== 'string' || !/^https?:\/\//.test(options.relayUrl)) {
    throw new TypeError('mountViewer: "relayUrl" must be an absolute http(s) URL, e.g. "http://localhost:3000/sentiero"');
  }
  if (typeof options.token !== 'string') throw new TypeError('mountViewer: "token" must be a string');
  if (options.showHeader !== undefined && typeof options.showHeader !== 'boolean') throw new TypeError('mountViewer: "showHeader" must be a boolean');
  if (options.standalone !== undefined && typeof options.standalone !== 'boolean') throw new TypeError('mountViewer: "standalone" must be a boolean');

  const adapter = options.adapter;
  const capabilities = new Set(options.capabilities ?? []);
  let route: Route = parseRoute(options.route ?? '');
  let relayUrl = trim(options.relayUrl);
  let token = options.token;
  let generation = 0;
  let client: Client;
  let analytics: AnalyticsApi;
  let watch: Watch | undefined;
  let assets: Promise<AssetPolicy> | undefined;
  let connection: ConnectionState = 'connecting';
  let closedInARow = 0;
  let destroyed = false;
  const cleanups: Array<() => void> = [];

  const post = (m: ViewerToHost) => {
    if (!destroyed) adapter?.postMessage(m);
  };

  const connect = () => {
    generation++;
    watch?.close();
    watch = undefined;
    assets = undefined;
    connection = 'connecting';
    closedInARow = 0;
    analytics = createAnalyticsApi(relayUrl, token, options.fetch);
    client = createClient({ baseUrl: relayUrl, token, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}) });
    // The header shows the watch socket's state, so with a header the socket opens at once; without
    // one it opens when a view needs it (a session replayed from the store needs none).
    if (options.showHeader !== false) queueMicrotask(() => { if (!destroyed && watch === undefined) getWatch(); });
  };

  const getWatch = (): Watch => {
    if (watch) return watch;
    const w = client.watch();
    watch = w;
    w.onState((state, detail) => {
      if (watch !== w) return;
      connection = state;
      post({ t: 'connection', state });
      if (state === 'open') closedInARow = 0;
      if (state === 'unauthorized') post({ t: 'auth-failed', message: detail?.reason || 'the relay refused the viewer token' });
      if (state === 'closed' && ++closedInARow === 3) post({ t: 'relay-unreachable', message: `the watch socket closed ${closedInARow} times in a row${detail ? ` (last: ${detail.code})` : ''}` });
      paint();
    });
    return w;
  };

  const ctxFor = (): ViewerContext => ({
    generation,
    client,
    analytics,
    watch: getWatch,
    relayUrl,
    linkBase: options.linkBase ?? relayUrl,
    capabilities,
    showHeader: options.showHeader !== false,
    standalone: options.standalone === true,
    assets: (sessionId) => (assets ??= client.getAssetPolicy().catch((err: unknown) => {
      assets = undefined;
      throw err;
    })).then((p) => assetUrlMap(p, relayUrl, sessionId)),
    connection,
    post,
    navigate: (r) => go(r, true),
    reportFailure: (kind, message) => post(kind === 'auth' ? { t: 'auth-failed', message } : { t: 'relay-unreachable', message }),
  });

  let painting = false;
  function paint(): void {
    if (destroyed || painting) return;
    painting = true;
    queueMicrotask(() => {
      painting = false;
      if (!destroyed) render(h(App, { ctx: ctxFor(), route }), root);
    });
  }

  function go(r: Route, tell: boolean): void {
    route = r;
    if (tell) post({ t: 'route', route: formatRoute(r) });
    paint();
  }

  function setTheme(theme: Theme): void {
    root.dataset.theme = theme;
  }

  root.classList.add('sv-root');
  setTheme(options.theme ?? 'auto');
  connect();
  if (adapter) {
    cleanups.push(adapter.addListener((m: HostToViewer) => {
      if (m.t === 'navigate') go(parseRoute(m.route), false);
      else if (m.t === 'set-connection') handle.setConnection(m.relayUrl, m.token);
      else if (m.t === 'set-theme') setTheme(m.theme);
    }));
  }
  paint();
  post({ t: 'ready', version: 1 });

  const handle: ViewerHandle = {
    navigate(r) {
      go(parseRoute(r), false);
    },
    setConnection(url, tok) {
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new TypeError('setConnection: the relay URL must be an absolute http(s) URL');
      relayUrl = trim(url);
      token = String(tok);
      connect();
      paint();
    },
    setTheme,
    get route() {
      return formatRoute(route);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const c of cleanups) c();
      render(null, root);
      watch?.close();
      root.classList.remove('sv-root');
    },
  };
  return handle;
}
