/**
 * The replay webview carries two conversations over one `postMessage` channel: the viewer's
 * own (`@sentiero/viewer`'s `ViewerToHost` / `HostToViewer` in their envelopes), and this small
 * one between the webview's shell and the extension, which exists because the viewer can only
 * be mounted once the extension has handed over the relay URL and the token (never written
 * into the page's HTML or its saved state). No `vscode` import: both sides use it.
 */
import { type Theme, formatRoute, parseRoute } from '@sentiero/viewer/host';

/** The shell has loaded and asks for what it needs to mount the viewer. */
export interface BootMessage { t: 'boot' }
/** Every message the shell sends the extension. */
export type ShellToExtension = BootMessage;

/** Mount the viewer: where the relay is, the token, where to start, and the color scheme. */
export interface StartMessage { t: 'start'; relayUrl: string; token: string; route: string; theme: Theme }
/** The extension has no relay to give (not connected): the shell says so until a `start` comes. */
export interface UnavailableMessage { t: 'unavailable'; message: string }
/** Every message the extension sends the shell. */
export type ExtensionToShell = StartMessage | UnavailableMessage;

/** The tag of the shell's envelopes. */
export const SHELL_ENVELOPE = 'sentiero-vscode-shell';

/** How shell messages travel: tagged, so they are never mistaken for the viewer's. */
export interface ShellEnvelope<M> { [SHELL_ENVELOPE]: 1; message: M }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;

/** Wraps a shell message in its envelope. */
export function toShellEnvelope<M extends ShellToExtension | ExtensionToShell>(message: M): ShellEnvelope<M> {
  return { [SHELL_ENVELOPE]: 1, message };
}

/** The shell's message inside an envelope, or undefined when `data` is not one. */
export function shellMessageOf(data: unknown): ShellToExtension | undefined {
  if (!isObj(data) || data[SHELL_ENVELOPE] !== 1 || !isObj(data.message)) return undefined;
  return data.message.t === 'boot' ? { t: 'boot' } : undefined;
}

/** The extension's message inside an envelope, or undefined when `data` is not one. */
export function extensionMessageOf(data: unknown): ExtensionToShell | undefined {
  if (!isObj(data) || data[SHELL_ENVELOPE] !== 1 || !isObj(data.message)) return undefined;
  const m = data.message;
  if (m.t === 'start' && isStr(m.relayUrl) && isStr(m.token, 512) && isStr(m.route) && (m.theme === 'light' || m.theme === 'dark' || m.theme === 'auto')) {
    return { t: 'start', relayUrl: m.relayUrl, token: m.token, route: m.route, theme: m.theme };
  }
  if (m.t === 'unavailable' && isStr(m.message)) return { t: 'unavailable', message: m.message };
  return undefined;
}

/** What the webview keeps in its saved state (restored by the serializer after a reload): the route only, never the token. */
export interface ReplayPanelState { route: string }

/** The saved state, or undefined when `value` is not one. */
export function replayPanelStateOf(value: unknown): ReplayPanelState | undefined {
  return isObj(value) && isStr(value.route) && value.route.startsWith('#/') ? { route: value.route } : undefined;
}

/** The viewer's route to one session, optionally at `t` ms from its start. */
export function sessionRoute(sessionId: string, t?: number): string {
  return formatRoute(t === undefined ? { view: 'session', sessionId } : { view: 'session', sessionId, t: Math.max(0, Math.floor(t)) });
}

/** The session a route shows, or undefined for any other view. */
export function sessionOfRoute(route: string): string | undefined {
  const r = parseRoute(route);
  return r.view === 'session' ? r.sessionId : undefined;
}
