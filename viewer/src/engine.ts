/**
 * One replay of one window's events inside rrweb's sandboxed iframe: rrweb's `Replayer`
 * (from `@rrweb/replay`) in replay or live mode, fitted to its stage, with the play state,
 * speed and skip-inactive wiring that rrweb leaves to its UI.
 */
import { Replayer } from '@rrweb/replay';
import type { eventWithTime } from '@rrweb/types';
import { EventType, type RecordedEvent } from '@sentiero/protocol';
import { CANVAS_REPLAY_RULES, canvasFramesPlugin, dialogPlugin, fontsPlugin, popoverPlugin } from './replay-plugins.ts';

/** What an engine is doing. */
export type EngineState = 'playing' | 'paused' | 'ended' | 'live';

/** Options of `createEngine`. */
export interface EngineOptions {
  /** `replay` plays recorded events; `live` follows events as they are added. */
  mode: 'replay' | 'live';
  /** The window's events so far, in time order (replay needs at least a Meta and a FullSnapshot). */
  events: readonly RecordedEvent[];
  speed: number;
  skipInactive: boolean;
  /**
   * Replay: more events are on their way (the rest of a session still streaming in, or a session
   * still being recorded). Playback that reaches the last event so far waits for them, still
   * playing, instead of ending. Default false.
   */
  more?: boolean;
  onState?(state: EngineState): void;
  /** Playback reached the last event so far and waits for more (`more`), or goes on. */
  onWaiting?(waiting: boolean): void;
  onSkipping?(skipping: boolean): void;
  /** Live mode: an event added with `addEvents(…, true)` was applied to the replayed page. */
  onLiveCast?(event: RecordedEvent, castAt: number): void;
}

/** An rrweb replayer and the little state around it. */
export interface Engine {
  readonly mode: 'replay' | 'live';
  /** The first event's time (ms since epoch); offsets count from here. */
  readonly start: number;
  readonly state: EngineState;
  /** The playback position in ms from `start`. */
  currentTime(): number;
  play(): void;
  pause(): void;
  /** Moves to `offset` ms from `start`, playing afterwards if `play` (default: as before); resolves once the page shows it. */
  seek(offset: number, play?: boolean): Promise<void>;
  setSpeed(speed: number): void;
  setSkipInactive(on: boolean): void;
  /** Says whether more events are on their way (see `EngineOptions.more`); playback waiting for them ends when none are. */
  setMore(more: boolean): void;
  /** Adds events (later batches of a streamed or live window). `live` marks them for lag measurement. */
  addEvents(events: readonly RecordedEvent[], live?: boolean): void;
  /** The replayed document (for tests and tooling), once rebuilt. */
  document(): Document | null;
  /** Refits the replay to its stage (after a layout change). */
  fit(): void;
  destroy(): void;
}

const asRrweb = (e: RecordedEvent) => e as unknown as eventWithTime;

/** Space kept around the replayed page on its stage, in CSS pixels. */
const STAGE_MARGIN = 12;

