/**
 * One running recorder: it wires the identity, the rrweb capture, the stream of the current
 * session (buffer + transport) and the page lifecycle together, and rolls the stream over
 * when the session does. Every listener is guarded; `stop()` undoes everything.
 */
import { CustomTag, DEFAULT_RECORDER_CONFIG, EventType, type RecordedEvent, type RecorderConfig } from '@sentiero/protocol';
import { createBuffer, type Buffer, type BufferStats } from './buffer.ts';
import { startCapture, type Capture } from './capture.ts';
import { RecorderErrorCode, guard } from './errors.ts';
import { clicksFeature } from './features/clicks.ts';
import { createErrorBudget, errorEvent, errorPayload, errorsFeature } from './features/errors.ts';
import type { Feature, FeatureHost } from './features/feature.ts';
import { consoleFeature } from './features/console.ts';
import { linkRequestsFeature } from './features/link-requests.ts';
import { networkFeature } from './features/network.ts';
import { fieldsFeature } from './features/fields.ts';
import { createPageTracker, spaPagesFeature } from './features/pages.ts';
import { scrollFeature } from './features/scroll.ts';
import { trackFeature } from './features/track.ts';
import { vitalsFeature } from './features/vitals.ts';
import { identifyEvent, identifyPayload, loadIdentity, saveIdentity, type IdentifyPayload } from './identify.ts';
import { createIdentity } from './identity.ts';
import { collectMeta } from './meta.ts';
import type { ResolvedOptions } from './options.ts';
import { loadStream, saveQueue, saveStream, takeQueue, type SavedQueue, type StreamState } from './persist.ts';
import { privacyMatchers, privacyRecordOptions } from './privacy.ts';
import { StorageKey, type SafeStorage } from './storage.ts';
import { createTransport, type Transport, type TransportStats } from './transport.ts';

/** How long a finished session's stream keeps trying to deliver its last batches after a rollover, in ms. */
export const FINISH_DEADLINE_MS = 60_000;

/** Longest name of an `addEvent` event, and most characters of its serialized props. */
export const CUSTOM_EVENT_LIMITS = { maxName: 200, maxChars: 32 * 1024 } as const;

/** User activity that keeps a session alive (listened to on `window`, in the capture phase, passively). */
export const ACTIVITY_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll', 'input'] as const;

/** The global that tooling reads to find the page's own session. */
export const PAGE_GLOBAL = '__SENTIERO__';

/** What `getStats()` answers while recording. */
export interface RecorderStats extends BufferStats, TransportStats {
  sessionId: string;
  windowId: string;
}

/** A running recorder. */
export interface Recorder {
  readonly sessionId: string;
  readonly windowId: string;
  /** Records an app's custom event. */
  addEvent(name: string, props?: Record<string, unknown>): void;
  /** Records an error (anything thrown) as a `sentiero/error@1` event. */
  captureException(err: unknown): void;
  /** Names the session's user (`sentiero/identify@1`), remembered for the rest of the session. */
  identify(userId: unknown, traits?: unknown): void;
  /** Counters of the current stream. */
  stats(): RecorderStats;
  /** Stops everything; with `discard`, unsent data is dropped instead of beaconed and saved. */
  stop(discard: boolean): void;
}

interface Stream {
  sessionId: string;
  state: StreamState;
  buffer: Buffer;
  transport: Transport;
  live: boolean;
}

