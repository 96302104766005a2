/**
 * Captured assets: after a batch is stored and acknowledged, the relay walks its events for the
 * stylesheets, fonts and images the page used (the protocol's `createAssetWalker`), fetches
 * each with the guarded fetch (guarded-fetch.ts) from the app's own origins and the
 * `captureAssets.allowOrigins` only, and keeps the bytes once (content-addressed in the store)
 * with the session's own URL → hash map. Fetched stylesheets are walked too (`@import`,
 * `url()`), to `MAX_CSS_DEPTH`. Nothing here runs on the ack path or throws into ingest: a
 * failure is recorded in the session's map with its code and logged once per origin, never
 * retried.
 */
import { type AssetSlot, type AssetWalker, ErrorCode, type RecordedEvent, createAssetWalker, cssAssetUrls, isValidId } from '@sentiero/protocol';
import type { Store, StoredAsset } from '@sentiero/storage';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { OriginPolicy } from './auth.ts';
import { type GuardedFetch, createGuardedFetch } from './guarded-fetch.ts';
import type { CaptureAssetsOptions, Logger } from './options.ts';

/** How deep the URLs of fetched stylesheets are followed: those of a stylesheet the page names (depth 0), of what it imports (1), …, up to depth 2. */
export const MAX_CSS_DEPTH = 3;
/** Windows whose walker (page URL, element tags by node id, style nodes) is kept at once; the least recently used is dropped beyond (a window walked again later starts afresh: until its next full snapshot, relative URLs are missed and attribute changes count as links). */
const MAX_WALKERS = 1_000;
/** Sessions whose captured URLs are remembered in memory at once; the store is asked for the others. */
const MAX_SESSIONS = 10_000;
/** Assets waiting to be fetched, for all sessions; beyond, new URLs are left for a later batch to find again. */
const MAX_QUEUE = 10_000;
/** Origins whose refusal was logged, at most (each is logged once). */
const MAX_LOGGED = 1_000;
/** How often the bytes no session refers to any more are swept from the store. */
export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** How long bytes are kept after they were last captured before a sweep may remove them (longer than any capture in progress, and than `reuseMs` should be). */
export const SWEEP_GRACE_MS = 24 * 60 * 60 * 1000;
/** Link relations whose `href` is an asset worth keeping. */
const LINK_RELS = /\b(?:stylesheet|icon|apple-touch-icon|preload|prefetch)\b/i;

/** One URL to capture for a session. */
interface Task {
  sessionId: string;
  url: string;
  /** 0 for a URL of the recording; n for one found in a stylesheet of depth n − 1. */
  depth: number;
}

/** What capture knows of a session in memory. */
interface SessionState {
  /** URLs captured, refused or queued. */
  seen: Set<string>;
}

/** Where capture runs: the store, the log, its options, and the app's own origins. */
export interface AssetCaptureContext {
  store: Store;
  logger: Logger;
  options: CaptureAssetsOptions;
  /** The app's own origins (what the operator configured, never what a recording claims): captured from even when private. */
  ownOrigins(): readonly string[];
}

/** Ports (with their scheme) noted at most, for `OwnOrigins`. */
const MAX_PORTS = 16;

/**
 * The app's own origins as capture sees them: the `allowedOrigins` list the operator
 * configured, or, when it is not set, the loopback origins of the ports recordings come in on
 * (what the ingest's own origin check allows then). Never the origin a recording claims. With
 * `'*'` or a predicate there is no list: only `captureAssets.allowOrigins` is captured from.
 */
export class OwnOrigins {
  readonly #policy: OriginPolicy | undefined;
  readonly #loopback = new Set<string>();

  constructor(policy: OriginPolicy | undefined) {
    this.#policy = policy;
  }

