/**
 * Watch sockets (`<base>/watch`): authenticate with a token in the first message (or, for the
 * dashboard, with its session cookie on the upgrade and the session's request token there),
 * then follow sessions (backlog from the store, then the live tail, with no gap and no
 * duplicate at the seam) and the sessions feed. A watcher that falls too far behind is cut off.
 */
import type { WebSocket } from 'ws';
import {
  ErrorCode, type ResumePoint, type SessionSummary, type WatchServerMessage, closeCodeFor, parseJson,
  validateWatchClientMessage,
} from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import type { Access, LoginSession } from './access.ts';
import { AuditAction, type Auditor } from './audit.ts';
import type { Principal } from './auth.ts';
import { type ErrorFeedListener, type FeedListener, type Hub, type Published, type SessionListener, eventsFrame } from './hub.ts';
import type { ResolvedOptions } from './options.ts';

/** Most sessions one watch socket may follow at once. */
const MAX_SUBSCRIPTIONS = 64;
/** While sending a backlog, wait for the socket to drain past this many buffered bytes. */
const BACKLOG_HIGH_WATER = 1024 * 1024;
/** How long a closed socket's peer has to answer the close before the connection is dropped. */
const CLOSE_TIMEOUT_MS = 2000;

interface Context {
  options: ResolvedOptions;
  store: Store;
  hub: Hub;
  /** Counts sockets for `relay.stats()`. */
  sockets: Set<WebSocket>;
  access: Access;
  auditor: Auditor;
  /** The sign-in session whose cookie came with the upgrade, if any. */
  login: LoginSession | undefined;
  /** The client's address, for the audit log. */
  address: string;
}

