/**
 * Retention and the disk quota: sessions not received for `retentionDays` go (with error
 * occurrences as old), then the oldest sessions go until the store is under `maxDiskBytes`;
 * LevelDB is compacted so the space really comes back. Runs on a timer that does not keep the
 * process alive, and on demand (`POST <base>/api/prune`, `sentiero prune`); one run at a time.
 */
import { type ErasureReport, type PruneReport, type StorageStatus, emptyErasure } from '@sentiero/protocol';
import { type PrivacyContext, addErasure, eraseMatching, eraseOne } from './erase.ts';
import { defaultMaxDiskBytes } from './quota.ts';

const DAY_MS = 86_400_000;

/** The first chunk of oldest sessions the quota removes before it measures again; later chunks are sized by what a session freed. */
const FIRST_QUOTA_CHUNK = 4;

/** Rounds of the quota per prune, so that a store it cannot shrink (every session live) does not spin. */
const MAX_QUOTA_ROUNDS = 64;

/** What bounds the store. */
export interface RetentionPolicy {
  retentionDays: number;
  /** Days an audit entry is kept. */
  auditRetentionDays: number;
  /** Undefined: `defaultMaxDiskBytes`, computed on first use. */
  maxDiskBytes: number | undefined;
}

/** Prunes the store by age and size. */
export class Pruner {
  #maxDiskBytes: Promise<number> | undefined;
  #running: Promise<PruneReport> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last prune's report. */
  last: PruneReport | undefined;

  constructor(private readonly ctx: PrivacyContext, private readonly policy: RetentionPolicy) {}

  /** The quota in bytes (the option, or its default, measured once: a failed measure is tried again next time). */
  maxDiskBytes(): Promise<number> {
    this.#maxDiskBytes ??= this.policy.maxDiskBytes !== undefined ? Promise.resolve(this.policy.maxDiskBytes) : defaultMaxDiskBytes(this.ctx.store);
    this.#maxDiskBytes.catch(() => { this.#maxDiskBytes = undefined; });
    return this.#maxDiskBytes;
  }

  /** The store's size and bounds. */
  async status(): Promise<StorageStatus> {
    const [diskBytes, maxDiskBytes] = await Promise.all([this.ctx.store.diskSize(), this.maxDiskBytes()]);
    const status: StorageStatus = { diskBytes, maxDiskBytes, retentionDays: this.policy.retentionDays };
    if (this.last) status.lastPrune = this.last;
    return status;
  }

  /** Prunes now; a call while a prune runs joins it. */
  prune(now: number = Date.now()): Promise<PruneReport> {
    this.#running ??= this.#prune(now).finally(() => { this.#running = undefined; });
    return this.#running;
  }

  /** Whether a prune is running (so that `close()` can wait for it). */
  get running(): Promise<PruneReport> | undefined {
    return this.#running;
  }

  /** Prunes every `intervalMs`, on a timer that does not keep the process alive; failures are logged. */
  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => {
      if (this.ctx.isClosing()) return;
      this.prune().catch((err: unknown) => this.ctx.logger.error(`pruning the store failed: ${(err as Error).message}`));
    }, intervalMs);
    this.#timer.unref?.();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #prune(now: number): Promise<PruneReport> {
    const { store } = this.ctx;
    const maxDiskBytes = await this.maxDiskBytes();
    const diskBytesBefore = await store.diskSize();
    const retention = await this.#retention(now);
    const auditEntries = await store.pruneAudit(now - this.policy.auditRetentionDays * DAY_MS);
    const quota = await this.#quota(maxDiskBytes, retention.sessions > 0 || retention.errorOccurrences > 0 || auditEntries > 0);
    const report: PruneReport = {
      retention, quota, auditEntries, diskBytesBefore, diskBytesAfter: await store.diskSize(), maxDiskBytes,
      retentionDays: this.policy.retentionDays, auditRetentionDays: this.policy.auditRetentionDays, at: now,
    };
    this.last = report;
    if (retention.sessions || quota.sessions) {
      this.ctx.logger.info(`pruned ${retention.sessions} sessions past retention and ${quota.sessions} over the disk quota`);
    }
    return report;
  }

  /** Sessions last received before the cutoff (relay clock, so neither a visitor's clock nor an old import's times decide) and occurrences as old. */
  async #retention(now: number): Promise<ErasureReport> {
    const cutoff = now - this.policy.retentionDays * DAY_MS;
    const report = emptyErasure();
    const groups = new Set<string>();
    await eraseMatching(this.ctx, {}, report, groups, (r) => r.lastReceivedAt >= cutoff || this.ctx.isLive(r.id));
    addErasure(report, groups, undefined, await this.ctx.store.eraseOccurrences({ receivedBefore: cutoff }));
    return report;
  }

  /**
   * The oldest sessions that are not live, in chunks, compacting and measuring after each,
   * until the store fits; each next chunk is as many sessions as the last ones freed per
   * session would take to fit (at least one, at most 500).
   */
  async #quota(maxDiskBytes: number, removedBefore: boolean): Promise<ErasureReport> {
    const { store } = this.ctx;
    const report = emptyErasure();
    const groups = new Set<string>();
    if (removedBefore) await store.compact();
    let size = await store.diskSize();
    let chunk = FIRST_QUOTA_CHUNK;
    for (let round = 0; size > maxDiskBytes && round < MAX_QUOTA_ROUNDS && !this.ctx.isClosing(); round++) {
      const oldest = (await store.oldestSessions(500)).filter((r) => !this.ctx.isLive(r.id)).slice(0, chunk);
      if (oldest.length === 0) {
        this.ctx.logger.warn(`the store takes ${size} bytes, over maxDiskBytes (${maxDiskBytes}), and every session left is live`);
        break;
      }
      for (const r of oldest) {
        const erased = await eraseOne(this.ctx, r.id);
        if (erased) addErasure(report, groups, r.id, erased);
      }
      await store.compact();
      const before = size;
      size = await store.diskSize();
      const perSession = (before - size) / oldest.length;
      chunk = perSession > 0 ? Math.min(500, Math.max(1, Math.ceil((size - maxDiskBytes) / perSession))) : Math.min(500, chunk * 2);
    }
    return report;
  }
}
