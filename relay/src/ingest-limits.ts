/**
 * Per-session caps (`maxWindowsPerSession`, `maxEventsPerSession`, `maxBytesPerSession`) and
 * the seq window (`maxSeqAhead`), for both transports. The counts live in memory while a
 * session is being sent (seeded once from its stored record), so admitting a batch costs no
 * store read. A batch is counted when admitted and uncounted if the store refuses it or already
 * had it, so batches in flight at the same time cannot pass a cap together.
 */
import { ErrorCode, type Limits, type RecordedEvent } from '@sentiero/protocol';
import type { AppendResult, Store } from '@sentiero/storage';
import { RelayError } from './errors.ts';

/** Sessions kept in memory with no socket or request holding them (most recent first to stay). */
const MAX_IDLE_SESSIONS = 10_000;

/** The in-memory counts of one session. */
export interface SessionCounts {
  readonly sessionId: string;
  events: number;
  bytes: number;
  windows: Set<string>;
  /** The acknowledged seq of each window seen, as far as this relay knows. */
  acked: Map<string, number>;
  holders: number;
}

/** What an admitted batch added to its session's counts (taken back if it is not stored). */
export interface Admitted {
  counts: SessionCounts;
  events: number;
  bytes: number;
}

/** The counts of the sessions being sent, and the checks against them. */
export class SessionBounds {
  private readonly sessions = new Map<string, SessionCounts>();
  private readonly opening = new Map<string, Promise<SessionCounts>>();

  /** `shared`: other relay processes write to the store too, so counts nobody holds are read again rather than trusted. */
  constructor(private readonly store: Store, private readonly limits: Limits, private readonly shared = false) {}

  /** The counts of a session, read from the store the first time (each time nobody here holds them, when shared); hold them until `release`. */
  async hold(sessionId: string): Promise<SessionCounts> {
    const known = this.sessions.get(sessionId);
    if (known && (known.holders > 0 || !this.shared)) {
      known.holders++;
      this.sessions.delete(sessionId);
      this.sessions.set(sessionId, known);
      return known;
    }
    let pending = this.opening.get(sessionId);
    if (!pending) {
      pending = this.store.getSession(sessionId).then(
        (r) => {
          const counts: SessionCounts = {
            sessionId, events: r?.eventCount ?? 0, bytes: r?.byteCount ?? 0, windows: new Set(r?.windows ?? []), acked: new Map(), holders: 0,
          };
          this.sessions.set(sessionId, counts);
          this.sweep();
          return counts;
        },
      ).finally(() => this.opening.delete(sessionId));
      this.opening.set(sessionId, pending);
    }
    const counts = await pending;
    counts.holders++;
    return counts;
  }

  /** Lets go of counts taken with `hold`. */
  release(counts: SessionCounts): void {
    counts.holders = Math.max(0, counts.holders - 1);
    this.sweep();
  }

  /** Forgets a session (it was deleted). */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /** A window's acknowledged seq: from memory, else read from the store once. */
  async ackedSeq(counts: SessionCounts, windowId: string): Promise<number> {
    const known = counts.acked.get(windowId);
    if (known !== undefined) return known;
    const acked = await this.store.ackedSeq(counts.sessionId, windowId);
    this.advance(counts, windowId, acked);
    return counts.acked.get(windowId)!;
  }

  /** Records that a window's acknowledged seq is at least `acked`. */
  advance(counts: SessionCounts, windowId: string, acked: number): void {
    if (acked > (counts.acked.get(windowId) ?? -1)) counts.acked.set(windowId, acked);
  }

  /** Throws `SENTIERO_SESSION_LIMIT` when the session may not take one more window, or nothing at all any more. */
  checkWindow(counts: SessionCounts, windowId: string): void {
    const { maxWindowsPerSession, maxEventsPerSession, maxBytesPerSession } = this.limits;
    if (!counts.windows.has(windowId) && counts.windows.size >= maxWindowsPerSession) {
      throw sessionLimit(counts, `it has ${maxWindowsPerSession} windows, the most a session may have`);
    }
    if (counts.events >= maxEventsPerSession) throw sessionLimit(counts, `it has ${maxEventsPerSession} events, the most a session may have`);
    if (counts.bytes >= maxBytesPerSession) throw sessionLimit(counts, `it was sent ${maxBytesPerSession} bytes, the most a session may be sent`);
  }

  /**
   * Admits a batch against the seq window and the session's caps and counts it; throws
   * `SENTIERO_SEQ_OUT_OF_WINDOW` or `SENTIERO_SESSION_LIMIT`. The window's acknowledged seq must be known (`ackedSeq`).
   */
  admit(counts: SessionCounts, windowId: string, seq: number, events: readonly RecordedEvent[], bytes: number): Admitted {
    const acked = counts.acked.get(windowId) ?? 0;
    // A batch at or below the acknowledged seq is a re-send of one already stored and counted.
    if (seq <= acked) return { counts, events: 0, bytes: 0 };
    if (seq > acked + this.limits.maxSeqAhead) {
      throw new RelayError(ErrorCode.SEQ_OUT_OF_WINDOW, `batch ${seq} is more than ${this.limits.maxSeqAhead} past the acknowledged ${acked}`);
    }
    this.checkWindow(counts, windowId);
    if (counts.events + events.length > this.limits.maxEventsPerSession) {
      throw sessionLimit(counts, `this batch would take it past ${this.limits.maxEventsPerSession} events`);
    }
    if (counts.bytes + bytes > this.limits.maxBytesPerSession) {
      throw sessionLimit(counts, `this batch would take it past ${this.limits.maxBytesPerSession} bytes`);
    }
    counts.windows.add(windowId);
    counts.events += events.length;
    counts.bytes += bytes;
    return { counts, events: events.length, bytes };
  }

  /** Settles an admitted batch: the store's answer advances its window; a batch not stored (failed, or a re-send) is uncounted. */
  settle(admitted: Admitted, windowId: string, result: AppendResult | undefined): void {
    if (result) this.advance(admitted.counts, windowId, result.ackedSeq);
    if (result?.stored) return;
    admitted.counts.events -= admitted.events;
    admitted.counts.bytes -= admitted.bytes;
  }

  private sweep(): void {
    if (this.sessions.size <= MAX_IDLE_SESSIONS) return;
    for (const [id, c] of this.sessions) {
      if (this.sessions.size <= MAX_IDLE_SESSIONS) break;
      if (c.holders === 0) this.sessions.delete(id);
    }
  }
}

function sessionLimit(counts: SessionCounts, why: string): RelayError {
  return new RelayError(ErrorCode.SESSION_LIMIT, `session ${counts.sessionId} takes no more: ${why}`);
}
