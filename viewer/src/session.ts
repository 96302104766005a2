/**
 * One opened session: loads it (streamed over REST for a replay, or backlog-then-live over
 * the watch socket for a session in progress), keeps its windows' events and markers, and
 * drives the engine of the selected window through replay, live, "behind live" and the
 * switch to replay when the session ends. The UI renders its snapshots; it has no DOM of
 * its own beyond the stage it is given.
 */
import { BLOCKED_ASSET_URL, type Client, CustomTag, ErrorCode, EventType, type RecordedEvent, SentieroError, type SessionSummary, type Watch } from '@sentiero/protocol';
import { type AssetRewriter, type AssetUrlMap, createAssetRewriter } from './asset-urls.ts';
import { CaptureReader, type ConsoleEntry, type NetworkEntry, mergeByTime } from './capture-log.ts';
import { type Engine, createEngine } from './engine.ts';
import { LagMeter, type LagStats } from './lag.ts';
import { type InactivePeriod, type Marker, MarkerReader, inactivePeriods, mergeMarkers } from './markers.ts';
import { loadServerErrorMarkers, occurrenceMarker } from './server-errors.ts';

/** Playback speeds offered (keys 1–4). */
export const SPEEDS = [1, 2, 4, 8] as const;

/** One of the speeds. */
export type Speed = (typeof SPEEDS)[number];

/** A window (tab) of the session. */
export interface WindowInfo {
  id: string;
  /** 1-based position among the session's windows, by start. */
  index: number;
  /** First and last event loaded (ms since epoch); 0 before any. */
  start: number;
  end: number;
  /** The last page URL seen in it. */
  url: string;
  eventCount: number;
}

/** How the session is being shown. */
export type SessionMode = 'replay' | 'live' | 'behind-live';

/** What the UI renders. */
export interface SessionSnapshot {
  status: 'loading' | 'ready' | 'not-found' | 'error';
  error?: string;
  summary?: SessionSummary;
  windows: WindowInfo[];
  windowId?: string;
  mode: SessionMode;
  playing: boolean;
  ended: boolean;
  speed: Speed;
  skipInactive: boolean;
  skipping: boolean;
  /** Playing, but at the last event loaded (or recorded) so far: waiting for the rest. */
  waiting: boolean;
  /** The session's first and last event (ms since epoch); `end` grows while live. */
  start: number;
  end: number;
  /** Whether the events are still streaming in (replay) or the backlog is (live). */
  loading: boolean;
  /** Time up to which the selected window's events are loaded. */
  loadedUntil: number;
  /** Whether the stage shows a frame yet. */
  hasFrame: boolean;
  /** Whether a moment asked for (a deep link, a seek before the replay could) is not shown yet. */
  seeking: boolean;
  /** That moment, ms since epoch, once known (a deep link's needs the session's start). */
  seekingTo?: number;
  /** Whether the session is still being recorded. */
  recording: boolean;
  markers: Marker[];
  /** Console messages of every window, in time order (`captureConsole`). */
  console: ConsoleEntry[];
  /** Requests of every window, by start time (`captureNetwork`). */
  network: NetworkEntry[];
  inactive: InactivePeriod[];
  lag?: LagStats;
  /** The first page's title, as the recorder saw it. */
  title?: string;
}

/** Options of `SessionController`. */
export interface SessionControllerOptions {
  client: Client;
  watch(): Watch;
  sessionId: string;
  /** Open at this moment (ms from the session's start), paused. */
  t?: number;
  windowId?: string;
  speed?: Speed;
  skipInactive?: boolean;
  /** A failure the host should know of (401, or the relay not answering). */
  onFailure?(kind: 'auth' | 'unreachable', message: string): void;
  /** Where the replay may load the recording's remote assets from (see assets.ts). Default: nowhere. */
  assets?(): Promise<AssetUrlMap>;
}

interface WindowData {
  info: WindowInfo;
  events: RecordedEvent[];
  reader: MarkerReader;
  capture: CaptureReader;
  hasSnapshot: boolean;
  rewriter: AssetRewriter;
}

