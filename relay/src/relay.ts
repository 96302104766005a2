/**
 * `createRelay()`: the embeddable relay. It attaches to a Node `http.Server` it does not own
 * (as `ws` does), answers the routes under its base path, passes every other request on to
 * the app, and owns the store it writes to.
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ErrorCode, validateEraseRequest, validateErrorReport, type EraseRequest, type ErasureReport, type ErrorContext, type ErrorReportAck,
  type PruneReport, type StorageStatus,
} from '@sentiero/protocol';
import { LevelStore, RedisStore, type Store } from '@sentiero/storage';
import { Access } from './access.ts';
import { Analytics } from './analytics/service.ts';
import { AssetCapture, OwnOrigins } from './assets.ts';
import { Auditor, addressOf } from './audit.ts';
import { originAllowed } from './auth.ts';
import { IngestBudget } from './backpressure.ts';
import { BatchLane } from './ingest-lane.ts';
import { ConnectionCounter } from './connections.ts';
import { createRoutes, missingBundles } from './http.ts';
import { Hub, toSummary } from './hub.ts';
import { busFor, linkBus } from './scale-out.ts';
import { serveIngest } from './ingest.ts';
import { SessionBounds } from './ingest-limits.ts';
import { type RelayOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type RequestErrorContext, type RequestErrorOptions } from './middleware/core.ts';
import { type ExpressErrorHandler, createExpressErrorHandler } from './middleware/express.ts';
import { type FastifyPlugin, createFastifyPlugin } from './middleware/fastify.ts';
import { type KoaMiddleware, createKoaMiddleware } from './middleware/koa.ts';
import { RelayError } from './errors.ts';
import { type PrivacyContext, erase, eraseOne } from './privacy/erase.ts';
import { Pruner } from './privacy/retention.ts';
import { SanitizerChain } from './sanitize.ts';
import { SourceMaps } from './source-maps.ts';
import { describeThrown } from './stack.ts';
import { ErrorTracker } from './tracker.ts';
import { serveWatch } from './watch.ts';

/** An Express/Connect-style `next`. */
export type NextFunction = (err?: unknown) => void;

/** Counters for monitoring and tests. */
export interface RelayStats {
  ingestSockets: number;
  watchSockets: number;
  liveSessions: number;
  /** Bytes of batches received on ingest sockets and not yet acknowledged (bounded by `maxUnackedBytesTotal`, give or take one batch per socket). */
  ingestUnackedBytes: number;
  /** Ingest sockets the relay is not reading right now, waiting for their batches to be stored. */
  ingestPausedSockets: number;
}

/** What `captureException` may say about an error besides the error itself. */
export interface CaptureContext extends ErrorContext {
  /** When it happened (ms since epoch); default now. */
  timestamp?: number;
}

