/**
 * One connection to a relay, through `@sentiero/protocol`'s client: the session list and the
 * error groups, kept current by the watch socket's feeds, and a connection status that says
 * whether the relay is reachable and takes the token. When the watch socket comes back after
 * the relay was down, everything is listed again, so nothing missed while down stays missing.
 * No `vscode` import: the views and the editor subscribe to it.
 */
import {
  type Client, ErrorCode, type ErrorGroup, SentieroError, type SessionSummary, type Watch, type WebSocketConstructor, createClient,
} from '@sentiero/protocol';
import { type StatusAction, targetStatus } from './status-rules.ts';
import { sortErrorGroups, sortSessions } from '../views/tree-model.ts';

/** Whether the relay can be used, and if not, why. */
export type ConnectionStatus =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'unreachable'; message: string };

/** Options of `RelayConnection`. */
export interface RelayConnectionOptions {
  /** The relay's base URL, e.g. `http://127.0.0.1:3000/sentiero`. */
  baseUrl: string;
  /** The viewer token. */
  token: string;
  /** `WebSocket` (from `ws` in the extension host: Node 20 has no global one). */
  WebSocket: WebSocketConstructor;
  /** `fetch` to use; default the global one. */
  fetch?: typeof fetch;
  /** First reconnect delay of the watch socket (ms, default 500). */
  reconnectDelayMs?: number;
  /** Longest reconnect delay (ms, default 5000). */
  maxReconnectDelayMs?: number;
  /** How many sessions and error groups to list (default 200 each). */
  limit?: number;
  /** How long changes are gathered before listeners hear of them (ms, default 100). */
  coalesceMs?: number;
}

type Listener<T> = (value: T) => void;

function emitter<T>() {
  const fns = new Set<Listener<T>>();
  return {
    on(fn: Listener<T>): () => void {
      fns.add(fn);
      return () => { fns.delete(fn); };
    },
    emit(value: T): void {
      for (const fn of [...fns]) fn(value);
    },
    clear(): void {
      fns.clear();
    },
  };
}

/** Why a call to the relay failed, as a status. */
export function statusOfFailure(err: unknown, baseUrl: string): ConnectionStatus {
  if (err instanceof SentieroError && err.code === ErrorCode.UNAUTHORIZED) {
    return { kind: 'unauthorized', message: `The relay at ${baseUrl} refused the viewer token.` };
  }
  if (err instanceof SentieroError) return { kind: 'unreachable', message: `The relay at ${baseUrl} answered: ${err.message}` };
  return { kind: 'unreachable', message: `The relay at ${baseUrl} cannot be reached; retrying.` };
}

/** A relay's sessions and error groups, kept current, with the connection's status. */
export class RelayConnection {
  /** The relay's base URL. */
  readonly baseUrl: string;
  /** The protocol client (for calls the lists do not cover: one session, one group's detail). */
  readonly client: Client;
  private readonly watch: Watch;
  private readonly sessionMap = new Map<string, SessionSummary>();
  private readonly groupMap = new Map<string, ErrorGroup>();
  private readonly statusEvents = emitter<ConnectionStatus>();
  private readonly sessionEvents = emitter<readonly SessionSummary[]>();
  private readonly errorEvents = emitter<readonly ErrorGroup[]>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly limit: number;
  private readonly coalesceMs: number;
  private current: ConnectionStatus = { kind: 'connecting' };
  private errorsSupported = true;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private pending = { sessions: false, errors: false };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(options: RelayConnectionOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.limit = options.limit ?? 200;
    this.coalesceMs = options.coalesceMs ?? 100;
    this.client = createClient({
      baseUrl: this.baseUrl, token: options.token, WebSocket: options.WebSocket,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      reconnectDelayMs: options.reconnectDelayMs ?? 500, maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5000,
    });
    this.watch = this.client.watch();
    this.unsubscribe.push(
      this.watch.onState((state) => this.onWatchState(state)),
      this.watch.onSession(
        (s) => { this.sessionMap.set(s.id, s); this.changed('sessions'); },
        (id) => { if (this.sessionMap.delete(id)) this.changed('sessions'); },
      ),
      this.watch.onErrors({
        onGroup: (g) => { this.groupMap.set(g.id, g); this.changed('errors'); },
        onOccurrence: (_o, g) => { this.groupMap.set(g.id, g); this.changed('errors'); },
      }),
    );
    void this.refresh();
  }

