/**
 * The live side of the relay: which sessions are being recorded now, and the fan-out of
 * each newly stored batch to the watchers of its session, in seq order per window.
 */
import type { SessionRecord } from '@sentiero/storage';
import type { ErrorGroup, ErrorOccurrence, RecordedEvent, SessionSummary } from '@sentiero/protocol';
import type { BusBatch, LiveBus } from './bus.ts';

/** A newly stored batch, with its `events` message serialized once for every watcher. */
export interface Published {
  sessionId: string;
  windowId: string;
  seq: number;
  /** Builds the serialized `events` message: called once, and only when someone follows the session (it may be later than `publish`, for a batch held back for order). */
  encode(): string;
  /** The `events` message as UTF-8, encoded once by the hub for all listeners (set before `batch` is called). */
  bytes?: Buffer;
}

/** Something that follows one session (a watch socket's subscription). */
export interface SessionListener {
  /** A batch, in seq order per window (listeners drop what they already have). */
  batch(p: Published): void;
  /** The session has ended: no window recorded anything for `liveGraceMs`. */
  end(): void;
  /** Batches may have been missed (the bus to other relay processes dropped and came back): catch up from the store. */
  resync?(): void;
}

/** Something that follows the sessions feed. */
export interface FeedListener {
  session(summary: SessionSummary): void;
  deleted(sessionId: string): void;
}

/** Something that follows the errors feed. */
export interface ErrorFeedListener {
  /** A group appeared or its status changed. */
  group(group: ErrorGroup): void;
  /** A new occurrence, with its group after it. */
  occurrence(occurrence: ErrorOccurrence, group: ErrorGroup): void;
}

interface WindowOrder {
  /** The next seq to hand to listeners. */
  next: number;
  /** Batches that came ahead of `next`, held back up to `reorderWindowMs`. */
  held: Map<number, Published>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface LiveSession {
  connections: number;
  /** True from the first batch or connection until the grace period after the last one. */
  live: boolean;
  endTimer: ReturnType<typeof setTimeout> | undefined;
  windows: Map<string, WindowOrder>;
  listeners: Set<SessionListener>;
}

/**
 * How long another relay process's word that a session is live holds without being said
 * again. It says so on every change of the session and says when it ends; this bounds how
 * long a process that died (and can say nothing) keeps its sessions live elsewhere.
 */
const REMOTE_LIVE_MS = 60_000;

/** Serializes an `events` message. */
export function eventsFrame(sessionId: string, windowId: string, seq: number, eventsJson: string): string {
  return `{"t":"events","sessionId":${JSON.stringify(sessionId)},"windowId":${JSON.stringify(windowId)},"seq":${seq},"events":${eventsJson}}`;
}

/** Turns a stored session record into the API's summary. */
export function toSummary(r: SessionRecord, live: boolean): SessionSummary {
  const s: SessionSummary = {
    id: r.id, startedAt: r.startedAt, lastEventAt: r.lastEventAt, live, eventCount: r.eventCount, windows: r.windows, windowCount: r.windowCount,
    url: r.meta.url, pages: r.pages, userAgent: r.meta.userAgent, errorCount: r.errorCount, droppedEvents: r.droppedEvents,
  };
  if (r.meta.language) s.language = r.meta.language;
  if (r.meta.viewport) s.viewport = r.meta.viewport;
  if (r.userId !== undefined) s.userId = r.userId;
  return s;
}

/** Options of the hub. */
export interface HubOptions {
  liveGraceMs: number;
  reorderWindowMs: number;
  /** Called when a session turns live or stops being live. */
  onLiveChange(sessionId: string, live: boolean): void;
  /** The bus to the other relay processes sharing the store, when scaled out (bus.ts): batches stored here go to it, followed sessions come from it. */
  remote?: LiveBus;
}

/** Live sessions and their listeners. */
export class Hub {
  private readonly sessions = new Map<string, LiveSession>();
  /** Sessions another relay process said are live there (scale-out), and until when that is believed (ms). */
  private readonly remoteLive = new Map<string, number>();
  /** Listeners of the sessions feed. */
  readonly feed = new Set<FeedListener>();
  /** Listeners of the errors feed. */
  readonly errorFeed = new Set<ErrorFeedListener>();

