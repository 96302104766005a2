/**
 * The panel's logic, without DOM: it follows the inspected page's recorder (DevTools
 * adapter), finds the token of its relay (token store), checks the relay, follows the page's
 * session over the watch socket (event count, errors), and drives the viewer through its host
 * adapter. The view renders `state`; tests drive it with fake adapters.
 */
import { type Client, ErrorCode, type EventsMessage, SentieroError, type Watch, type WatchState } from '@sentiero/protocol';
import { type HostAdapter, HostCapability, type ViewerToHost, formatRoute, parseRoute } from '@sentiero/viewer';
import { type AnalyticsApi, createAnalyticsApi } from '@sentiero/viewer/analytics-api';
import { type InspectedPage, type PageRecorder, relayOrigin } from './inspected.ts';
import type { DevToolsAdapter, DevToolsTheme, DevToolsToPanel } from './messages.ts';
import { overlayData } from './overlay.ts';
import { type PanelError, type PanelErrorFrame, errorsIn, mergeErrors, sourceLocations } from './session-errors.ts';
import type { TokenStore } from './tokens.ts';

/** What the panel is showing. */
export const PanelStatus = {
  /** Waiting for the first reading of the inspected page. */
  READING: 'reading',
  /** DevTools cannot read the inspected page (a browser page, a crashed tab). */
  UNREADABLE: 'unreadable',
  /** The inspected page has no recorder, or its recorder does not record. */
  NO_RECORDER: 'no-recorder',
  /** The relay's viewer token is needed (none saved, or the saved one was refused). */
  NEED_TOKEN: 'need-token',
  /** Checking the relay and the token. */
  CHECKING: 'checking',
  /** The relay does not answer. */
  UNREACHABLE: 'unreachable',
  /** Connected: the viewer shows the relay's sessions. */
  CONNECTED: 'connected',
} as const;

/** One of the panel statuses. */
export type PanelStatus = (typeof PanelStatus)[keyof typeof PanelStatus];

/** The inspected page's session as the panel follows it. */
export interface FollowedSession {
  id: string;
  windowId: string;
  /** Events received over the watch socket so far (backlog and live). */
  events: number;
  /** Time of the oldest event received: the session's start, from which the viewer's `t` counts. */
  firstEventAt?: number;
  /** Time of the newest event received (ms since epoch, the page's clock). */
  lastEventAt?: number;
  /** When the panel last received events (ms since epoch, the panel's clock). */
  lastReceivedAt?: number;
  /** Whether the relay says it is still being recorded. */
  recording: boolean;
}

/** Everything the view renders. */
export interface PanelState {
  status: PanelStatus;
  /** One or two sentences for the notice (empty when connected and all is well). */
  message: string;
  /** The latest reading of the inspected page. */
  page?: InspectedPage;
  /** The relay in use (the page's). */
  relay?: string;
  /** Its origin: tokens are kept per origin. */
  origin?: string;
  /** The saved token for `origin` was refused. */
  tokenRejected: boolean;
  /** The viewer shows the inspected page's session (and moves with it). */
  following: boolean;
  /** The inspected page's session, once connected. */
  session?: FollowedSession;
  /** The errors of that session, in time order. */
  errors: PanelError[];
  /** DevTools can open a frame in its Sources panel. */
  canOpenResource: boolean;
  /** DevTools' theme. */
  theme: DevToolsTheme;
  /** The viewer has been mounted (on the first connection). */
  viewerMounted: boolean;
  /** The analytics overlay on the inspected page: off, being read, drawn, or failed (with why in `overlayMessage`). */
  overlay: OverlayState;
  overlayMessage?: string;
}

/** The states of the analytics overlay. */
export type OverlayState = 'off' | 'loading' | 'on' | 'failed';

/** The days of analytics the overlay draws. */
export const OVERLAY_DAYS = 7;

/** The viewer as the controller sees it: a host adapter, and a way to mount it on first use. */
export interface ViewerSlot {
  /** The host's side of the channel to the viewer. */
  adapter: HostAdapter;
  /** Mounts the viewer (called once, on the first connection). */
  mount(options: { relayUrl: string; token: string; route: string; theme: DevToolsTheme; capabilities: HostCapability[] }): void;
}

/** What the controller needs. */
export interface ControllerDeps {
  devtools: DevToolsAdapter;
  tokens: TokenStore;
  viewer: ViewerSlot;
  /** The protocol client for a relay (`createClient` of `@sentiero/protocol`). */
  createClient(relayUrl: string, token: string): Client;
  /** Copies text for the viewer when it could not. */
  copyText?(text: string): void;
  /** How long to wait before checking an unreachable relay again (ms, default 3000). */
  retryMs?: number;
  /** The analytics API of a relay (default `createAnalyticsApi` of `@sentiero/viewer/analytics-api`). */
  analytics?(relayUrl: string, token: string): AnalyticsApi;
}