/** Serves one watch socket. */
export function serveWatch(ws: WebSocket, ctx: Context): void {
  const { options, store, hub, access, auditor, address } = ctx;
  const limits = options.limits;
  let who: Principal | undefined;
  let unrevoke: (() => void) | undefined;
  const subs = new Map<string, Subscription>();
  let unfeed: (() => void) | undefined;
  let unfeedErrors: (() => void) | undefined;

  const send = (m: WatchServerMessage) => sendRaw(JSON.stringify(m));
  const sendRaw = (frame: string | Buffer, cb?: (err?: Error) => void, compress = true): void => {
    if (ws.readyState !== ws.OPEN) return cb?.(new Error('socket closed'));
    if (ws.bufferedAmount > limits.maxWatcherBufferedBytes) {
      fail(ErrorCode.SLOW_CONSUMER, `the watcher fell more than ${limits.maxWatcherBufferedBytes} bytes behind`);
      return cb?.(new Error('slow consumer'));
    }
    ws.send(frame, { binary: false, compress }, cb);
  };
  const fail = (code: ErrorCode, message: string) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify({ t: 'error', code, message }));
    ws.close(closeCodeFor(code), code);
    // A peer that does not read will not answer the close either: do not wait the 30 s ws would.
    setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS).unref?.();
  };

  const authTimer = setTimeout(() => fail(ErrorCode.AUTH_REQUIRED, `no "auth" message within ${limits.authTimeoutMs} ms`), limits.authTimeoutMs);
  authTimer.unref?.();

  ws.on('message', (data, isBinary) => {
    const parsed = parseJson(isBinary ? '' : String(data));
    if (!parsed.ok) return fail(parsed.code, parsed.message);
    const checked = validateWatchClientMessage(parsed.value, { maxIdLength: limits.maxIdLength });
    if (!checked.ok) return fail(checked.code, checked.message);
    const m = checked.value;
    if (!who) {
      if (m.t !== 'auth') return fail(ErrorCode.AUTH_REQUIRED, 'the first message must be "auth"');
      clearTimeout(authTimer);
      who = access.watchPrincipal(m.token, ctx.login);
      if (!who) {
        auditor.failed(address, 'watch');
        return fail(ErrorCode.UNAUTHORIZED, 'wrong or revoked token');
      }
      if (who.via === 'bearer') auditor.used(who, address);
      const name = who.name;
      const cookie = who.via === 'cookie' ? ctx.login?.id : undefined;
      unrevoke = access.onRevoke((what) => {
        if ('name' in what ? what.name === name : what.session === cookie) fail(ErrorCode.UNAUTHORIZED, 'the token was revoked or the sign-in ended');
      });
      send({ t: 'ready' });
      return;
    }
    if (m.t === 'auth') return;
    if ('feed' in m && m.feed === 'errors') {
      if (m.t === 'subscribe' && !unfeedErrors) {
        auditor.note(AuditAction.WATCH, 'feed:errors', who, address);
        const l: ErrorFeedListener = {
          group: (group) => send({ t: 'error-group', group }),
          occurrence: (occurrence, group) => send({ t: 'error-occurrence', group, occurrence }),
        };
        hub.errorFeed.add(l);
        unfeedErrors = () => hub.errorFeed.delete(l);
      } else if (m.t === 'unsubscribe') {
        unfeedErrors?.();
        unfeedErrors = undefined;
      }
      return;
    }
    if ('feed' in m) {
      if (m.t === 'subscribe' && !unfeed) {
        auditor.note(AuditAction.WATCH, 'feed:sessions', who, address);
        const l: FeedListener = {
          session: (s: SessionSummary) => send({ t: 'session', session: s }),
          deleted: (sessionId: string) => send({ t: 'session-deleted', sessionId }),
        };
        hub.feed.add(l);
        unfeed = () => hub.feed.delete(l);
      } else if (m.t === 'unsubscribe') {
        unfeed?.();
        unfeed = undefined;
      }
      return;
    }
    if (m.t === 'unsubscribe') {
      subs.get(m.sessionId!)?.stop();
      subs.delete(m.sessionId!);
      return;
    }
    if (m.t === 'subscribe') {
      if (subs.has(m.sessionId)) subs.get(m.sessionId)!.stop();
      else if (subs.size >= MAX_SUBSCRIPTIONS) {
        send({ t: 'error', code: ErrorCode.RATE_LIMITED, message: `at most ${MAX_SUBSCRIPTIONS} sessions per socket` });
        return;
      }
      const io: SubscriptionIo = {
        store, hub, sendRaw, send, bufferedAmount: () => ws.bufferedAmount,
        tooSlow: () => fail(ErrorCode.SLOW_CONSUMER, 'the session produced more than the watcher could take while its backlog was sent'),
        broken: () => fail(ErrorCode.INTERNAL, 'reading the session failed'),
        limit: limits.maxWatcherBufferedBytes,
      };
      auditor.note(AuditAction.WATCH, m.sessionId, who, address);
      const sub = new Subscription(m.sessionId, m.from ?? {}, io);
      subs.set(m.sessionId, sub);
      sub.start().catch((err: unknown) => {
        // A socket the relay is already closing (shutdown) needs neither a log line nor an error.
        if (ws.readyState !== ws.OPEN) return;
        options.logger.error(`watch backlog of ${m.sessionId} failed`, err);
        fail(ErrorCode.INTERNAL, 'reading the session failed');
      });
    }
  });

  ws.on('close', () => {
    clearTimeout(authTimer);
    unrevoke?.();
    for (const s of subs.values()) s.stop();
    subs.clear();
    unfeed?.();
    unfeedErrors?.();
  });
  ws.on('error', () => { /* 'close' follows */ });
}

interface SubscriptionIo {
  store: Store;
  hub: Hub;
  /** Sends a text frame; `compress: false` skips permessage-deflate (live frames: one shared buffer, no per-watcher deflate). */
  sendRaw(frame: string | Buffer, cb?: (err?: Error) => void, compress?: boolean): void;
  send(m: WatchServerMessage): void;
  bufferedAmount(): number;
  /** Cuts the watcher off as a slow consumer. */
  tooSlow(): void;
  /** Cuts the watcher off because its session could not be read. */
  broken(): void;
  /** Most bytes of live batches to queue while the backlog is sent. */
  limit: number;
}

