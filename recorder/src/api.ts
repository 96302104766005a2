/**
 * The page-facing API (also the IIFE global `Sentiero`). One recorder per page. No function
 * here throws: failures go to `onError`.
 */
import { RecorderErrorCode, createDefaultOnError, createReport, describe, type Report } from './errors.ts';
import { resolveOptions, type RecorderOptions } from './options.ts';
import { forgetIdentity } from './identify.ts';
import { globalPrivacyControl, isOptedOut, setOptedOut } from './privacy.ts';
import { PAGE_GLOBAL, createRecorder, type Recorder, type RecorderStats } from './recorder.ts';
import { createSafeStorage } from './storage.ts';

const page: { recorder: Recorder | undefined; report: Report | undefined } = { recorder: undefined, report: undefined };

const fallbackReport = (): Report => (page.report ??= createReport(createDefaultOnError()));

function safely<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    fallbackReport()(RecorderErrorCode.INTERNAL, `${what} failed: ${describe(err)}`, err);
    return fallback;
  }
}

/**
 * Starts recording this page. Does nothing (and returns `false`) while the visitor has opted
 * out, or when Global Privacy Control is on and honoured; returns `true` once recording.
 */
export function start(options?: RecorderOptions): boolean {
  return safely('start', () => {
    if (page.recorder) {
      page.report?.(RecorderErrorCode.BAD_OPTION, 'start: already recording; call stop() first to change options');
      return true;
    }
    const opts = resolveOptions(options);
    page.report = opts.report;
    if (PAGE_GLOBAL in window) {
      opts.report(RecorderErrorCode.BAD_OPTION, `start: another recorder already records this page (window.${PAGE_GLOBAL} is set)`);
      return false;
    }
    if (!opts.relay) {
      opts.report(RecorderErrorCode.BAD_OPTION, 'start: no relay URL could be derived from this page; pass the "relay" option');
      return false;
    }
    const local = createSafeStorage('localStorage', opts.report);
    if (isOptedOut(local)) return false;
    if (opts.respectGlobalPrivacyControl && globalPrivacyControl()) return false;
    page.recorder = createRecorder(opts, local, createSafeStorage('sessionStorage', opts.report));
    return true;
  }, false);
}

/** Stops recording: pending events are flushed and sent once (beacon), unacknowledged ones saved for the next page. */
export function stop(): void {
  safely('stop', () => {
    const r = page.recorder;
    page.recorder = undefined;
    r?.stop(false);
  }, undefined);
}

/** The visitor opts out: recording stops now, unsent data is discarded, and `start()` does nothing until `optIn()` (remembered in localStorage). */
export function optOut(): void {
  safely('optOut', () => {
    const report = fallbackReport();
    const local = createSafeStorage('localStorage', report);
    if (!setOptedOut(local, true)) {
      report(RecorderErrorCode.STORAGE, 'optOut: localStorage refused the opt-out; it holds for this page only');
    }
    forgetIdentity(local);
    const r = page.recorder;
    page.recorder = undefined;
    r?.stop(true);
  }, undefined);
}

/** Forgets the visitor's opt-out; call `start()` to record again. */
export function optIn(): void {
  safely('optIn', () => {
    setOptedOut(createSafeStorage('localStorage', fallbackReport()), false);
  }, undefined);
}

/** Records an app's custom event (an rrweb custom event tagged `sentiero/event@1`); ignored when not recording. */
export function addEvent(name: string, props?: Record<string, unknown>): void {
  safely('addEvent', () => page.recorder?.addEvent(name, props), undefined);
}

/** Records an error (anything thrown) as a `sentiero/error@1` event in the session's timeline; ignored when not recording. */
export function captureException(err: unknown): void {
  safely('captureException', () => page.recorder?.captureException(err), undefined);
}

/**
 * Names the user of this session (opt-in: nothing identifies a session unless the page calls
 * this), written as a `sentiero/identify@1` event `{ userId, traits? }` and remembered for the
 * rest of the session; ignored when not recording.
 */
export function identify(userId: string, traits?: Record<string, unknown>): void {
  safely('identify', () => page.recorder?.identify(userId, traits), undefined);
}

/** The current session id, or `undefined` when not recording. */
export function getSessionId(): string | undefined {
  return safely('getSessionId', () => page.recorder?.sessionId, undefined);
}

/** Counters for tests and devtools (sent, acked, dropped, bufferedBytes, transport state…), or `undefined` when not recording. */
export function getStats(): RecorderStats | undefined {
  return safely('getStats', () => page.recorder?.stats(), undefined);
}
