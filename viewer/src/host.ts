/**
 * The viewer's host boundary: the typed messages between the viewer and the page, panel or
 * webview that embeds it, and the adapters that carry them. This module has no DOM or rrweb
 * dependency at load time, so extension code can import it alone (`@sentiero/viewer/host`).
 */

/** Version tag of the message envelope; a host and a viewer with different tags ignore each other. */
export const ENVELOPE_VERSION = 1;

/** What a host may offer beyond the basics; the viewer shows the matching buttons only when offered. */
export const HostCapability = {
  /** The host can open a source location (DevTools: the Sources panel; VS Code: the editor). */
  OPEN_SOURCE: 'open-source',
  /** The host has a sign-out (the dashboard forgets its stored token). */
  SIGN_OUT: 'sign-out',
  /** The host saves a session's HTML export itself (VS Code: a save dialog); without it the viewer downloads the file. */
  EXPORT: 'export',
  /** The host has an audit log at `#/audit` (the dashboard, for an admin); the header links to it. */
  AUDIT_LOG: 'audit-log',
} as const;

/** One of the host capabilities. */
export type HostCapability = (typeof HostCapability)[keyof typeof HostCapability];

/** The viewer's color scheme; `auto` follows `prefers-color-scheme`. */
export type Theme = 'light' | 'dark' | 'auto';

/** The state of the viewer's connection to the relay. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

/** The viewer is mounted and listening. */
export interface ReadyMessage { t: 'ready'; version: typeof ENVELOPE_VERSION }
/** The viewer's route changed (the user navigated, or playback moved when `t` is tracked). */
export interface RouteMessage { t: 'route'; route: string }
/** The relay refused the token (REST 401 or watch close 4001). The host should ask for another. */
export interface AuthFailedMessage { t: 'auth-failed'; message: string }
/** The relay could not be reached (network error, or the watch socket keeps closing). */
export interface RelayUnreachableMessage { t: 'relay-unreachable'; message: string }
/** The watch connection changed state. */
export interface ConnectionMessage { t: 'connection'; state: ConnectionState }
/** The user asked to open a stack frame's source location (sent only with the `open-source` capability). */
export interface OpenSourceMessage { t: 'open-source'; url: string; line: number; column?: number; fn?: string }
/** The viewer could not write to the clipboard itself: the host should copy `text`. */
export interface CopyMessage { t: 'copy'; text: string }
/** The user asked to sign out (sent only with the `sign-out` capability). */
export interface SignOutMessage { t: 'sign-out' }
/** The user asked for a session's HTML export (sent only with the `export` capability). */
export interface ExportMessage { t: 'export'; sessionId: string }

/** Every message the viewer sends its host. */
export type ViewerToHost =
  | ReadyMessage | RouteMessage | AuthFailedMessage | RelayUnreachableMessage | ConnectionMessage | OpenSourceMessage
  | CopyMessage | SignOutMessage | ExportMessage;

/** Go to a route (`#/sessions`, `#/sessions/<id>?t=<ms>`). */
export interface NavigateMessage { t: 'navigate'; route: string }
/** Use another relay or token (the viewer reconnects and reloads what it shows). */
export interface SetConnectionMessage { t: 'set-connection'; relayUrl: string; token: string }
/** Change the color scheme (a DevTools or VS Code theme change). */
export interface SetThemeMessage { t: 'set-theme'; theme: Theme }

/** Every message a host sends the viewer. */
export type HostToViewer = NavigateMessage | SetConnectionMessage | SetThemeMessage;

/** A two-way message channel: the one interface between the viewer and its host. */
export interface MessageAdapter<In, Out> {
  /** Calls `fn` with each incoming message; returns the function that stops. */
  addListener(fn: (message: In) => void): () => void;
  /** Sends a message to the other side. */
  postMessage(message: Out): void;
}

/** The viewer's side of the channel. */
export type ViewerAdapter = MessageAdapter<HostToViewer, ViewerToHost>;
/** The host's side of the channel. */
export type HostAdapter = MessageAdapter<ViewerToHost, HostToViewer>;

/** Who sent an envelope. */
export type EnvelopeSource = 'sentiero-viewer' | 'sentiero-host';

/** How messages travel over `postMessage`: tagged, so that other messages on the same window are ignored. */
export interface Envelope<M> {
  sentiero: EnvelopeSource;
  v: typeof ENVELOPE_VERSION;
  message: M;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 8192): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks a message a host sent (it crossed a `postMessage` boundary, so it is untrusted). */
export function isHostToViewer(v: unknown): v is HostToViewer {
  if (!isObj(v)) return false;
  switch (v.t) {
    case 'navigate': return isStr(v.route, 4096);
    case 'set-connection': return isStr(v.relayUrl, 4096) && isStr(v.token, 512);
    case 'set-theme': return v.theme === 'light' || v.theme === 'dark' || v.theme === 'auto';
    default: return false;
  }
}

/** Checks a message a viewer sent. */
export function isViewerToHost(v: unknown): v is ViewerToHost {
  if (!isObj(v)) return false;
  switch (v.t) {
    case 'ready': return v.version === ENVELOPE_VERSION;
    case 'route': return isStr(v.route, 4096);
    case 'auth-failed':
    case 'relay-unreachable': return isStr(v.message);
    case 'connection': return v.state === 'connecting' || v.state === 'open' || v.state === 'closed' || v.state === 'unauthorized';
    case 'open-source': return isStr(v.url, 4096) && isNum(v.line) && (v.column === undefined || isNum(v.column)) && (v.fn === undefined || isStr(v.fn, 1024));
    case 'copy': return isStr(v.text, 8192);
    case 'sign-out': return true;
    case 'export': return isStr(v.sessionId, 128);
    default: return false;
  }
}

