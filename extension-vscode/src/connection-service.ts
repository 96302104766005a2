/**
 * Owns the connection to the relay: reads the URL from the settings and the token from
 * SecretStorage, makes a `RelayConnection` (with `ws`, as Node 20 has no global WebSocket),
 * and makes a new one whenever either changes, so a corrected token or URL takes effect
 * without a reload. The views, the editor and the webviews listen to it.
 */
import * as vscode from 'vscode';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '@sentiero/protocol';
import { ContextKey, tokenSecretKey } from './ids.ts';
import { RelayConnection } from './relay/connection.ts';
import type { ServiceStatus } from './relay/service-status.ts';
import type { Settings } from './settings.ts';

/** The relay connection of this window, remade when the URL or the token changes. */
export class ConnectionService implements vscode.Disposable {
  private readonly statusChanged = new vscode.EventEmitter<ServiceStatus>();
  private readonly sessionsChanged = new vscode.EventEmitter<void>();
  private readonly errorsChanged = new vscode.EventEmitter<void>();
  private readonly connectionChanged = new vscode.EventEmitter<RelayConnection | undefined>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private current: RelayConnection | undefined;
  private state: ServiceStatus = { kind: 'not-configured' };
  private generation = 0;

  /** The status changed. */
  readonly onDidChangeStatus = this.statusChanged.event;
  /** The session list changed. */
  readonly onDidChangeSessions = this.sessionsChanged.event;
  /** The error groups changed. */
  readonly onDidChangeErrors = this.errorsChanged.event;
  /** A new connection replaced the old one (or there is none now). */
  readonly onDidChangeConnection = this.connectionChanged.event;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly settings: Settings, private readonly log: vscode.LogOutputChannel) {
    this.subscriptions.push(
      settings.onDidChange(({ previous, current }) => {
        if (previous.relayUrl !== current.relayUrl) void this.reconnect();
      }),
      secrets.onDidChange((e) => {
        if (e.key === tokenSecretKey(this.settings.current.relayUrl)) void this.reconnect();
      }),
    );
    void this.reconnect();
  }

  /** The live connection, if any. */
  get connection(): RelayConnection | undefined {
    return this.current;
  }

  /** The status now. */
  get status(): ServiceStatus {
    return this.state;
  }

  /** The token of the configured relay, if one is stored. */
  async token(): Promise<string | undefined> {
    const url = this.settings.current.relayUrl;
    return url ? this.secrets.get(tokenSecretKey(url)) : undefined;
  }

  /** Saves a relay URL and its token, and connects to it. */
  async connect(relayUrl: string, token: string): Promise<void> {
    await this.secrets.store(tokenSecretKey(relayUrl), token);
    if (this.settings.current.relayUrl !== relayUrl) await this.settings.setRelayUrl(relayUrl);
    await this.reconnect();
  }

  /** Forgets the relay's token and URL. */
  async disconnect(): Promise<void> {
    const url = this.settings.current.relayUrl;
    if (url) await this.secrets.delete(tokenSecretKey(url));
    await this.settings.setRelayUrl('');
    await this.reconnect();
  }

  /** Makes a new connection from the settings and the stored token. */
  async reconnect(): Promise<void> {
    const generation = ++this.generation;
    const relayUrl = this.settings.current.relayUrl;
    const token = relayUrl ? await this.secrets.get(tokenSecretKey(relayUrl)) : undefined;
    if (generation !== this.generation) return;
    this.current?.dispose();
    this.current = undefined;
    void vscode.commands.executeCommand('setContext', ContextKey.CONFIGURED, !!relayUrl);
    if (!relayUrl) {
      this.setStatus({ kind: 'not-configured' });
    } else if (!token) {
      this.setStatus({ kind: 'no-token', relayUrl });
    } else {
      const conn = new RelayConnection({ baseUrl: relayUrl, token, WebSocket: WebSocket as unknown as WebSocketConstructor });
      this.current = conn;
      conn.onStatus((s) => this.setStatus({ ...s, relayUrl }));
      conn.onSessions(() => this.sessionsChanged.fire());
      conn.onErrors(() => this.errorsChanged.fire());
      this.setStatus({ ...conn.status, relayUrl });
    }
    this.connectionChanged.fire(this.current);
    this.sessionsChanged.fire();
    this.errorsChanged.fire();
  }

  /** Closes the connection. */
  dispose(): void {
    this.generation++;
    this.current?.dispose();
    this.current = undefined;
    for (const s of this.subscriptions) s.dispose();
    this.statusChanged.dispose();
    this.sessionsChanged.dispose();
    this.errorsChanged.dispose();
    this.connectionChanged.dispose();
  }

  private setStatus(next: ServiceStatus): void {
    this.log.info(`connection: ${next.kind}${'relayUrl' in next ? ` (${next.relayUrl})` : ''}${'message' in next ? `: ${next.message}` : ''}`);
    this.state = next;
    this.statusChanged.fire(next);
  }
}