const NOTIFY_MS = 60;
const NOTIFY_LOADING_MS = 250;
/** Longest stretch of reading stored events before the viewer yields to rendering, in ms. */
const STREAM_SLICE_MS = 12;
/** Longest wait for the first frame to be painted before reading on. */
const FIRST_PAINT_WAIT_MS = 250;

function pageTitle(events: readonly RecordedEvent[]): string | undefined {
  for (const e of events) {
    if (e.type !== EventType.Custom) continue;
    const d = e.data as { tag?: unknown; payload?: { title?: unknown } } | undefined;
    if (d?.tag === CustomTag.PAGE && typeof d.payload?.title === 'string' && d.payload.title.trim()) return d.payload.title.trim().slice(0, 200);
  }
  return undefined;
}

/** Settles after the next frame has been painted (or FIRST_PAINT_WAIT_MS, where frames are not drawn: a hidden tab). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FIRST_PAINT_WAIT_MS);
    requestAnimationFrame(() => setTimeout(() => {
      clearTimeout(timer);
      resolve();
    }, 0));
  });
}

/** Loads and plays one session; see the module comment. */
export class SessionController {
  private readonly windows = new Map<string, WindowData>();
  private readonly listeners = new Set<(s: SessionSnapshot) => void>();
  private readonly timeListeners = new Set<(abs: number) => void>();
  private readonly lag = new LagMeter(300);
  /** The last seq read per window, where following live resumes. */
  private readonly resume: Record<string, number> = {};
  private snap: SessionSnapshot;
  private stage: HTMLElement | undefined;
  private engine: Engine | undefined;
  private pendingSeek: number | undefined;
  private autoplay: boolean;
  private backlogDone = false;
  private disposed = false;
  private unsubscribe: (() => void) | undefined;
  /** Stops following the sessions and errors feeds (followed while the session is recorded). */
  private readonly offFeeds: Array<() => void> = [];
  /** The server errors already shown (group and time), so that the feed and the REST answer add each once. */
  private readonly serverErrors = new Set<string>();
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private inactiveDirty = false;
  private raf = 0;
  /** Set when the first engine is made: settles once its frame has been painted. */
  private firstPaint: Promise<void> | undefined;
  private painted = false;
  /** Where remote assets go; known before the first event is taken. */
  private assetMap: AssetUrlMap = () => BLOCKED_ASSET_URL;
  private lastAbs = 0;

  constructor(private readonly o: SessionControllerOptions) {
    this.autoplay = o.t === undefined;
    this.snap = {
      status: 'loading', windows: [], mode: 'replay', playing: false, ended: false, speed: o.speed ?? 1,
      skipInactive: o.skipInactive ?? true, skipping: false, waiting: false, start: 0, end: 0, loading: true, loadedUntil: 0,
      hasFrame: false, recording: false, markers: [], console: [], network: [], inactive: [], seeking: o.t !== undefined,
    };
    if (o.windowId) this.snap.windowId = o.windowId;
    void this.load();
  }

  /** The current snapshot. */
  get snapshot(): SessionSnapshot {
    return this.snap;
  }