  constructor(private readonly options: HubOptions) {}

  private entry(sessionId: string): LiveSession {
    let s = this.sessions.get(sessionId);
    if (!s) {
      s = { connections: 0, live: false, endTimer: undefined, windows: new Map(), listeners: new Set() };
      this.sessions.set(sessionId, s);
    }
    return s;
  }

  private setLive(sessionId: string, s: LiveSession) {
    if (s.endTimer) clearTimeout(s.endTimer);
    s.endTimer = undefined;
    if (!s.live) {
      s.live = true;
      this.options.onLiveChange(sessionId, true);
    }
  }

  private scheduleEnd(sessionId: string, s: LiveSession) {
    if (s.endTimer) clearTimeout(s.endTimer);
    s.endTimer = setTimeout(() => this.end(sessionId), this.options.liveGraceMs);
    s.endTimer.unref?.();
  }

  private end(sessionId: string) {
    const s = this.sessions.get(sessionId);
    if (!s || s.connections > 0) return;
    s.endTimer = undefined;
    for (const w of s.windows.values()) this.release(w, s, true);
    s.windows.clear();
    const wasLive = s.live;
    s.live = false;
    if (wasLive) {
      for (const l of s.listeners) l.end();
      this.options.onLiveChange(sessionId, false);
    }
    if (!s.listeners.size) this.sessions.delete(sessionId);
  }

  /** Whether other relay processes share the live side (a bus is configured). */
  get scaledOut(): boolean {
    return this.options.remote !== undefined;
  }

  /** Whether a window of the session is recording now, here or (as last said) on another relay process. */
  isLive(sessionId: string): boolean {
    return (this.sessions.get(sessionId)?.live ?? false) || this.liveElsewhere(sessionId);
  }

  /** The ids of the sessions being recorded now, here or on another relay process. */
  liveSessionIds(): string[] {
    const ids = new Set([...this.sessions].filter(([, s]) => s.live).map(([id]) => id));
    for (const id of [...this.remoteLive.keys()]) if (this.liveElsewhere(id)) ids.add(id);
    return [...ids];
  }

  /** Another relay process said whether a session is live there: believed for `REMOTE_LIVE_MS` (it says when it ends), unless said again. */
  remote(sessionId: string, live: boolean): void {
    if (live) this.remoteLive.set(sessionId, Date.now() + REMOTE_LIVE_MS);
    else this.remoteLive.delete(sessionId);
  }

  private liveElsewhere(sessionId: string): boolean {
    const until = this.remoteLive.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.remoteLive.delete(sessionId);
    return false;
  }

  /** An ingest socket of the session said `hello`; `nextSeq` is the window's first seq not yet stored. */
  connect(sessionId: string, windowId: string, nextSeq: number): void {
    const s = this.entry(sessionId);
    s.connections++;
    if (!s.windows.has(windowId)) s.windows.set(windowId, { next: nextSeq, held: new Map(), timer: undefined });
    this.setLive(sessionId, s);
  }

  /** An ingest socket of the session closed. */
  disconnect(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    s.connections = Math.max(0, s.connections - 1);
    if (s.connections === 0) this.scheduleEnd(sessionId, s);
  }

  /** A batch was newly stored here: hand it to the session's listeners, in seq order per window, and to the other relay processes. */
  publish(p: Published): void {
    this.options.remote?.publishBatch({ sessionId: p.sessionId, windowId: p.windowId, seq: p.seq, frame: () => (p.bytes ??= Buffer.from(p.encode())) });
    this.route(p);
  }

  /** A batch another relay process stored (from the bus): handed to this process's listeners as one stored here. */
  receive(b: BusBatch): void {
    this.route({ sessionId: b.sessionId, windowId: b.windowId, seq: b.seq, encode: () => b.frame.toString(), bytes: b.frame });
  }