/** Wraps a message in its envelope. */
export function toEnvelope<M>(source: EnvelopeSource, message: M): Envelope<M> {
  return { sentiero: source, v: ENVELOPE_VERSION, message };
}

/** The host's message inside an envelope, or undefined when `data` is not one. */
export function hostMessageOf(data: unknown): HostToViewer | undefined {
  if (!isObj(data) || data.sentiero !== 'sentiero-host' || data.v !== ENVELOPE_VERSION) return undefined;
  return isHostToViewer(data.message) ? data.message : undefined;
}

/** The viewer's message inside an envelope, or undefined when `data` is not one. */
export function viewerMessageOf(data: unknown): ViewerToHost | undefined {
  if (!isObj(data) || data.sentiero !== 'sentiero-viewer' || data.v !== ENVELOPE_VERSION) return undefined;
  return isViewerToHost(data.message) ? data.message : undefined;
}

function listeners<T>(): { add(fn: (m: T) => void): () => void; emit(m: T): void } {
  const set = new Set<(m: T) => void>();
  return {
    add(fn) {
      set.add(fn);
      return () => { set.delete(fn); };
    },
    emit(m) {
      for (const fn of [...set]) {
        try {
          fn(m);
        } catch (err) {
          queueMicrotask(() => { throw err; });
        }
      }
    },
  };
}

/** A channel inside one page (the dashboard): no serialization, delivery on a microtask. */
export function createMemoryChannel(): { viewer: ViewerAdapter; host: HostAdapter } {
  const toViewer = listeners<HostToViewer>();
  const toHost = listeners<ViewerToHost>();
  return {
    viewer: { addListener: toViewer.add, postMessage: (m) => queueMicrotask(() => toHost.emit(m)) },
    host: { addListener: toHost.add, postMessage: (m) => queueMicrotask(() => toViewer.emit(m)) },
  };
}

/** The parts of `Window` the window adapters use. */
export interface WindowLike {
  postMessage(message: unknown, targetOrigin: string): void;
}

/** The parts of a window the adapters listen on. */
export interface MessageTarget {
  addEventListener(type: 'message', fn: (ev: MessageEvent) => void): void;
  removeEventListener(type: 'message', fn: (ev: MessageEvent) => void): void;
}

/** Options of `createWindowAdapter` and `createHostWindowAdapter`. */
export interface WindowAdapterOptions {
  /** Where messages go: `window.parent` (viewer in an iframe), `iframe.contentWindow` (host side), or `window` itself. */
  target: WindowLike;
  /** The `targetOrigin` of `postMessage`: the other side's origin (`'*'` only when it cannot be known). */
  targetOrigin: string;
  /** Where messages arrive. Default: the global `window`. */
  self?: MessageTarget;
  /** Accept messages only from this origin (default: `targetOrigin` unless it is `'*'`, then any). */
  allowedOrigin?: string;
}

function windowAdapter<In, Out>(o: WindowAdapterOptions, mine: EnvelopeSource, read: (data: unknown) => In | undefined): MessageAdapter<In, Out> {
  const self = o.self ?? (globalThis as unknown as MessageTarget);
  const allowed = o.allowedOrigin ?? (o.targetOrigin === '*' ? '*' : o.targetOrigin);
  return {
    addListener(fn) {
      const onMessage = (ev: MessageEvent) => {
        if (allowed !== '*' && ev.origin !== allowed) return;
        const m = read(ev.data);
        if (m) fn(m);
      };
      self.addEventListener('message', onMessage);
      return () => self.removeEventListener('message', onMessage);
    },
    postMessage(message) {
      o.target.postMessage(toEnvelope(mine, message), o.targetOrigin);
    },
  };
}

/** The viewer's side over `window.postMessage` (viewer in an iframe, or a host in the same window). */
export function createWindowAdapter(o: WindowAdapterOptions): ViewerAdapter {
  return windowAdapter<HostToViewer, ViewerToHost>(o, 'sentiero-viewer', hostMessageOf);
}

/** The host's side over `window.postMessage` (a page that embeds the viewer in an iframe). */
export function createHostWindowAdapter(o: WindowAdapterOptions): HostAdapter {
  return windowAdapter<ViewerToHost, HostToViewer>(o, 'sentiero-host', viewerMessageOf);
}

/** What `acquireVsCodeApi()` returns inside a VS Code webview (only `postMessage` is used). */
export interface VsCodeApiLike {
  postMessage(message: unknown): void;
}

/**
 * The viewer's side inside a VS Code webview: it posts through `acquireVsCodeApi()` (call it
 * once and pass the result) and hears the extension's `webview.postMessage` as `message`
 * events on the window. The extension wraps with `toEnvelope('sentiero-host', m)` and reads
 * with `viewerMessageOf(data)`.
 */
export function createVsCodeAdapter(api: VsCodeApiLike, self: MessageTarget = globalThis as unknown as MessageTarget): ViewerAdapter {
  return {
    addListener(fn) {
      const onMessage = (ev: MessageEvent) => {
        const m = hostMessageOf(ev.data);
        if (m) fn(m);
      };
      self.addEventListener('message', onMessage);
      return () => self.removeEventListener('message', onMessage);
    },
    postMessage(message) {
      api.postMessage(toEnvelope('sentiero-viewer', message));
    },
  };
}

// The routes are part of the boundary: a host opens a session or a moment by its route.
export { type Route, type SessionRoute, deepLink, formatRoute, parseRoute } from './route.ts';