  /** The connection's status. */
  get status(): ConnectionStatus {
    return this.current;
  }

  /** The sessions, newest first. */
  get sessions(): SessionSummary[] {
    return sortSessions(this.sessionMap.values());
  }

  /** How many sessions are live. */
  get liveCount(): number {
    let n = 0;
    for (const s of this.sessionMap.values()) if (s.live) n++;
    return n;
  }

  /** One session, if listed. */
  session(id: string): SessionSummary | undefined {
    return this.sessionMap.get(id);
  }

  /** The error groups, most recently seen first. */
  get errorGroups(): ErrorGroup[] {
    return sortErrorGroups(this.groupMap.values());
  }

  /** One error group, if listed. */
  errorGroup(id: string): ErrorGroup | undefined {
    return this.groupMap.get(id);
  }

  /** Whether the relay has the errors API (an older relay answers 404). */
  get hasErrors(): boolean {
    return this.errorsSupported;
  }

  /** Calls `fn` when the status changes. */
  onStatus(fn: Listener<ConnectionStatus>): () => void {
    return this.statusEvents.on(fn);
  }

  /** Calls `fn` with the sessions when they change. */
  onSessions(fn: Listener<readonly SessionSummary[]>): () => void {
    return this.sessionEvents.on(fn);
  }

  /** Calls `fn` with the error groups when they change. */
  onErrors(fn: Listener<readonly ErrorGroup[]>): () => void {
    return this.errorEvents.on(fn);
  }

  /** Lists sessions and error groups again (one refresh at a time; a call during one runs another after it). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.listAll();
      } while (this.refreshAgain && !this.disposed);
    })().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  /** Changes an error group's status on the relay; resolves to the group as the relay has it after. */
  async setErrorStatus(groupId: string, action: StatusAction): Promise<ErrorGroup> {
    const group = await this.client.setErrorStatus(groupId, targetStatus(action));
    if (!this.disposed) {
      this.groupMap.set(group.id, group);
      this.changed('errors');
    }
    return group;
  }

  /** Closes the watch socket and drops every listener. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubscribe) u();
    this.watch.close();
    this.statusEvents.clear();
    this.sessionEvents.clear();
    this.errorEvents.clear();
  }

  private async listAll(): Promise<void> {
    try {
      const [sessions, groups] = await Promise.all([this.client.listSessions({ limit: this.limit }), this.listGroups()]);
      if (this.disposed) return;
      this.sessionMap.clear();
      for (const s of sessions.sessions) this.sessionMap.set(s.id, s);
      this.groupMap.clear();
      for (const g of groups) this.groupMap.set(g.id, g);
      this.changed('sessions');
      this.changed('errors');
      if (this.watch.state !== 'closed' && this.watch.state !== 'unauthorized') this.setStatus({ kind: 'connected' });
    } catch (err) {
      if (!this.disposed) this.setStatus(statusOfFailure(err, this.baseUrl));
    }
  }

  private async listGroups(): Promise<ErrorGroup[]> {
    try {
      const res = await this.client.listErrorGroups({ limit: this.limit });
      this.errorsSupported = true;
      return res.groups;
    } catch (err) {
      if (err instanceof SentieroError && err.status === 404) {
        this.errorsSupported = false;
        return [];
      }
      throw err;
    }
  }

  private onWatchState(state: Watch['state']): void {
    if (this.disposed) return;
    if (state === 'open') {
      this.setStatus({ kind: 'connected' });
      void this.refresh();
    } else if (state === 'unauthorized') {
      this.setStatus({ kind: 'unauthorized', message: `The relay at ${this.baseUrl} refused the viewer token.` });
    } else if (state === 'closed' && this.current.kind !== 'unauthorized') {
      this.setStatus({ kind: 'unreachable', message: `The relay at ${this.baseUrl} cannot be reached; retrying.` });
    }
  }

  private setStatus(next: ConnectionStatus): void {
    const prev = this.current;
    if (prev.kind === next.kind && ('message' in prev ? prev.message : '') === ('message' in next ? next.message : '')) return;
    this.current = next;
    this.statusEvents.emit(next);
  }

  private changed(what: 'sessions' | 'errors'): void {
    this.pending[what] = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      const { sessions, errors } = this.pending;
      this.pending = { sessions: false, errors: false };
      if (sessions) this.sessionEvents.emit(this.sessions);
      if (errors) this.errorEvents.emit(this.errorGroups);
    }, this.coalesceMs);
  }
}
