/** The extension's connection status as the views and the status bar show it (no `vscode` import). */
import type { ConnectionStatus } from './connection.ts';

/** The connection's status, or why there is no connection. */
export type ServiceStatus =
  | { kind: 'not-configured' }
  | { kind: 'no-token'; relayUrl: string }
  | (ConnectionStatus & { relayUrl: string });

/** What a view says about the connection when it cannot show data, or undefined when it can (or when its welcome text says it). */
export function statusMessage(status: ServiceStatus): string | undefined {
  switch (status.kind) {
    case 'not-configured': return undefined;
    case 'no-token': return `No viewer token for ${status.relayUrl}: run "Sentiero: Connect to Relay".`;
    case 'connecting': return `Connecting to ${status.relayUrl}…`;
    case 'connected': return undefined;
    case 'unauthorized': return `${status.message} Run "Sentiero: Connect to Relay" with the right token.`;
    case 'unreachable': return status.message;
  }
}

/** The status bar item's text (with codicons) and tooltip. */
export function statusBarText(status: ServiceStatus, live: number): { text: string; tooltip: string; problem: boolean } {
  switch (status.kind) {
    case 'not-configured': return { text: '$(plug) Sentiero', tooltip: 'Sentiero: not connected. Click to connect to a relay.', problem: false };
    case 'no-token': return { text: '$(key) Sentiero: no token', tooltip: `No viewer token for ${status.relayUrl}. Click to connect.`, problem: true };
    case 'connecting': return { text: '$(sync~spin) Sentiero', tooltip: `Connecting to ${status.relayUrl}…`, problem: false };
    case 'connected': return {
      text: `$(${live ? 'circle-filled' : 'circle-outline'}) ${live} live`,
      tooltip: `Sentiero: connected to ${status.relayUrl} · ${live} live ${live === 1 ? 'session' : 'sessions'}`,
      problem: false,
    };
    case 'unauthorized': return { text: '$(error) Sentiero: token refused', tooltip: status.message, problem: true };
    case 'unreachable': return { text: '$(debug-disconnect) Sentiero: offline', tooltip: status.message, problem: true };
  }
}