/** The panel controller. */
export interface PanelController {
  readonly state: PanelState;
  /** Calls `fn` after every change of `state`; returns the function that stops. */
  onState(fn: (state: PanelState) => void): () => void;
  /** Saves the token for the current relay's origin and connects with it. */
  submitToken(token: string): Promise<void>;
  /** Shows the inspected page's session again, and follows it. */
  follow(): void;
  /** Shows the relay's session list. */
  showSessions(): void;
  /** Replays the moment an error happened. */
  replayError(error: PanelError): void;
  /** Opens a stack frame in DevTools' Sources panel: its original source when DevTools has it, else the running script; `running` opens the running script. */
  openFrame(frame: PanelErrorFrame, running?: boolean): void;
  /** Checks the page and the relay again now. */
  retry(): void;
  /** Turns the analytics overlay (the last 7 days' clicks and frustration clicks) on the inspected page on or off. */
  toggleOverlay(): void;
  /** Stops everything. */
  dispose(): void;
}

/** How a failed call to the relay is shown. */
export type FailureKind = 'unauthorized' | 'not-found' | 'unreachable';

/** Sorts a failure of the protocol client: a refused token, an unknown session, or a relay that does not answer. */
export function classifyFailure(err: unknown): { kind: FailureKind; message: string } {
  if (err instanceof SentieroError) {
    if (err.code === ErrorCode.UNAUTHORIZED) return { kind: 'unauthorized', message: err.message };
    if (err.code === ErrorCode.NOT_FOUND && err.status === 404) return { kind: 'not-found', message: err.message };
    return { kind: 'unreachable', message: err.status ? `it answered ${err.status}: ${err.message}` : err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'unreachable', message: /fetch|network/i.test(message) ? 'no answer (the server is down, or it is not a Sentiero relay)' : message };
}

/** The messages the notice shows for each status. */
export function describe(state: Pick<PanelState, 'status' | 'page' | 'relay' | 'origin' | 'tokenRejected'>, detail = ''): string {
  switch (state.status) {
    case PanelStatus.READING: return 'Looking for a Sentiero recorder in the inspected page…';
    case PanelStatus.UNREADABLE: return `DevTools cannot read this page${detail ? ` (${detail})` : ''}.`;
    case PanelStatus.NO_RECORDER:
      return state.page?.recorderLoaded
        ? 'The Sentiero recorder is on this page but is not recording: it was stopped, the visitor opted out, or Global Privacy Control is on.'
        : 'This page has no Sentiero recorder. Add the relay\'s script to the app: <script src="/sentiero/recorder.js"></script> then Sentiero.start().';
    case PanelStatus.NEED_TOKEN:
      return state.tokenRejected
        ? `The relay at ${state.origin} refused the viewer token. Enter the token it printed when it started.`
        : `Enter the viewer token of the relay at ${state.origin} (the relay prints it when it starts). It is kept in this extension for that origin.`;
    case PanelStatus.CHECKING: return `Connecting to the relay at ${state.relay}…`;
    case PanelStatus.UNREACHABLE:
      return `Cannot reach the relay at ${state.relay}${detail ? `: ${detail}` : ''}. Is the app's server running? Trying again every few seconds.`;
    case PanelStatus.CONNECTED: return '';
  }
}

const sessionIdOfRoute = (route: string): string | undefined => {
  const r = parseRoute(route);
  return r.view === 'session' ? r.sessionId : undefined;
};

/** Creates the controller and starts it (it listens to DevTools, the token store and the viewer at once). */
export function createPanelController(deps: ControllerDeps): PanelController {
  const retryMs = deps.retryMs ?? 3000;
  const listeners = new Set<(s: PanelState) => void>();
  let state: PanelState = {
    status: PanelStatus.READING,
    message: '',
    tokenRejected: false,
    following: true,
    errors: [],
    canOpenResource: deps.devtools.canOpenResource,
    theme: 'light',
    viewerMounted: false,
    overlay: 'off',
  };
  state.message = describe(state);

  /** The relay connection in use. */
  let conn: { relay: string; origin: string; token: string; client: Client; watch?: Watch; offState?: () => void } | undefined;
  /** The followed session's subscription. */
  let sub: { sessionId: string; off: () => void } | undefined;
  let viewerMounted = false;
  let viewerRoute = '';
  /** Bumped by each new connection attempt, so that late answers of an older one are dropped. */
  let attempt = 0;
  /** The relay and token of the attempt in progress. */
  let pending: { relay: string; token: string | undefined; attempt: number } | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const set = (patch: Partial<PanelState>, detail?: string) => {
    state = { ...state, ...patch };
    if (patch.status !== undefined || detail !== undefined || patch.tokenRejected !== undefined || patch.page !== undefined) {
      state.message = describe(state, detail);
    }
    for (const fn of [...listeners]) fn(state);
  };

  /** The page URL the overlay was drawn for (analytics names a page by origin and path). */
  let overlayUrl: string | undefined;
  let overlayAttempt = 0;
  let overlayGone = false;
  const analyticsPage = (href: string): string => href.slice(0, href.search(/[?#]/) < 0 ? href.length : href.search(/[?#]/));

  /** Reads the page's heatmap and frustration clicks and draws them over the inspected page. */
  async function drawOverlay(): Promise<void> {
    const mine = ++overlayAttempt;
    const href = state.page?.url;
    if (!conn || !href) {
      set({ overlay: 'failed', overlayMessage: 'Connect to the page\'s relay first.' });
      return;
    }
    const url = analyticsPage(href);
    overlayUrl = url;
    set({ overlay: 'loading', overlayMessage: undefined });
    try {
      const api = (deps.analytics ?? createAnalyticsApi)(conn.relay, conn.token);
      const to = Date.now();
      const scope = { from: to - OVERLAY_DAYS * 86_400_000, to };
      const [heat, frustration] = await Promise.all([api.heatmap({ ...scope, url, kind: 'click' }), api.frustration(scope)]);
      if (mine !== overlayAttempt || state.overlay === 'off') return;
      deps.devtools.postMessage({ t: 'overlay', data: overlayData(heat, frustration, url) });
      set({ overlay: 'on', overlayMessage: `${heat.pointCount} click${heat.pointCount === 1 ? '' : 's'} in the last ${OVERLAY_DAYS} days` });
    } catch (err) {
      if (mine !== overlayAttempt || state.overlay === 'off') return;
      set({ overlay: 'failed', overlayMessage: classifyFailure(err).message });
    }
  }

  const navigateViewer = (route: string) => {
    if (viewerMounted && route === viewerRoute) return;
    viewerRoute = route;
    if (viewerMounted) deps.viewer.adapter.postMessage({ t: 'navigate', route });
  };
  const sessionRoute = (sessionId: string) => formatRoute({ view: 'session', sessionId });

  const clearRetry = () => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
  };
  const scheduleRetry = () => {
    clearRetry();
    if (!disposed) retryTimer = setTimeout(() => { retryTimer = undefined; void connect(true); }, retryMs);
  };

  const unsubscribe = () => {
    sub?.off();
    sub = undefined;
  };
  const closeConnection = () => {
    unsubscribe();
    conn?.offState?.();
    conn?.watch?.close();
    conn = undefined;
  };

  const onEvents = (sessionId: string) => (m: EventsMessage) => {
    if (sub?.sessionId !== sessionId || !state.session || state.session.id !== sessionId) return;
    let first = state.session.firstEventAt;
    let last = state.session.lastEventAt;
    for (const e of m.events) {
      if (first === undefined || e.timestamp < first) first = e.timestamp;
      if (last === undefined || e.timestamp > last) last = e.timestamp;
    }
    const session: FollowedSession = { ...state.session, events: state.session.events + m.events.length, lastReceivedAt: Date.now() };
    if (first !== undefined) session.firstEventAt = first;
    if (last !== undefined) session.lastEventAt = last;
    set({ session, errors: mergeErrors(state.errors, errorsIn(m)) });
  };

  /** Follows the recorder's session over the connection's watch socket. */
  const subscribe = (recorder: PageRecorder) => {
    if (!conn?.watch) return;
    if (sub?.sessionId === recorder.sessionId) {
      if (state.session && state.session.windowId !== recorder.windowId) set({ session: { ...state.session, windowId: recorder.windowId } });
      return;
    }
    unsubscribe();
    const id = recorder.sessionId;
    set({ session: { id, windowId: recorder.windowId, events: 0, recording: true }, errors: [] });
    const off = conn.watch.subscribe(id, {
      onEvents: onEvents(id),
      onLive: (active) => { if (state.session?.id === id) set({ session: { ...state.session, recording: active } }); },
      onEnd: () => { if (state.session?.id === id) set({ session: { ...state.session, recording: false } }); },
    });
    sub = { sessionId: id, off };
    if (state.following) navigateViewer(sessionRoute(id));
  };

  const onWatchState = (relay: string) => (ws: WatchState) => {
    if (conn?.relay !== relay) return;
    if (ws === 'unauthorized') {
      closeConnection();
      set({ status: PanelStatus.NEED_TOKEN, tokenRejected: true });
    } else if (ws === 'open') {
      if (state.status === PanelStatus.UNREACHABLE) {
        clearRetry();
        set({ status: PanelStatus.CONNECTED });
      }
    } else if (ws === 'closed' && state.status === PanelStatus.CONNECTED) {
      void checkAlive(relay);
    }
  };

  /** After the watch socket closed: a relay that also fails over REST is shown as unreachable. */
  async function checkAlive(relay: string): Promise<void> {
    const c = conn;
    if (!c || c.relay !== relay) return;
    try {
      await c.client.listSessions({ limit: 1 });
    } catch (err) {
      if (conn !== c) return;
      const f = classifyFailure(err);
      if (f.kind === 'unauthorized') {
        closeConnection();
        set({ status: PanelStatus.NEED_TOKEN, tokenRejected: true });
      } else if (f.kind === 'unreachable') {
        set({ status: PanelStatus.UNREACHABLE }, f.message);
      }
    }
  }

  /**
   * Makes the connection match the inspected page: its relay, the origin's token, its session.
   * `force` reconnects even when nothing changed (a new token, a retry).
   */
  async function connect(force = false): Promise<void> {
    const recorder = state.page?.recorder;
    if (disposed || !recorder) return;
    const relay = recorder.relay;
    const origin = relayOrigin(relay);
    const token = await deps.tokens.get(origin);
    if (disposed || state.page?.recorder?.relay !== relay) return;
    if (!force && conn && conn.relay === relay && conn.token === token) {
      subscribe(state.page.recorder);
      return;
    }
    if (!force && pending && pending.relay === relay && pending.token === token) return;
    const mine = ++attempt;
    pending = { relay, token, attempt: mine };
    try {
      await attemptConnection(mine, relay, origin, token);
    } finally {
      if (pending?.attempt === mine) pending = undefined;
    }
  }

  /** One connection attempt: check the relay (and the token), then open the watch socket and show the viewer. */
  async function attemptConnection(mine: number, relay: string, origin: string, token: string | undefined): Promise<void> {
    clearRetry();
    closeConnection();
    set({ relay, origin, status: PanelStatus.CHECKING });
    const client = deps.createClient(relay, token ?? '');
    try {
      // Without a token, this only tells "reachable" (401) from "unreachable": say the latter
      // rather than ask for a token that could not be checked anyway.
      if (token) await client.getSession(state.page?.recorder?.sessionId ?? '');
      else await client.listSessions({ limit: 1 });
    } catch (err) {
      if (mine !== attempt || disposed) return;
      const f = classifyFailure(err);
      if (f.kind === 'unauthorized') {
        set({ status: PanelStatus.NEED_TOKEN, tokenRejected: token !== undefined });
        return;
      }
      if (f.kind === 'unreachable') {
        set({ status: PanelStatus.UNREACHABLE }, f.message);
        scheduleRetry();
        return;
      }
      // not-found: the session has not reached the store yet; its events will come live.
    }
    if (mine !== attempt || disposed) return;
    if (!token) {
      set({ status: PanelStatus.NEED_TOKEN, tokenRejected: false });
      return;
    }
    const recorder = state.page?.recorder;
    if (!recorder || recorder.relay !== relay) return;
    const watch = client.watch();
    conn = { relay, origin, token, client, watch };
    conn.offState = watch.onState(onWatchState(relay));
    set({ status: PanelStatus.CONNECTED, tokenRejected: false });
    const route = state.following || !viewerRoute ? sessionRoute(recorder.sessionId) : viewerRoute;
    if (!viewerMounted) {
      viewerMounted = true;
      viewerRoute = route;
      deps.viewer.mount({ relayUrl: relay, token, route, theme: state.theme, capabilities: deps.devtools.canOpenResource ? [HostCapability.OPEN_SOURCE] : [] });
      set({ viewerMounted: true });
    } else {
      deps.viewer.adapter.postMessage({ t: 'set-connection', relayUrl: relay, token });
    }
    subscribe(recorder);
  }

  const onPage = (page: InspectedPage) => {
    // A navigation or a reload takes the overlay away with the old document: draw it again on the new one.
    if ((state.overlay === 'on' || state.overlay === 'loading') && page.readyState === 'complete' && (overlayUrl !== analyticsPage(page.url) || overlayGone)) {
      overlayGone = false;
      queueMicrotask(() => void drawOverlay());
    }
    const before = state.page?.recorder;
    if (!page.recorder) {
      // While a page loads, its recorder has not started yet: keep showing what was there.
      if (page.readyState !== 'complete' && before) {
        set({ page: { ...page, recorder: before } });
        return;
      }
      unsubscribe();
      set({ page, status: PanelStatus.NO_RECORDER, session: undefined, errors: [] });
      return;
    }
    const sameRelay = before?.relay === page.recorder.relay;
    set({ page });
    if (state.status === PanelStatus.NO_RECORDER || state.status === PanelStatus.READING || state.status === PanelStatus.UNREADABLE) {
      set({ status: conn ? PanelStatus.CONNECTED : PanelStatus.CHECKING });
    }
    // Waiting for a token: a reload or a new session of the same relay changes nothing.
    if (sameRelay && state.status === PanelStatus.NEED_TOKEN) return;
    void connect();
  };

  const onDevTools = (m: DevToolsToPanel) => {
    if (disposed) return;
    switch (m.t) {
      case 'page': return onPage(m.page);
      case 'page-unreadable':
        unsubscribe();
        set({ status: PanelStatus.UNREADABLE, page: undefined, session: undefined, errors: [] }, m.message);
        return;
      case 'navigated':
        overlayGone = true;
        return;
      case 'theme':
        set({ theme: m.theme });
        if (viewerMounted) deps.viewer.adapter.postMessage({ t: 'set-theme', theme: m.theme });
        return;
    }
  };

  const onViewer = (m: ViewerToHost) => {
    if (disposed) return;
    switch (m.t) {
      case 'route': {
        viewerRoute = m.route;
        const shown = sessionIdOfRoute(m.route);
        const following = shown !== undefined && shown === state.page?.recorder?.sessionId;
        if (following !== state.following) set({ following });
        return;
      }
      case 'auth-failed':
        if (conn) {
          closeConnection();
          set({ status: PanelStatus.NEED_TOKEN, tokenRejected: true });
        }
        return;
      case 'relay-unreachable':
        if (conn) void checkAlive(conn.relay);
        return;
      case 'open-source':
        deps.devtools.postMessage({ t: 'open-resource', url: m.url, line: m.line, ...(m.column ? { column: m.column } : {}) });
        return;
      case 'copy':
        deps.copyText?.(m.text);
        return;
      default:
        return;
    }
  };

  const offDevTools = deps.devtools.addListener(onDevTools);
  const offViewer = deps.viewer.adapter.addListener(onViewer);
  const offTokens = deps.tokens.onChanged((origin) => {
    if (origin !== state.origin) return;
    void deps.tokens.get(origin).then((token) => {
      if (!disposed && token !== conn?.token && state.origin === origin) void connect(true);
    });
  });

  return {
    get state() { return state; },
    onState(fn) {
      listeners.add(fn);
      return () => { listeners.delete(fn); };
    },
    async submitToken(token) {
      const origin = state.origin;
      if (!origin || !token.trim()) return;
      await deps.tokens.set(origin, token);
      await connect(true);
    },
    follow() {
      const id = state.page?.recorder?.sessionId;
      set({ following: true });
      if (id) navigateViewer(sessionRoute(id));
    },
    showSessions() {
      set({ following: false });
      navigateViewer('#/sessions');
    },
    replayError(error) {
      const session = state.session;
      if (!session) return;
      set({ following: false });
      // A second before the error, so that what led to it is seen.
      const t = Math.max(0, error.timestamp - (session.firstEventAt ?? error.timestamp) - 1000);
      navigateViewer(formatRoute({ view: 'session', sessionId: session.id, windowId: error.windowId, t }));
    },
    openFrame(frame, running = false) {
      const { original: _original, ...runningFrame } = frame;
      const [first, ...fallbacks] = sourceLocations(running ? runningFrame : frame);
      deps.devtools.postMessage({ t: 'open-resource', ...first!, ...(fallbacks.length ? { fallbacks } : {}) });
    },
    retry() {
      deps.devtools.postMessage({ t: 'refresh' });
      void connect(true);
    },
    toggleOverlay() {
      if (state.overlay === 'off' || state.overlay === 'failed') {
        void drawOverlay();
        return;
      }
      overlayAttempt++;
      overlayUrl = undefined;
      deps.devtools.postMessage({ t: 'overlay', data: null });
      set({ overlay: 'off', overlayMessage: undefined });
    },
    dispose() {
      disposed = true;
      clearRetry();
      offDevTools();
      offViewer();
      offTokens();
      closeConnection();
      listeners.clear();
    },
  };
}
