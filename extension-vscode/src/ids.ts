/**
 * Every id the extension shares with its package.json: commands, views, the webview type,
 * context keys, settings and the secret's key. A test checks that package.json agrees.
 */

/** Command ids. */
export const Command = {
  CONNECT: 'sentiero.connect',
  DISCONNECT: 'sentiero.disconnect',
  REFRESH: 'sentiero.refresh',
  OPEN_SESSION: 'sentiero.openSession',
  WATCH_SESSION: 'sentiero.watchSession',
  REPLAY_LAST: 'sentiero.replayLast',
  SHOW_ERROR_SESSIONS: 'sentiero.showErrorSessions',
  RESOLVE_ERROR: 'sentiero.resolveError',
  IGNORE_ERROR: 'sentiero.ignoreError',
  REOPEN_ERROR: 'sentiero.reopenError',
  EXPORT_SESSION: 'sentiero.exportSession',
} as const;

/** One of the command ids. */
export type Command = (typeof Command)[keyof typeof Command];

/** The activity bar container and its views. */
export const View = {
  CONTAINER: 'sentiero',
  SESSIONS: 'sentiero.sessions',
  ERRORS: 'sentiero.errors',
} as const;

/** The replay webview's type (also its serializer's key and the `onWebviewPanel:` activation event). */
export const REPLAY_VIEW_TYPE = 'sentiero.replay';

/** Context keys for `when` clauses. */
export const ContextKey = {
  /** A relay URL is set. */
  CONFIGURED: 'sentiero.configured',
} as const;

/** Settings, without the `sentiero.` section prefix. */
export const Setting = {
  SECTION: 'sentiero',
  RELAY_URL: 'relayUrl',
  EDITOR_STATUSES: 'editor.statuses',
  EDITOR_CODE_LENS: 'editor.codeLens',
} as const;

/** The SecretStorage key of a relay's viewer token (one per relay URL). */
export function tokenSecretKey(relayUrl: string): string {
  return `sentiero.token:${relayUrl}`;
}

/** The `contextValue` of a session tree item (`session.live` or `session.ended`). */
export function sessionContextValue(live: boolean): string {
  return live ? 'session.live' : 'session.ended';
}

/** The `contextValue` of an error group tree item, carrying its status for the menus' `when` clauses. */
export function errorGroupContextValue(status: string): string {
  return `errorGroup.${status}`;
}

/** The name of the diagnostics collection and the `source` of every diagnostic. */
export const DIAGNOSTIC_SOURCE = 'Sentiero';