  /** Tells every listener to catch up from the store (the bus lost messages). */
  resync(): void {
    for (const s of this.sessions.values()) for (const l of s.listeners) l.resync?.();
  }

  private route(p: Published): void {
    const s = this.entry(p.sessionId);
    this.setLive(p.sessionId, s);
    if (s.connections === 0) this.scheduleEnd(p.sessionId, s);
    let w = s.windows.get(p.windowId);
    if (!w) {
      w = { next: p.seq, held: new Map(), timer: undefined };
      s.windows.set(p.windowId, w);
    }
    if (p.seq < w.next) {
      // A late arrival (its place was given up after reorderWindowMs): listeners that have a later one drop it.
      this.deliver(s, p);
      return;
    }
    if (p.seq > w.next) {
      w.held.set(p.seq, p);
      if (!w.timer) {
        const win = w;
        w.timer = setTimeout(() => this.release(win, s, true), this.options.reorderWindowMs);
        w.timer.unref?.();
      }
      return;
    }
    this.deliver(s, p);
    w.next = p.seq + 1;
    this.release(w, s, false);
  }

  /** Hands over held batches that are now in order; with `force`, all of them, skipping the missing ones. */
  private release(w: WindowOrder, s: LiveSession, force: boolean) {
    if (force && w.held.size) {
      // Scaled out, the missing batch is most likely stored (by another process, its message late or lost): listeners read it from the store first.
      if (this.options.remote) for (const l of s.listeners) l.resync?.();
      for (const seq of [...w.held.keys()].sort((a, b) => a - b)) {
        this.deliver(s, w.held.get(seq)!);
        w.next = seq + 1;
      }
      w.held.clear();
    }
    let next = w.held.get(w.next);
    while (next) {
      w.held.delete(w.next);
      this.deliver(s, next);
      w.next++;
      next = w.held.get(w.next);
    }
    if (!w.held.size && w.timer) {
      clearTimeout(w.timer);
      w.timer = undefined;
    }
  }

  private deliver(s: LiveSession, p: Published) {
    if (!s.listeners.size) return;
    p.bytes ??= Buffer.from(p.encode());
    for (const l of s.listeners) l.batch(p);
  }

  /** Starts following a session; returns the function that stops. */
  listen(sessionId: string, l: SessionListener): () => void {
    return this.follow(sessionId, l).stop;
  }

  /**
   * Starts following a session, here and on the bus: `ready` resolves once batches that
   * other relay processes store from then on will reach `l` (at once without a bus).
   */
  follow(sessionId: string, l: SessionListener): { ready: Promise<void>; stop: () => void } {
    const s = this.entry(sessionId);
    s.listeners.add(l);
    const remote = this.options.remote;
    const ready = remote ? remote.follow(sessionId) : Promise.resolve();
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      remote?.unfollow(sessionId);
      const cur = this.sessions.get(sessionId);
      if (!cur) return;
      cur.listeners.delete(l);
      if (!cur.listeners.size && !cur.live && !cur.connections) this.sessions.delete(sessionId);
    };
    return { ready, stop };
  }

  /** The session was deleted: tell its listeners it ended and forget it. */
  forget(sessionId: string): void {
    this.remoteLive.delete(sessionId);
    const s = this.sessions.get(sessionId);
    if (!s) return;
    if (s.endTimer) clearTimeout(s.endTimer);
    for (const w of s.windows.values()) if (w.timer) clearTimeout(w.timer);
    for (const l of s.listeners) l.end();
    this.sessions.delete(sessionId);
  }

  /** Stops every timer (relay closing). */
  close(): void {
    for (const s of this.sessions.values()) {
      if (s.endTimer) clearTimeout(s.endTimer);
      for (const w of s.windows.values()) if (w.timer) clearTimeout(w.timer);
    }
    this.sessions.clear();
    this.remoteLive.clear();
    this.feed.clear();
    this.errorFeed.clear();
  }
}