  /** Calls `fn` with each new snapshot; returns the function that stops. */
  subscribe(fn: (s: SessionSnapshot) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** Calls `fn` with the playback position (ms since epoch) on every frame it changes. */
  onTime(fn: (abs: number) => void): () => void {
    this.timeListeners.add(fn);
    return () => { this.timeListeners.delete(fn); };
  }

  /** The playback position, ms since epoch. */
  currentAbs(): number {
    if (this.snap.mode === 'live') return this.snap.end;
    if (!this.engine) return this.pendingSeek ?? this.snap.start;
    return this.engine.start + this.engine.currentTime();
  }

  /** Gives the controller the element to replay in (once the UI has it). */
  attach(stage: HTMLElement): void {
    this.stage = stage;
    this.ensureEngine();
  }

  /** The replayed document of the selected window (tests and tooling). */
  replayedDocument(): Document | null {
    return this.engine?.document() ?? null;
  }

  private update(patch: Partial<SessionSnapshot>, now = false): void {
    this.snap = { ...this.snap, ...patch };
    // Whether more events may come follows from these two: the engine learns it as they change.
    if (patch.loading !== undefined || patch.recording !== undefined) this.engine?.setMore(this.moreExpected());
    if (now) {
      this.flush();
      return;
    }
    // While events pour in, the UI is redrawn less often: the stream is faster than anyone reads.
    if (!this.notifyTimer) this.notifyTimer = setTimeout(() => this.flush(), this.snap.loading ? NOTIFY_LOADING_MS : NOTIFY_MS);
  }

  private flush(): void {
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    if (this.disposed) return;
    if (this.inactiveDirty) {
      this.inactiveDirty = false;
      const w = this.selected();
      this.snap = { ...this.snap, inactive: w ? inactivePeriods(w.events) : [] };
    }
    for (const fn of [...this.listeners]) fn(this.snap);
  }

  private fail(err: unknown): void {
    if (this.disposed) return;
    if (err instanceof SentieroError && err.code === ErrorCode.NOT_FOUND) {
      this.update({ status: 'not-found', loading: false }, true);
      return;
    }
    const status = (err as { status?: number }).status;
    const message = err instanceof Error ? err.message : String(err);
    if (status === 401) this.o.onFailure?.('auth', message);
    else if (!(err instanceof SentieroError)) this.o.onFailure?.('unreachable', message);
    this.update({ status: 'error', error: message, loading: false }, true);
  }

  private async load(): Promise<void> {
    // The summary and the stored events are asked for at once, the small summary first. The first
    // frame needs only the first batch; the summary says whether to play, to follow the session
    // live, or where a deep link's moment is.
    const asked = this.o.client.getSession(this.o.sessionId);
    const streaming = this.stream();
    let summary: SessionSummary;
    try {
      summary = await asked;
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.disposed) return;
    summary.windows.forEach((id, i) => { this.windowData(id).info.index = i + 1; });
    const wanted = this.o.windowId && summary.windows.includes(this.o.windowId) ? this.o.windowId : undefined;
    const windowId = wanted ?? (this.engine ? this.snap.windowId : summary.windows[0]) ?? this.snap.windowId;
    const start = this.snap.start ? Math.min(this.snap.start, summary.startedAt) : summary.startedAt;
    this.update({
      status: 'ready', summary, start, end: Math.max(this.snap.end, summary.lastEventAt, summary.startedAt),
      recording: summary.live, windowId, windows: this.windowList(),
    }, true);
    if (summary.live) {
      // While it is recorded, its pages and error count grow: the header follows the sessions feed.
      const watch = this.o.watch();
      this.offFeeds.push(
        watch.onSession((s) => {
          if (s.id === this.o.sessionId && !this.disposed) this.update({ summary: this.snap.recording ? s : { ...s, live: false } }, true);
        }),
        watch.onErrors({ onOccurrence: (o) => {
          const m = occurrenceMarker(o, this.o.sessionId);
          if (m) this.addServerErrors([m]);
        } }),
      );
    }
    if (summary.live || summary.errorCount) void this.loadServerErrors();
    if (this.o.t !== undefined) this.setPendingSeek(summary.startedAt + this.o.t);
    if (this.engine && !summary.live) this.autoplayOnce();
    this.ensureEngine();
    this.maybeSeekPending(false);
    if (!(await streaming) || this.disposed) return;
    if (summary.live) {
      this.follow();
      return;
    }
    this.finishLoading();
  }

  /** Adds the server errors linked to the session; they are extras, so a failure to read them is not the session's. */
  private async loadServerErrors(): Promise<void> {
    try {
      const markers = await loadServerErrorMarkers(this.o.client, this.o.sessionId);
      if (!this.disposed) this.addServerErrors(markers);
    } catch {
      // The replay works without them.
    }
  }

  private addServerErrors(markers: readonly Marker[]): void {
    const fresh = markers.filter((m) => {
      const key = `${m.groupId}:${m.timestamp}`;
      if (this.serverErrors.has(key)) return false;
      this.serverErrors.add(key);
      return true;
    });
    if (fresh.length) this.update({ markers: mergeMarkers(this.snap.markers, fresh) }, true);
  }

  private windowData(id: string, index = this.windows.size): WindowData {
    let w = this.windows.get(id);
    if (!w) {
      w = { info: { id, index: index + 1, start: 0, end: 0, url: '', eventCount: 0 }, events: [], reader: new MarkerReader(id), capture: new CaptureReader(id), hasSnapshot: false, rewriter: createAssetRewriter(this.assetMap) };
      this.windows.set(id, w);
    }
    return w;
  }

  private selected(): WindowData | undefined {
    return this.snap.windowId ? this.windows.get(this.snap.windowId) : undefined;
  }

  /** Takes in one stored batch of a window. */
  private take(windowId: string, events: RecordedEvent[], live: boolean): void {
    if (!events.length) return;
    const w = this.windowData(windowId);
    for (const e of events) {
      w.events.push(w.rewriter.rewrite(e));
      if (e.type === EventType.FullSnapshot) w.hasSnapshot = true;
      if (e.type === EventType.Meta) {
        const href = (e.data as { href?: unknown } | undefined)?.href;
        if (typeof href === 'string') w.info = { ...w.info, url: href };
      }
    }
    if (!this.snap.title) {
      const title = pageTitle(events);
      if (title) this.snap = { ...this.snap, title };
    }
    const first = events[0]!.timestamp;
    const last = events[events.length - 1]!.timestamp;
    w.info = { ...w.info, start: w.info.start || first, end: Math.max(w.info.end, last), eventCount: w.info.eventCount + events.length };
    const markers = mergeMarkers(this.snap.markers, w.reader.read(events));
    const captured = w.capture.read(events);
    const consoleList = mergeByTime(this.snap.console, captured.console);
    const isSelected = windowId === this.snap.windowId;
    if (isSelected) this.inactiveDirty = true;
    const start = this.snap.start ? Math.min(this.snap.start, first) : first;
    this.update({
      markers, start, end: Math.max(this.snap.end, last), windows: this.windowList(),
      console: captured.grown.length && consoleList === this.snap.console ? consoleList.slice() : consoleList,
      network: mergeByTime(this.snap.network, captured.network),
      loadedUntil: isSelected ? w.info.end : this.snap.loadedUntil,
    });
    if (isSelected && this.engine) {
      this.engine.addEvents(events, live && this.engine.mode === 'live');
      this.maybeSeekPending(false);
    } else if (isSelected) this.ensureEngine();
  }

  private windowList(): WindowInfo[] {
    return [...this.windows.values()].filter((w) => w.info.eventCount > 0).map((w) => w.info).sort((a, b) => a.index - b.index);
  }

  /** Reads the stored batches over REST; resolves to whether it got them all. */
  private async stream(): Promise<boolean> {
    try {
      if (this.o.assets) {
        // No asset policy, no replay: a failure to ask is a failure to load, never a direct fetch.
        const map = await this.o.assets();
        this.assetMap = map;
        for (const w of this.windows.values()) w.rewriter = createAssetRewriter(map);
      }
      let slice = performance.now();
      for await (const line of this.o.client.getEvents(this.o.sessionId)) {
        if (this.disposed) return false;
        if (!this.snap.windowId) this.snap = { ...this.snap, windowId: this.o.windowId ?? line.windowId };
        this.resume[line.windowId] = Math.max(this.resume[line.windowId] ?? 0, line.seq);
        this.take(line.windowId, line.events, false);
        // Buffered lines resolve as microtasks, which would starve the page's rendering until the
        // whole session is read: let the first frame be painted before reading on, and yield to
        // the event loop every STREAM_SLICE_MS of work.
        if (this.firstPaint) {
          await this.firstPaint;
          this.firstPaint = undefined;
          slice = performance.now();
        } else if (performance.now() - slice > STREAM_SLICE_MS) {
          await new Promise((r) => setTimeout(r, 0));
          slice = performance.now();
        }
      }
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  private finishLoading(): void {
    this.backlogDone = true;
    this.inactiveDirty = true;
    this.update({ loading: false, recording: false }, true);
    this.ensureEngine();
    this.maybeSeekPending(true);
  }

  /** Follows a session in progress from where the stored events ended. */
  private follow(): void {
    this.unsubscribe = this.o.watch().subscribe(this.o.sessionId, {
      onEvents: (m) => this.take(m.windowId, m.events, this.backlogDone),
      onLive: (active) => {
        this.backlogDone = true;
        this.inactiveDirty = true;
        if (!active) {
          this.finishLoading();
          return;
        }
        // Follow the most recently active window unless one was asked for.
        if (!this.o.windowId) {
          const latest = [...this.windows.values()].filter((w) => w.hasSnapshot).sort((a, b) => b.info.end - a.info.end)[0];
          if (latest) this.snap = { ...this.snap, windowId: latest.info.id };
        }
        const mode = this.pendingSeek === undefined ? 'live' : 'behind-live';
        this.update({ loading: false, mode }, true);
        this.rebuild();
        this.maybeSeekPending(true);
      },
      onEnd: () => this.sessionEnded(),
    }, { ...this.resume });
  }

  private sessionEnded(): void {
    if (this.disposed || !this.snap.recording) return;
    const summary = this.snap.summary ? { ...this.snap.summary, live: false } : undefined;
    const wasLive = this.snap.mode === 'live';
    this.update({ recording: false, mode: 'replay', ...(summary ? { summary } : {}) }, true);
    // The recording's final summary (all its pages, every error), for the header.
    this.o.client.getSession(this.o.sessionId).then((s) => {
      if (!this.disposed) this.update({ summary: { ...s, live: false } }, true);
    }, () => undefined);
    if (wasLive) {
      // Seamless: the replay engine is built beside the live one and shown at the same (last) frame.
      this.rebuild(this.snap.end, false);
    }
  }

  /** Creates the selected window's engine when it can be. */
  private ensureEngine(): void {
    if (this.engine || !this.stage || this.disposed) return;
    const w = this.selected();
    // Without the summary yet, the first frame is shown anyway (paused): the summary only decides
    // whether to play it or, for a session still being recorded, to follow it live once caught up.
    if (!w || !w.hasSnapshot || w.events.length < 2) return;
    if (this.snap.recording && !this.backlogDone) return;
    this.rebuild();
  }

  /** Replaces the engine (mode from the snapshot), at `abs` (ms since epoch) when given. */
  private rebuild(abs?: number, play?: boolean): void {
    if (!this.stage || this.disposed) return;
    const w = this.selected();
    if (!w || !w.hasSnapshot || w.events.length < 2) return;
    const old = this.engine;
    const live = this.snap.mode === 'live';
    const sorted = w.events.slice().sort((a, b) => a.timestamp - b.timestamp);
    const engine = createEngine(this.stage, {
      mode: live ? 'live' : 'replay',
      events: sorted,
      speed: this.snap.speed,
      skipInactive: this.snap.skipInactive,
      more: this.moreExpected(),
      onState: (s) => {
        if (engine !== this.engine) return;
        this.update({ playing: s === 'playing', ended: s === 'ended' });
        this.loop();
      },
      onSkipping: (skipping) => { if (engine === this.engine) this.update({ skipping }); },
      onWaiting: (waiting) => { if (engine === this.engine) this.update({ waiting }, true); },
      onLiveCast: (e, at) => {
        this.lag.record(e.timestamp, at);
        this.update({ lag: this.lag.stats() });
      },
    });
    this.engine = engine;
    if (!this.painted) {
      this.painted = true;
      this.firstPaint = afterPaint();
    }
    old?.destroy();
    if (live) this.lag.reset();
    if (!live) {
      if (abs !== undefined) void engine.seek(abs - engine.start, play ?? false).then(() => this.emitTime(true));
      else if (this.snap.summary && !this.snap.recording) this.autoplayOnce();
    }
    this.update({ hasFrame: true, playing: engine.state === 'playing', ended: engine.state === 'ended', waiting: false }, true);
    this.loop();
  }

  /** Whether the selected window may still grow: the stored events are still streaming in, or the session is still recorded. */
  private moreExpected(): boolean {
    return this.snap.loading || this.snap.recording;
  }

  /** Starts playing when the session was opened without a moment to show, once. */
  private autoplayOnce(): void {
    if (!this.autoplay || this.pendingSeek !== undefined || !this.engine || this.engine.mode === 'live') return;
    this.autoplay = false;
    this.engine.play();
  }

  private setPendingSeek(abs: number | undefined): void {
    this.pendingSeek = abs;
    const { seekingTo: _, ...rest } = this.snap;
    this.snap = abs === undefined ? { ...rest, seeking: false } : { ...rest, seeking: true, seekingTo: abs };
    this.update({}, abs === undefined);
  }

  private maybeSeekPending(done: boolean): void {
    if (this.pendingSeek === undefined || !this.engine || this.engine.mode === 'live') return;
    // A session still being recorded goes to its moment once caught up (behind live), not in the
    // replay of its first batches shown meanwhile.
    if (this.snap.recording && !this.backlogDone) return;
    const w = this.selected();
    if (!w) return;
    if (!done && w.info.end < this.pendingSeek) return;
    const target = this.pendingSeek;
    this.pendingSeek = undefined;
    void this.engine.seek(target - this.engine.start, false).then(() => {
      this.emitTime(true);
      if (this.pendingSeek === undefined) this.setPendingSeek(undefined);
    });
  }

  /** Runs the time updates while something moves. */
  private loop(): void {
    if (this.raf || this.disposed) return;
    const tick = () => {
      this.raf = 0;
      if (this.disposed) return;
      this.emitTime(false);
      if (this.snap.playing || this.snap.mode === 'live') this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  private emitTime(force: boolean): void {
    const abs = this.currentAbs();
    if (!force && abs === this.lastAbs) return;
    this.lastAbs = abs;
    for (const fn of [...this.timeListeners]) fn(abs);
  }

  /** Plays (from the start again when at the end); while live, does nothing. */
  play(): void {
    if (this.snap.mode === 'live') return;
    this.autoplay = false;
    this.engine?.play();
  }

  /** Pauses. */
  pause(): void {
    this.engine?.pause();
  }

  /** Plays or pauses. */
  toggle(): void {
    if (this.snap.playing) this.pause();
    else this.play();
  }

  /** Moves to a moment (ms since epoch); while live, that means watching behind live. */
  seek(abs: number): void {
    if (this.disposed) return;
    this.autoplay = false;
    const at = Math.max(this.snap.start, Math.min(abs, this.snap.end));
    if (!this.engine) {
      this.setPendingSeek(at);
      return;
    }
    if (this.snap.mode === 'live') {
      this.update({ mode: 'behind-live' }, true);
      this.rebuild(at, true);
      this.emitTime(true);
    } else {
      void this.engine.seek(at - this.engine.start).then(() => this.emitTime(true));
    }
    this.loop();
  }

  /** Moves by `deltaMs` from where playback is. */
  seekBy(deltaMs: number): void {
    this.seek(this.currentAbs() + deltaMs);
  }

  /** Back to following the live edge (after seeking back in a session in progress). */
  jumpToLive(): void {
    if (this.snap.mode !== 'behind-live' || !this.snap.recording) return;
    this.update({ mode: 'live' }, true);
    this.rebuild();
  }

  /** Sets the speed. */
  setSpeed(speed: Speed): void {
    this.engine?.setSpeed(speed);
    this.update({ speed }, true);
  }

  /** Turns skipping of idle stretches on or off. */
  setSkipInactive(on: boolean): void {
    this.engine?.setSkipInactive(on);
    this.update({ skipInactive: on, ...(on ? {} : { skipping: false }) }, true);
  }

  /** Shows another window (tab) of the session at the same moment. */
  selectWindow(id: string, abs?: number): void {
    const w = this.windows.get(id);
    if (!w || this.disposed) return;
    const at = abs ?? this.currentAbs();
    const playing = this.snap.playing;
    this.inactiveDirty = true;
    this.update({ windowId: id, loadedUntil: w.info.end }, true);
    if (this.snap.mode === 'live') {
      this.rebuild();
      return;
    }
    if (!w.hasSnapshot) {
      this.engine?.destroy();
      this.engine = undefined;
      this.setPendingSeek(at);
      this.update({ hasFrame: false }, true);
      return;
    }
    this.rebuild(Math.max(at, w.info.start), playing);
    this.emitTime(true);
  }

  /** Refits the replay (after a layout change such as fullscreen). */
  fit(): void {
    this.engine?.fit();
  }

  /** Stops loading and following, and removes the replay. */
  destroy(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    if (this.raf) cancelAnimationFrame(this.raf);
    this.unsubscribe?.();
    for (const off of this.offFeeds.splice(0)) off();
    this.engine?.destroy();
    this.engine = undefined;
    this.listeners.clear();
    this.timeListeners.clear();
  }
}