/** One followed session: backlog first (live batches queue meanwhile), then the live tail. */
class Subscription implements SessionListener {
  private live = false;
  private stopped = false;
  private pending: Array<Published | 'end'> = [];
  private pendingBytes = 0;
  private readonly sent = new Map<string, number>();
  private unlisten: (() => void) | undefined;

  constructor(private readonly sessionId: string, from: ResumePoint, private readonly io: SubscriptionIo) {
    for (const [w, seq] of Object.entries(from)) this.sent.set(w, seq);
  }

  async start(): Promise<void> {
    const { store, hub } = this.io;
    // Follow before reading the store (here and, scaled out, on the bus), so nothing stored meanwhile is missed; `sent` removes the overlap.
    const following = hub.follow(this.sessionId, this);
    this.unlisten = following.stop;
    await following.ready;
    if (this.stopped) return;
    const known = hub.isLive(this.sessionId) || (await store.getSession(this.sessionId)) !== undefined;
    if (this.stopped) return;
    if (!known) {
      this.io.send({ t: 'error', code: ErrorCode.NOT_FOUND, message: `no session ${this.sessionId}` });
      this.stop();
      return;
    }
    const ended = await this.catchUp();
    if (ended === undefined) return;
    this.io.send({ t: 'live', sessionId: this.sessionId, active: !ended && hub.isLive(this.sessionId) });
    if (ended) this.io.send({ t: 'end', sessionId: this.sessionId });
  }

  /**
   * Sends what the store has past `sent`, holding live batches back meanwhile, then the held
   * ones; resolves to whether an `end` was held (undefined when stopped on the way).
   */
  private async catchUp(): Promise<boolean | undefined> {
    this.live = false;
    const after = Object.fromEntries(this.sent);
    for await (const b of this.io.store.readBatchesJson(this.sessionId, { after })) {
      if (this.stopped) return undefined;
      if ((this.sent.get(b.windowId) ?? 0) >= b.seq) continue;
      this.sent.set(b.windowId, b.seq);
      await this.sendPaced(eventsFrame(this.sessionId, b.windowId, b.seq, b.eventsJson));
    }
    if (this.stopped) return undefined;
    const queued = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.live = true;
    let ended = false;
    for (const p of queued) {
      if (p === 'end') ended = true;
      else this.batch(p);
    }
    return ended;
  }

  /** The bus to other relay processes may have lost batches: read them from the store (live ones wait meanwhile). */
  resync(): void {
    if (!this.live || this.stopped) return;
    this.catchUp().then((ended) => {
      if (ended) this.io.send({ t: 'end', sessionId: this.sessionId });
    }, () => {
      // A watcher that cannot be caught up is cut off rather than left with a hole.
      this.stop();
      this.io.broken();
    });
  }

  /** Sends a backlog frame; past the high-water mark, waits until this frame is written before reading on. */
  private sendPaced(frame: string): Promise<void> {
    if (this.io.bufferedAmount() < BACKLOG_HIGH_WATER) {
      this.io.sendRaw(frame);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.io.sendRaw(frame, () => resolve()));
  }

  batch(p: Published): void {
    if (this.stopped) return;
    if (!this.live) {
      this.pending.push(p);
      this.pendingBytes += p.bytes!.length;
      if (this.pendingBytes > this.io.limit) {
        this.stop();
        this.io.tooSlow();
      }
      return;
    }
    if ((this.sent.get(p.windowId) ?? 0) >= p.seq) return;
    this.sent.set(p.windowId, p.seq);
    this.io.sendRaw(p.bytes!, undefined, false);
  }

  end(): void {
    if (this.stopped) return;
    if (!this.live) this.pending.push('end');
    else this.io.send({ t: 'end', sessionId: this.sessionId });
  }

  stop(): void {
    this.stopped = true;
    this.unlisten?.();
    this.pending = [];
  }
}