/** The relay. */
export interface Relay {
  /** The admin token `default` (the `token` option or `SENTIERO_TOKEN`; generated when neither is given). */
  readonly token: string;
  /** The ingest key for server-side error reports (generated when not given). */
  readonly ingestKey: string;
  /** The base path, e.g. `/sentiero`. */
  readonly basePath: string;
  /** The store the relay writes to. */
  readonly store: Store;
  /** Resolves when the store is open; rejects if it cannot be opened. */
  readonly ready: Promise<void>;
  /** Takes over the server's upgrades and requests under the base path; returns the function that undoes it. */
  attach(server: Server): () => void;
  /** For hosts that route upgrades themselves: handles the upgrade if its path is ours and returns true. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Express/Connect/plain-Node middleware: answers paths under the base path, calls `next` (or 404s) otherwise. */
  handler(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /**
   * Records a server error (anything thrown) in its error group, linked to `context.sessionId`
   * when given. Resolves to the occurrence's id and group id, or undefined when it could not
   * be recorded (logged); never rejects.
   */
  captureException(err: unknown, context?: CaptureContext): Promise<ErrorReportAck | undefined>;
  /** Express error middleware that reports 5xx errors with their request's session, then calls `next(err)`: `app.use(relay.expressErrorHandler())` after the routes. */
  expressErrorHandler(options?: RequestErrorOptions): ExpressErrorHandler;
  /** A Fastify plugin that reports 5xx errors with their request's session: `fastify.register(relay.fastifyPlugin)`. */
  readonly fastifyPlugin: FastifyPlugin;
  /** Koa middleware that reports 5xx errors with their request's session and throws them on: `app.use(relay.koaMiddleware())` first. */
  koaMiddleware(options?: RequestErrorOptions): KoaMiddleware;
  /** Socket and session counts. */
  stats(): RelayStats;
  /** Applies retention and the disk quota now (as `POST <base>/api/prune`); resolves to what went. */
  prune(): Promise<PruneReport>;
  /** Erases a session, a user's sessions and errors, or the sessions of a time range (as `POST <base>/api/erase`); resolves to what went. */
  erase(request: EraseRequest): Promise<ErasureReport>;
  /** The store's size and its bounds (as `GET <base>/api/storage`). */
  storage(): Promise<StorageStatus>;
  /** Closes every socket (recorders reconnect elsewhere or later), waits for pending writes, and closes the store. */
  close(): Promise<void>;
}

const FEED_THROTTLE_MS = 500;

/** Creates a relay. Options are checked here; a wrong one throws a `TypeError` that names it. */
export function createRelay(options: RelayOptions = {}): Relay {
  const opts: ResolvedOptions = resolveOptions(options);
  const store: Store = opts.store ?? (opts.redis ? new RedisStore(opts.redis) : new LevelStore({ location: opts.dataDir }));
  const bus = busFor(opts, store);
  const base = opts.basePath;
  const ingestSockets = new Set<WebSocket>();
  const watchSockets = new Set<WebSocket>();
  const inflight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  const missing = missingBundles(opts.dashboard);
  if (missing) opts.logger.warn(missing);
  const access = new Access({ store, tokens: opts.tokens, loginTtlMs: opts.loginTtlMs, basePath: base });
  const auditor = new Auditor({ store, logger: opts.logger, inflight });
  const opened = store.open().then(() => access.load());

  // Sessions feed: at most one update per session every FEED_THROTTLE_MS, always ending on the latest state.
  const feedTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const feedDirty = new Set<string>();
  const pushFeed = (sessionId: string) => {
    if (!hub.feed.size) return;
    store.getSession(sessionId).then((r) => {
      if (!r) return;
      const summary = toSummary(r, hub.isLive(sessionId));
      for (const l of hub.feed) l.session(summary);
    }, (err: unknown) => opts.logger.error('reading a session for the feed failed', err));
  };
  const changed = (sessionId: string) => {
    if (!hub.feed.size) return;
    if (feedTimers.has(sessionId)) {
      feedDirty.add(sessionId);
      return;
    }
    pushFeed(sessionId);
    const t = setTimeout(function flush() {
      if (feedDirty.delete(sessionId)) {
        pushFeed(sessionId);
        feedTimers.set(sessionId, setTimeout(flush, FEED_THROTTLE_MS));
      } else feedTimers.delete(sessionId);
    }, FEED_THROTTLE_MS);
    t.unref?.();
    feedTimers.set(sessionId, t);
  };

  const hub = new Hub({
    liveGraceMs: opts.limits.liveGraceMs,
    reorderWindowMs: opts.reorderWindowMs,
    onLiveChange: (sessionId) => pushFeed(sessionId),
    remote: bus,
  });

  const bounds = new SessionBounds(store, opts.limits, bus !== undefined);
  const budget = new IngestBudget(opts.limits.maxUnackedBytesPerSocket, opts.limits.maxUnackedBytesTotal, opts.limits.maxPayloadBytes, opts.limits.largeBatchBytes);
  const lane = new BatchLane(opts.limits.largeBatchBytes, opts.limits.largeBatchesAtOnce);
  const connections = new ConnectionCounter(opts.limits.maxSocketsPerAddress);

  // Scale-out: the feeds go to the other relay processes, and theirs come here; ready once the bus is too.
  const ready = bus ? Promise.all([opened, linkBus({ hub, bus, forget: (id) => bounds.forget(id) })]).then(() => undefined) : opened;
  ready.catch((err: unknown) => opts.logger.error(`the store could not be opened`, err));

  const sourceMaps = new SourceMaps({ store, dir: opts.sourceMapsDir, logger: opts.logger });
  const sanitize = new SanitizerChain(opts.sanitizers, opts.logger);
  const errors = new ErrorTracker({ store, hub, sourceMaps, logger: opts.logger, changed: (id) => changed(id), sanitize });

  let analytics: Analytics | undefined;
  if (opts.analytics && !store.supports.analytics) opts.logger.warn('analytics is off: the store keeps no digests (supports.analytics)');
  else if (opts.analytics) analytics = new Analytics({ store, logger: opts.logger, flushMs: opts.analyticsFlushMs }, ready);

  // Captured assets (docs/relay.md#captured-assets): fetched after the ack, from the app's own origins and the allowlist only.
  const ownOrigins = new OwnOrigins(opts.allowedOrigins);
  let assets: AssetCapture | undefined;
  if (opts.captureAssets.enabled && !store.supports.assets) opts.logger.warn('captureAssets is off: the store keeps no assets (supports.assets)');
  else if (opts.captureAssets.enabled) assets = new AssetCapture({ store, logger: opts.logger, options: opts.captureAssets, ownOrigins: () => ownOrigins.list() });

  const privacy: PrivacyContext = {
    store,
    logger: opts.logger,
    forgotten(id) {
      analytics?.forget(id);
      assets?.forget(id);
      bounds.forget(id);
      hub.forget(id);
      for (const l of hub.feed) l.deleted(id);
    },
    isLive: (id) => hub.isLive(id),
    isClosing: () => closing !== undefined,
  };
  const pruner = new Pruner(privacy, { retentionDays: opts.retentionDays, auditRetentionDays: opts.auditRetentionDays, maxDiskBytes: opts.maxDiskBytes });
  ready.then(() => {
    if (closing) return;
    // The quota's default is measured now, at start, from the free space as it is before the store grows.
    pruner.maxDiskBytes().catch((err: unknown) => opts.logger.warn(`measuring the free disk space for maxDiskBytes failed: ${(err as Error).message}`));
    pruner.start(opts.pruneIntervalMs);
  }, () => undefined);

  const ctx = {
    options: opts,
    analytics,
    assets,
    store,
    hub,
    inflight,
    changed,
    errors,
    sourceMaps,
    bounds,
    budget,
    lane,
    sanitize,
    ready,
    isClosing: () => closing !== undefined,
    access,
    auditor,
    audit: (req: IncomingMessage, action: string, target: string) => auditor.request(req, action, target),
    async deleteSession(id: string) {
      return (await eraseOne(privacy, id)) !== undefined;
    },
    privacy,
    pruner,
  };
  const route = createRoutes(ctx);

  const wsOptions = {
    noServer: true,
    maxPayload: opts.limits.maxPayloadBytes,
    // No server context takeover: each message is compressed on its own, so messages under `threshold` (acks,
    // control messages) are not compressed at all and a socket holds no deflate stream until it sends a large one
    // (with takeover, ws compresses every message and keeps ~300 KB of zlib state per socket). See docs/relay.md.
    perMessageDeflate: { serverNoContextTakeover: true, threshold: 1024, zlibDeflateOptions: { level: 1 }, concurrencyLimit: 10 },
  } as const;
  const ingestWss = new WebSocketServer(wsOptions);
  const watchWss = new WebSocketServer(wsOptions);

  function rejectUpgrade(socket: Duplex, status: number, code: string, message: string) {
    const body = JSON.stringify({ code, message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  function pathOf(req: IncomingMessage): { pathname: string; query: URLSearchParams } {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return { pathname: q < 0 ? url : url.slice(0, q), query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) };
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const { pathname } = pathOf(req);
    const isIngest = pathname === `${base}/ingest`;
    if (!isIngest && pathname !== `${base}/watch`) return false;
    if (closing) {
      rejectUpgrade(socket, 503, ErrorCode.SHUTTING_DOWN, 'the relay is shutting down');
      return true;
    }
    if (isIngest && !originAllowed(req, opts.allowedOrigins)) {
      rejectUpgrade(socket, 403, ErrorCode.ORIGIN_NOT_ALLOWED, `origin ${req.headers.origin} may not send events here`);
      return true;
    }
    if (isIngest) ownOrigins.note(req);
    if (isIngest && !connections.admit(req.socket.remoteAddress ?? '', socket)) {
      rejectUpgrade(socket, 429, ErrorCode.TOO_MANY_CONNECTIONS, `at most ${opts.limits.maxSocketsPerAddress} ingest sockets per client address`);
      return true;
    }
    socket.on('error', () => { /* a reset before the handshake completes is not ours to report */ });
    const wss = isIngest ? ingestWss : watchWss;
    const set = isIngest ? ingestSockets : watchSockets;
    // The dashboard's watch socket signs in with the session cookie the upgrade carries (and the session's request token in `auth`).
    const login = isIngest ? undefined : access.sessionOf(req);
    const address = addressOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      set.add(ws);
      ws.on('close', () => set.delete(ws));
      ready.then(
        () => (isIngest ? serveIngest(ws, ctx) : serveWatch(ws, { options: opts, store, hub, sockets: watchSockets, access, auditor, login, address })),
        () => ws.close(4500, ErrorCode.STORE_FAILED),
      );
    });
    return true;
  }

  async function capture(err: unknown, context: CaptureContext & { via?: 'capture' | 'middleware' } = {}): Promise<ErrorReportAck | undefined> {
    try {
      if (closing) return undefined;
      await ready;
      const { name, message, stack } = describeThrown(err);
      const { via = 'capture', ...rest } = typeof context === 'object' && context !== null ? context : {};
      // The context is the app's: checked (and cut) as a report is; a context that is not one is left out rather than the error lost.
      let checked = validateErrorReport({ ...rest, name, message, stack, origin: 'server' }, opts.limits);
      if (!checked.ok) {
        opts.logger.warn(`captureException: the context was left out: ${checked.message}`);
        checked = validateErrorReport({ name, message, stack, origin: 'server' });
      }
      if (!checked.ok) throw new TypeError(checked.message);
      const work = errors.report({ ...checked.value, name: checked.value.name ?? 'Error', origin: 'server', via });
      inflight.add(work);
      try {
        return await work;
      } finally {
        inflight.delete(work);
      }
    } catch (failure) {
      opts.logger.error('recording a server error failed', failure);
      return undefined;
    }
  }
  const middlewareCapture = (err: unknown, context: RequestErrorContext): void => {
    void capture(err, { ...context, via: 'middleware' });
  };
  const fastifyPlugin = createFastifyPlugin(middlewareCapture);

  function inBase(pathname: string): boolean {
    return pathname === base || pathname.startsWith(`${base}/`) || base === '';
  }

  function handler(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void {
    const { pathname, query } = pathOf(req);
    if (!inBase(pathname)) {
      if (next) next();
      else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      }
      return;
    }
    // Express sets `req.originalUrl` and strips its mount path from `req.url`: prefer the full path.
    const full = (req as IncomingMessage & { originalUrl?: string }).originalUrl;
    const p = full ? pathOf({ url: full } as IncomingMessage) : { pathname, query };
    if (p.pathname === `${base}/ingest`) ownOrigins.note(req);
    void route(req, res, p.pathname.slice(base.length), p.query);
  }

  return {
    token: opts.token,
    ingestKey: opts.ingestKey,
    basePath: base,
    store,
    ready,
    handleUpgrade,
    handler,
    attach(server: Server) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        handleUpgrade(req, socket, head);
      };
      // Like socket.io's attach: take the app's request listeners, answer our paths, hand them everything else.
      const appListeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
      server.removeAllListeners('request');
      const onRequest = (req: IncomingMessage, res: ServerResponse) => {
        const { pathname } = pathOf(req);
        if (inBase(pathname)) return handler(req, res);
        if (!appListeners.length) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('Not found');
          return;
        }
        for (const l of appListeners) l.call(server, req, res);
      };
      server.on('request', onRequest);
      server.on('upgrade', onUpgrade);
      return () => {
        server.off('upgrade', onUpgrade);
        server.off('request', onRequest);
        for (const l of appListeners) server.on('request', l);
      };
    },
    captureException(err, context) {
      return capture(err, context);
    },
    expressErrorHandler(options) {
      return createExpressErrorHandler(middlewareCapture, options);
    },
    fastifyPlugin,
    koaMiddleware(options) {
      return createKoaMiddleware(middlewareCapture, options);
    },
    stats() {
      return {
        ingestSockets: ingestSockets.size, watchSockets: watchSockets.size, liveSessions: hub.liveSessionIds().length,
        ingestUnackedBytes: budget.unackedBytes, ingestPausedSockets: budget.pausedSockets,
      };
    },
    async prune() {
      await ready;
      return pruner.prune();
    },
    async erase(request) {
      await ready;
      const checked = validateEraseRequest(request);
      if (!checked.ok) throw new RelayError(checked.code, checked.message);
      return erase(privacy, checked.value);
    },
    async storage() {
      await ready;
      return pruner.status();
    },
    close() {
      closing ??= (async () => {
        for (const ws of ingestSockets) ws.close(1001, ErrorCode.SHUTTING_DOWN);
        for (const ws of watchSockets) ws.close(1001, ErrorCode.SHUTTING_DOWN);
        for (const t of feedTimers.values()) clearTimeout(t);
        feedTimers.clear();
        pruner.stop();
        await pruner.running?.catch(() => undefined);
        await ready.catch(() => undefined);
        while (inflight.size) await Promise.allSettled([...inflight]);
        await analytics?.close();
        await assets?.close();
        hub.close();
        ingestWss.close();
        watchWss.close();
        for (const ws of [...ingestSockets, ...watchSockets]) ws.terminate();
        await Promise.all([store.close(), bus?.close()]);
      })();
      return closing;
    },
  };
}