  /** Notes the scheme and local port an ingest request came in on (with no `allowedOrigins`, its loopback origins are the app's). */
  note(req: IncomingMessage): void {
    if (this.#policy !== undefined || this.#loopback.size >= MAX_PORTS * 3) return;
    const port = req.socket.localPort;
    if (port === undefined) return;
    const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
    for (const host of ['localhost', '127.0.0.1', '[::1]']) this.#loopback.add(new URL(`${scheme}://${host}:${port}`).origin);
  }

  /** The origins, as a list. */
  list(): readonly string[] {
    return Array.isArray(this.#policy) ? this.#policy : [...this.#loopback];
  }
}

/** Whether a URL the walker found is worth capturing (not media, scripts or preconnects). */
function wanted(slot: AssetSlot): boolean {
  if (slot.tag === 'script' || slot.tag === 'video' || slot.tag === 'audio' || slot.tag === 'track') return slot.attr === 'poster';
  if (slot.tag === 'link' && slot.attr === 'href') {
    const rel = slot.attrs?.rel;
    return typeof rel !== 'string' || LINK_RELS.test(rel);
  }
  return true;
}

/** The error code a failed capture is recorded with. */
const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : ErrorCode.ASSET_FAILED;
};

/** Captures the assets of recorded sessions; see the module comment. */
export class AssetCapture {
  readonly #ctx: AssetCaptureContext;
  readonly #fetch: GuardedFetch;
  readonly #walkers = new Map<string, WalkerEntry>();
  readonly #sessions = new Map<string, SessionState>();
  /** Batches waiting to be walked. */
  #batches: Array<{ sessionId: string; windowId: string; events: RecordedEvent[] }> = [];
  readonly #queue: Task[] = [];
  #running = 0;
  #scheduled = false;
  #closed = false;
  /** Recent captures by URL, reused within `reuseMs` instead of fetching again. */
  readonly #recent = new Map<string, { hash: string; at: number }>();
  readonly #logged = new Set<string>();
  readonly #idle = new Set<() => void>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  #sweeping: Promise<unknown> | undefined;

  constructor(ctx: AssetCaptureContext) {
    this.#ctx = ctx;
    this.#sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref?.();
    const allowed = (origin: string) => ctx.options.allowOrigins.includes(origin) || ctx.ownOrigins().includes(origin);
    this.#fetch = createGuardedFetch({ originOk: allowed, privateOk: allowed, maxBytes: ctx.options.maxBytes, timeoutMs: ctx.options.timeoutMs });
  }

  /** Takes a stored batch in: O(1) now, walked and fetched later. Never throws. */
  observe(sessionId: string, windowId: string, events: RecordedEvent[]): void {
    if (this.#closed || !events.length) return;
    this.#batches.push({ sessionId, windowId, events });
    this.#schedule();
  }

  /** The copy the session captured of `url`, or undefined (not captured, refused, or failed). */
  async lookup(sessionId: string, url: string): Promise<StoredAsset | undefined> {
    if (!isValidId(sessionId)) return undefined;
    const ref = await this.#ctx.store.getAssetRef(sessionId, url);
    return ref?.hash === undefined ? undefined : this.#ctx.store.getAsset(ref.hash);
  }

  /** Forgets what it knows of an erased session (its refs go with the session in the store). */
  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
    for (const key of this.#walkers.keys()) if (key.startsWith(`${sessionId}/`)) this.#walkers.delete(key);
  }

  /** Resolves once every batch taken in is walked and every fetch has settled (for tests and `close`). */
  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Removes from the store the bytes no session refers to and nobody captured for `SWEEP_GRACE_MS` (hourly on its own); resolves to how many went, and never rejects. */
  async sweep(): Promise<number> {
    if (this.#closed) return 0;
    const run = this.#ctx.store.sweepAssets(Date.now() - Math.max(SWEEP_GRACE_MS, 2 * this.#ctx.options.reuseMs)).catch((err: unknown) => {
      this.#ctx.logger.warn(`sweeping captured assets failed: ${(err as Error).message}`);
      return 0;
    });
    this.#sweeping = run;
    return run;
  }