/** Starts recording with validated options (the caller has checked opt-out and Global Privacy Control). */
export function createRecorder(opts: ResolvedOptions, local: SafeStorage, session: SafeStorage): Recorder {
  const { report } = opts;
  const identity = createIdentity({ timeoutMs: opts.sessionTimeoutMs, local, session, now: Date.now() });
  const windowId = identity.windowId;
  const privacy = privacyRecordOptions(opts);
  const retired = new Set<Stream>();
  const removers: (() => void)[] = [];
  let stopped = false;
  let capture: Capture | undefined;

  const batchConfig = (relay?: RecorderConfig): RecorderConfig => ({
    flushIntervalMs: relay && !opts.explicit.flushIntervalMs ? relay.flushIntervalMs : opts.flushIntervalMs,
    maxBatchBytes: relay ? (opts.explicit.maxBatchBytes ? Math.min(opts.maxBatchBytes, relay.maxBatchBytes) : relay.maxBatchBytes) : opts.maxBatchBytes,
    maxEventsPerBatch: relay ? relay.maxEventsPerBatch : DEFAULT_RECORDER_CONFIG.maxEventsPerBatch,
  });

  function openStream(sessionId: string, ownWindow: string, saved: SavedQueue | undefined, live: boolean): Stream {
    const now = Date.now();
    const state = live ? loadStream(session, sessionId, ownWindow, now) : { sessionId, windowId: ownWindow, nextSeq: 1, startedAt: now, gapThrough: 0 };
    let transport: Transport | undefined;
    const stream = { sessionId, state, live } as Stream;
    stream.buffer = createBuffer({
      state, maxBufferBytes: opts.maxBufferBytes, config: batchConfig(), report, lost: saved?.lost,
      onBatch: () => transport?.notify(),
      onRecover: () => { if (stream.live) capture?.takeFullSnapshot(); },
    });
    if (saved) stream.buffer.preload(saved.batches);
    transport = createTransport({
      relay: opts.relay, sessionId, windowId: ownWindow, meta: collectMeta(state.startedAt), buffer: stream.buffer, report,
      onConfig: (c) => stream.buffer.setConfig(batchConfig(c)),
      onLimit: () => {
        if (!stream.live) return;
        // Nothing more of this session is taken: stop capturing until the session rolls over.
        capture?.stop();
        capture = undefined;
        saveStream(session, state);
      },
    });
    stream.transport = transport;
    transport.start();
    return stream;
  }

  function retire(s: Stream): void {
    s.live = false;
    s.buffer.close();
    s.transport.finish(FINISH_DEADLINE_MS);
    retired.add(s);
  }

  const all = (): Stream[] => {
    for (const s of retired) if (s.transport.stats().state === 'closed') retired.delete(s);
    return [stream, ...retired];
  };

  const add = (e: RecordedEvent): void => stream.buffer.add(e);
  const pages = createPageTracker(add);
  // The identity written into the current stream (as JSON), so that the same identify() twice is written once.
  let identified: string | undefined;
  const writeIdentity = (payload: IdentifyPayload): void => {
    const text = JSON.stringify(payload);
    if (text === identified) return;
    identified = text;
    add(identifyEvent(payload));
  };
  const enterPage = (): void => {
    identified = undefined;
    pages.start();
    const known = loadIdentity(local, stream.sessionId);
    if (known) writeIdentity(known);
  };
  const publish = (): void => {
    (window as unknown as Record<string, unknown>)[PAGE_GLOBAL] = Object.freeze({ sessionId: stream.sessionId, windowId, relay: opts.relay });
  };
  const unpublish = (): void => {
    delete (window as unknown as Record<string, unknown>)[PAGE_GLOBAL];
  };
  const save = (): void => {
    saveStream(session, stream.state);
    if (stream.state.limited) session.remove(StorageKey.QUEUE);
    else saveQueue(session, stream.sessionId, windowId, stream.buffer.batches);
  };

  // The batches an earlier page of this tab could not deliver: resent by the stream they belong to.
  const saved = takeQueue(session);
  const ours = saved && !identity.cloned && saved.windowId === windowId;
  let stream = openStream(identity.sessionId, windowId, ours && saved.sessionId === identity.sessionId ? saved : undefined, true);
  if (ours && saved.sessionId !== identity.sessionId) {
    const old = openStream(saved.sessionId, saved.windowId, saved, false);
    retire(old);
  }

  const startRrweb = (): void => {
    if (stream.state.limited) return;
    capture = startCapture({ privacy, canvas: opts.recordCanvas, collectFonts: opts.collectFonts, emit: add, report });
    enterPage();
  };

  function rollover(): void {
    capture?.stop();
    capture = undefined;
    retire(stream);
    stream = openStream(identity.sessionId, windowId, undefined, true);
    startRrweb();
    publish();
  }

  const onActivity = (): void => {
    if (!stopped && identity.activity(Date.now())) rollover();
  };

  const hide = (): void => {
    stream.buffer.flush();
    for (const s of all()) s.transport.unload();
    save();
  };

  const listen = (target: EventTarget, type: string, fn: (ev: Event) => void, options?: AddEventListenerOptions): void => {
    const handler = (ev: Event): void => guard(report, `the ${type} listener`, () => fn(ev), undefined);
    target.addEventListener(type, handler, options);
    removers.push(() => target.removeEventListener(type, handler, options));
  };

  listen(window, 'pagehide', () => {
    hide();
    identity.hide();
    for (const s of all()) s.transport.suspend();
  });
  listen(window, 'pageshow', (ev) => {
    if (!(ev as PageTransitionEvent).persisted) return;
    identity.show();
    session.remove(StorageKey.QUEUE);
    for (const s of all()) s.transport.resume();
    onActivity();
  });
  listen(document, 'visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      hide();
      identity.persist();
    } else {
      onActivity();
    }
  });
  for (const type of ACTIVITY_EVENTS) listen(window, type, onActivity, { capture: true, passive: true });

  startRrweb();
  publish();

  const errorBudget = createErrorBudget();
  const writeError = (payload: ReturnType<typeof errorPayload>): void => {
    if (errorBudget()) add(errorEvent(payload));
  };
  const features: Feature[] = [];
  if (opts.captureErrors) features.push(errorsFeature(writeError));
  if (opts.linkRequests) features.push(linkRequestsFeature);
  if (opts.captureConsole) features.push(consoleFeature);
  if (opts.captureNetwork) features.push(networkFeature({ headers: opts.networkHeaders, bodies: opts.networkBodies, bodyMaxBytes: opts.networkBodyMaxBytes }));
  // Product analytics.
  if (opts.spaPageViews) features.push(spaPagesFeature(pages));
  if (opts.autocapture) {
    const matchers = privacyMatchers(opts);
    features.push(clicksFeature(pages, matchers), fieldsFeature(pages, matchers), trackFeature(pages, matchers), scrollFeature(pages));
  }
  if (opts.webVitals) features.push(vitalsFeature);
  const host: FeatureHost = { add, sessionId: () => stream.sessionId, relay: opts.relay, report };
  const teardowns = features.map((f) => guard(report, `starting ${f.name}`, () => f.setup(host), () => {}));

  return {
    get sessionId() { return stream.sessionId; },
    windowId,
    addEvent(name, props) {
      if (typeof name !== 'string' || !name || name.length > CUSTOM_EVENT_LIMITS.maxName) {
        report(RecorderErrorCode.BAD_EVENT, `addEvent: the name must be a string of 1–${CUSTOM_EVENT_LIMITS.maxName} characters`);
        return;
      }
      if (props !== undefined && (typeof props !== 'object' || props === null || Array.isArray(props))) {
        report(RecorderErrorCode.BAD_EVENT, `addEvent("${name}"): props must be a plain object`);
        return;
      }
      let text: string;
      try {
        text = JSON.stringify({ name, props: props ?? {} });
      } catch (err) {
        report(RecorderErrorCode.BAD_EVENT, `addEvent("${name}"): props cannot be serialized`, err);
        return;
      }
      if (text.length > CUSTOM_EVENT_LIMITS.maxChars) {
        report(RecorderErrorCode.BAD_EVENT, `addEvent("${name}"): props are larger than ${CUSTOM_EVENT_LIMITS.maxChars} characters`);
        return;
      }
      add({ type: EventType.Custom, timestamp: Date.now(), data: { tag: CustomTag.EVENT, payload: JSON.parse(text) as unknown } });
    },
    captureException(err) {
      writeError(errorPayload(err));
    },
    identify(userId, traits) {
      const checked = identifyPayload(userId, traits);
      if (!checked.ok) {
        report(RecorderErrorCode.BAD_EVENT, checked.message);
        return;
      }
      saveIdentity(local, stream.sessionId, checked.value);
      writeIdentity(checked.value);
    },
    stats() {
      return { sessionId: stream.sessionId, windowId, ...stream.buffer.stats(), ...stream.transport.stats() };
    },
    stop(discard) {
      if (stopped) return;
      stopped = true;
      const step = (what: string, fn: () => void): void => guard(report, `stop: ${what}`, fn, undefined);
      // Last wrapped, first unwrapped: each feature then finds its own wrapper in place and restores what it found.
      for (const teardown of [...teardowns].reverse()) step('features', teardown);
      step('rrweb', () => capture?.stop());
      for (const remove of removers) step('listeners', remove);
      const streams = all();
      if (discard) {
        step('discard', () => session.remove(StorageKey.QUEUE));
      } else {
        step('flush', () => stream.buffer.flush());
        for (const s of streams) step('beacon', () => s.transport.unload());
        step('save', save);
      }
      for (const s of streams) {
        step('transport', () => s.transport.close());
        step('buffer', () => s.buffer.close());
      }
      step('identity', () => identity.hide());
      step('global', unpublish);
    },
  };
}