/** Creates an engine in `stage` (an empty element that it fills). */
export function createEngine(stage: HTMLElement, o: EngineOptions): Engine {
  const host = document.createElement('div');
  host.className = 'sv-replay-root';
  stage.append(host);
  const live = o.mode === 'live';
  const replayer = new Replayer(o.events.map(asRrweb), {
    root: host,
    liveMode: live,
    speed: o.speed,
    skipInactive: o.skipInactive,
    mouseTail: { strokeStyle: 'rgba(236, 72, 153, 0.55)', lineWidth: 2, duration: 600 },
    showWarning: false,
    triggerFocus: false,
    // Never rrweb's canvas replay: it gives the replay iframe `allow-scripts`. The plugin shows sampled frames from here.
    UNSAFE_replayCanvas: false,
    plugins: [canvasFramesPlugin(), popoverPlugin(), dialogPlugin(), fontsPlugin()],
    insertStyleRules: CANVAS_REPLAY_RULES,
    pauseAnimation: true,
  });
  const liveEvents = new WeakSet<object>();
  let state: EngineState = live ? 'live' : 'paused';
  let size = { width: 0, height: 0 };
  let destroyed = false;
  let adding: Promise<void> | undefined;
  let more = o.more ?? false;
  // Playing, at the last event so far, until more come (rrweb itself stopped there).
  let waiting = false;
  const setWaiting = (w: boolean) => {
    if (w === waiting) return;
    waiting = w;
    o.onWaiting?.(w);
  };
  const start = o.events[0]?.timestamp ?? Date.now();
  // rrweb adds events on a microtask, so its own metadata lags behind `addEvents`: keep the span here.
  let last = o.events.length ? o.events[o.events.length - 1]!.timestamp : start;
  const total = () => Math.max(0, last - start);

  const setState = (s: EngineState) => {
    if (s === state) return;
    state = s;
    o.onState?.(s);
  };
  const fit = () => {
    if (destroyed || !size.width || !size.height) return;
    const w = stage.clientWidth;
    const h = stage.clientHeight;
    if (!w || !h) return;
    const scale = Math.min((w - 2 * STAGE_MARGIN) / size.width, (h - 2 * STAGE_MARGIN) / size.height, 1.25);
    replayer.wrapper.style.transform = `translate(-50%, -50%) scale(${scale})`;
  };
  replayer.on('resize', (d) => {
    const dim = d as { width: number; height: number };
    size = { width: dim.width, height: dim.height };
    fit();
  });
  const observer = new ResizeObserver(fit);
  observer.observe(stage);
  replayer.on('finish', () => {
    if (live) return;
    // rrweb finishes 50 ms after the last event it has unless another came: while the rest is on its way, that is a stall, not the end.
    if (more && state === 'playing') setWaiting(true);
    else setState('ended');
  });
  replayer.on('skip-start', () => o.onSkipping?.(true));
  replayer.on('skip-end', () => o.onSkipping?.(false));
  replayer.on('event-cast', (e) => {
    if (liveEvents.has(e as object)) o.onLiveCast?.(e as RecordedEvent, Date.now());
  });

  if (!live) {
    // rrweb draws the first full snapshot on a timer, after whatever else is queued (the rest of a
    // streamed session, the UI): draw it now, paused just after it, so the first frame is not kept waiting.
    const snapshot = o.events.find((e) => e.type === EventType.FullSnapshot);
    if (snapshot) replayer.pause(snapshot.timestamp - start + 1);
  } else {
    // The backlog is applied like a seek to its end (which flushes rrweb's virtual DOM into the page);
    // then live mode applies each added event as soon as it arrives.
    if (o.events.length) replayer.pause(total() + 1);
    replayer.startLive(Date.now());
  }

  const offsetNow = (): number => {
    try {
      return Math.max(0, replayer.getCurrentTime());
    } catch {
      return 0;
    }
  };

  return {
    mode: o.mode,
    start,
    get state() { return state; },
    currentTime: offsetNow,
    play() {
      if (live || destroyed) return;
      setWaiting(false);
      const at = state === 'ended' || offsetNow() >= total() ? 0 : offsetNow();
      replayer.play(at);
      setState('playing');
    },
    pause() {
      if (live || destroyed || state !== 'playing') return;
      setWaiting(false);
      replayer.pause();
      setState('paused');
    },
    seek(offset, play) {
      if (live || destroyed) return Promise.resolve();
      const at = Math.max(0, Math.min(offset, total()));
      const resume = play ?? state === 'playing';
      setWaiting(false);
      const apply = () => {
        if (destroyed) return;
        // rrweb applies events strictly before the position: at the very end, include the last one.
        const x = at >= total() ? total() + 1 : at;
        if (resume) replayer.play(x);
        else replayer.pause(x);
      };
      setState(resume ? 'playing' : at >= total() && total() > 0 ? 'ended' : 'paused');
      // rrweb inserts added events on microtasks; a seek made before they land would miss them.
      if (adding) return adding.then(apply);
      apply();
      return Promise.resolve();
    },
    setSpeed(speed) {
      if (destroyed) return;
      const playing = state === 'playing';
      const at = offsetNow();
      setWaiting(false);
      if (playing) replayer.pause();
      replayer.setConfig({ speed });
      if (playing) replayer.play(at);
    },
    setSkipInactive(on) {
      if (!destroyed) replayer.setConfig({ skipInactive: on });
    },
    setMore(on) {
      more = on;
      if (!on && waiting) {
        setWaiting(false);
        setState('ended');
      }
    },
    addEvents(events, isLive = false) {
      if (destroyed) return;
      for (const e of events) {
        if (e.timestamp > last) last = e.timestamp;
        if (isLive) liveEvents.add(e);
        replayer.addEvent(asRrweb(e));
      }
      if (!live && state === 'ended' && events.length) setState('paused');
      if (!live && events.length) {
        const mine: Promise<void> = Promise.resolve().then(() => { if (adding === mine) adding = undefined; });
        adding = mine;
        if (waiting) {
          // Go on from where playback stopped once rrweb has the new events.
          setWaiting(false);
          void mine.then(() => { if (!destroyed && state === 'playing') replayer.play(offsetNow()); });
        }
      }
    },
    document() {
      return replayer.iframe.contentDocument;
    },
    fit,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      observer.disconnect();
      try {
        replayer.destroy();
      } catch { /* already torn down */ }
      host.remove();
    },
  };
}
