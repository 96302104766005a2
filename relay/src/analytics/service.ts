/**
 * The relay's analytics: derives each session's digest from its stored batches after they are
 * acknowledged (never on the acknowledgement's path), writes changed digests every
 * `analyticsFlushMs`, keeps the digest index that queries read, and the saved segments.
 */
import type { RecordedEvent, Segment } from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import type { Logger } from '../options.ts';
import { type DeriveState, createDeriveState, deriveBatch, snapshotDigest, stateFromDigest } from './derive.ts';
import { DigestIndex } from './digest-index.ts';

/** How many sessions' derivation states stay in memory; a state evicted (written first) resumes from its stored digest. */
const MAX_STATES = 5000;

/** One stored batch, as analytics sees it. */
export interface ObservedBatch {
  sessionId: string;
  windowId: string;
  events: readonly RecordedEvent[];
  userAgent: string | undefined;
}

/** What `Analytics` needs. */
export interface AnalyticsOptions {
  store: Store;
  logger: Logger;
  flushMs: number;
}

/** Digests, the index over them and the saved segments of one relay. */
export class Analytics {
  /** Every stored digest, for queries; complete once `ready` resolves. */
  readonly index = new DigestIndex();
  /** Resolves when the index is built and the segments are loaded (after the store opened). */
  readonly ready: Promise<void>;
  /** Saved segments by id. */
  readonly segments = new Map<string, Segment>();

  readonly #store: Store;
  readonly #logger: Logger;
  /** Derivation states, least recently used first. */
  readonly #states = new Map<string, DeriveState>();
  readonly #dirty = new Set<string>();
  /** Per session, the derivation work in progress (so that its batches are derived in the order they were stored). */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #timer: ReturnType<typeof setInterval>;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: AnalyticsOptions, storeReady: Promise<void>) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.ready = storeReady.then(async () => {
      for await (const d of this.#store.scanDigests()) this.index.put(d);
      for (const s of await this.#store.listSegments()) this.segments.set(s.id, s);
    });
    this.ready.catch((err: unknown) => this.#logger.error('building the analytics index failed', err));
    this.#timer = setInterval(() => void this.flush(), options.flushMs);
    this.#timer.unref?.();
  }

  /** Takes a newly stored batch into its session's digest, later (never rejects; failures are logged). */
  observe(batch: ObservedBatch): void {
    if (this.#closed) return;
    const id = batch.sessionId;
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(async () => {
      const state = await this.#state(id, batch.userAgent);
      deriveBatch(state, batch.windowId, batch.events, batch.userAgent);
      this.#dirty.add(id);
    }).catch((err: unknown) => this.#logger.error(`deriving the analytics of ${id} failed`, err));
    this.#chains.set(id, next);
    void next.then(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    });
  }

  async #state(id: string, userAgent: string | undefined): Promise<DeriveState> {
    const cached = this.#states.get(id);
    if (cached) {
      this.#states.delete(id);
      this.#states.set(id, cached);
      return cached;
    }
    await this.ready.catch(() => undefined);
    const stored = await this.#store.getDigest(id);
    const state = stored ? stateFromDigest(stored, userAgent) : createDeriveState(id);
    this.#states.set(id, state);
    return state;
  }

  /** Writes the changed digests and puts them in the index; resolves when done (never rejects). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    for (const id of ids) {
      const state = this.#states.get(id);
      if (!state) continue;
      const digest = snapshotDigest(state);
      try {
        if (await this.#store.putDigest(digest)) this.index.put(digest);
        else this.forget(id);
      } catch (err) {
        this.#logger.error(`writing the analytics digest of ${id} failed`, err);
        this.#dirty.add(id);
      }
    }
    for (const id of this.#states.keys()) {
      if (this.#states.size <= MAX_STATES) break;
      if (!this.#dirty.has(id) && !this.#chains.has(id)) this.#states.delete(id);
    }
  }

  /** Forgets a deleted session: its state, and its row in the index (the store deleted its digest with it). */
  forget(sessionId: string): void {
    this.#states.delete(sessionId);
    this.#dirty.delete(sessionId);
    this.index.remove(sessionId);
  }

  /** Finishes the derivations in progress and writes what changed; call before the store closes. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.ready.catch(() => undefined);
    while (this.#chains.size) await Promise.allSettled([...this.#chains.values()]);
    await this.flush();
  }
}