  /** Stops taking batches in and waits for the fetches in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    await this.#sweeping;
    this.#batches = [];
    this.#queue.length = 0;
    await this.idle();
  }

  #busy(): boolean {
    return this.#batches.length > 0 || this.#queue.length > 0 || this.#running > 0 || this.#scheduled;
  }

  #settled(): void {
    if (this.#busy()) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      try {
        this.#walkBatches();
      } catch (err) {
        this.#ctx.logger.error('walking a batch for its assets failed', err);
      }
      this.#pump();
      this.#settled();
    });
  }

  #walkBatches(): void {
    const batches = this.#batches;
    this.#batches = [];
    for (const { sessionId, windowId, events } of batches) {
      const entry = this.#walker(sessionId, windowId);
      const found: string[] = [];
      entry.visit = (url, slot) => {
        if (wanted(slot)) found.push(url);
      };
      for (const e of events) entry.walker.walk(e);
      for (const url of found) this.#enqueue({ sessionId, url, depth: 0 });
    }
  }

  /** The window's walker (it follows the page's URL and its style nodes across batches). */
  #walker(sessionId: string, windowId: string): WalkerEntry {
    const key = `${sessionId}/${windowId}`;
    let entry = this.#walkers.get(key);
    if (entry) {
      this.#walkers.delete(key);
      this.#walkers.set(key, entry);
    } else {
      const made: WalkerEntry = { visit: () => undefined, walker: createAssetWalker((url, slot) => {
        made.visit(url, slot);
        return url;
      }) };
      entry = made;
      this.#walkers.set(key, entry);
      if (this.#walkers.size > MAX_WALKERS) this.#walkers.delete(this.#walkers.keys().next().value!);
    }
    return entry;
  }

  #state(sessionId: string): SessionState {
    let state = this.#sessions.get(sessionId);
    if (state) {
      this.#sessions.delete(sessionId);
    } else {
      state = { seen: new Set() };
    }
    this.#sessions.set(sessionId, state);
    if (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    return state;
  }

  #enqueue(task: Task): void {
    const state = this.#state(task.sessionId);
    if (state.seen.has(task.url) || state.seen.size >= this.#ctx.options.maxPerSession || this.#queue.length >= MAX_QUEUE) return;
    state.seen.add(task.url);
    this.#queue.push(task);
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#ctx.options.concurrency && this.#queue.length) {
      const task = this.#queue.shift()!;
      this.#running++;
      this.#capture(task)
        .catch((err: unknown) => this.#ctx.logger.error(`capturing ${task.url} for ${task.sessionId} failed`, err))
        .finally(() => {
          this.#running--;
          this.#pump();
          this.#settled();
        });
    }
  }

  async #capture(task: Task): Promise<void> {
    const { store } = this.#ctx;
    if (await store.getAssetRef(task.sessionId, task.url)) return;
    const now = Date.now();
    const recent = this.#recent.get(task.url);
    if (recent && now - recent.at < this.#ctx.options.reuseMs) {
      await store.putAssetRefs(task.sessionId, [{ url: task.url, hash: recent.hash, at: now }]);
      return this.#follow(task, recent.hash);
    }
    let hash: string;
    let css: string | undefined;
    try {
      const got = await this.#fetch(new URL(task.url));
      hash = await store.putAsset({ type: got.type, body: got.body });
      if (got.type.startsWith('text/css')) css = got.body.toString('utf8');
    } catch (err) {
      const code = codeOf(err);
      this.#refused(task.url, code, err);
      await store.putAssetRefs(task.sessionId, [{ url: task.url, error: code, at: now }]);
      return;
    }
    this.#recent.set(task.url, { hash, at: now });
    if (this.#recent.size > MAX_SESSIONS) this.#recent.delete(this.#recent.keys().next().value!);
    await store.putAssetRefs(task.sessionId, [{ url: task.url, hash, at: now }]);
    if (css !== undefined) this.#walkCss(task, css);
  }

  /** A reused stylesheet's own URLs are captured for this session too. */
  async #follow(task: Task, hash: string): Promise<void> {
    const asset = await this.#ctx.store.getAsset(hash);
    if (asset?.type.startsWith('text/css')) this.#walkCss(task, Buffer.from(asset.body).toString('utf8'));
  }

  #walkCss(task: Task, css: string): void {
    if (task.depth >= MAX_CSS_DEPTH) return;
    for (const url of cssAssetUrls(css, task.url)) this.#enqueue({ sessionId: task.sessionId, url, depth: task.depth + 1 });
  }

  /** Logs a refusal or failure once per origin and code. */
  #refused(url: string, code: string, err: unknown): void {
    const key = `${new URL(url).origin} ${code}`;
    if (this.#logged.has(key) || this.#logged.size >= MAX_LOGGED) return;
    this.#logged.add(key);
    this.#ctx.logger.warn(`asset capture: ${url} not captured: ${code}: ${(err as Error).message} (logged once per origin)`);
  }
}

/** A window's walker and the visit its current batch collects into. */
interface WalkerEntry {
  walker: AssetWalker;
  visit: (url: string, slot: AssetSlot) => void;
}
