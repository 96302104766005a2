/**
 * The rrweb capture. Only rrweb's recorder is imported (`@rrweb/record`, a build of rrweb's
 * record entry alone), so no replay code ships to the page. Every event goes through `emit`;
 * rrweb's own failures and any failure in `emit` go to the report, never to the page.
 */
import { record } from '@rrweb/record';
import { EventType, type RecordedEvent } from '@sentiero/protocol';
import { RecorderErrorCode, describe, type Report } from './errors.ts';
import { watchPopovers, type PopoverWatch } from './popover.ts';
import type { CanvasSampling } from './options.ts';
import type { PrivacyRecordOptions } from './privacy.ts';

/** A running capture. */
export interface Capture {
  /** Records a new full snapshot (a no-op until rrweb has taken its first one). */
  takeFullSnapshot(): void;
  /** Stops rrweb and removes every listener it added. */
  stop(): void;
}

/** Options of `startCapture`. */
export interface CaptureOptions {
  privacy: PrivacyRecordOptions;
  /** Canvas sampling (`recordCanvas`), or `false`. */
  canvas: CanvasSampling | false;
  /** Record fonts added with the `FontFace` API (`collectFonts`). */
  collectFonts: boolean;
  emit(event: RecordedEvent): void;
  report: Report;
}

/** Starts rrweb; `undefined` when it could not start (reported). */
export function startCapture({ privacy, canvas, collectFonts, emit, report }: CaptureOptions): Capture | undefined {
  let stopped = false;
  let stopRecord: (() => void) | undefined;
  let popovers: PopoverWatch | undefined;
  try {
    popovers = watchPopovers(document);
  } catch (err) {
    report(RecorderErrorCode.CAPTURE, `watching popovers failed: ${describe(err)}`, err);
  }
  try {
    stopRecord = record({
      emit(event) {
        if (stopped) return;
        try {
          emit(event as unknown as RecordedEvent);
          // After the snapshot itself, which has their nodes.
          if (event.type === EventType.FullSnapshot && popovers) queueMicrotask(() => { if (!stopped) popovers?.snapshot(); });
        } catch (err) {
          report(RecorderErrorCode.INTERNAL, `buffering an event failed: ${describe(err)}`, err);
        }
      },
      ...privacy,
      // Canvases are sampled as whole frames (never command by command): a frame replays without running scripts in the replay.
      recordCanvas: canvas !== false,
      ...(canvas ? { sampling: { canvas: canvas.fps }, dataURLOptions: { type: 'image/webp', quality: canvas.quality } } : {}),
      collectFonts,
      inlineImages: false,
      recordCrossOriginIframes: false,
      userTriggeredOnInput: true,
      errorHandler(err: unknown) {
        report(RecorderErrorCode.CAPTURE, `rrweb failed: ${describe(err)}`, err);
        return true;
      },
    });
  } catch (err) {
    popovers?.stop();
    report(RecorderErrorCode.CAPTURE, `rrweb could not start: ${describe(err)}`, err);
    return undefined;
  }
  if (!stopRecord) {
    popovers?.stop();
    report(RecorderErrorCode.CAPTURE, 'rrweb could not start');
    return undefined;
  }
  const stopFn = stopRecord;
  return {
    takeFullSnapshot() {
      if (stopped) return;
      try {
        record.takeFullSnapshot();
      } catch { /* rrweb has not recorded its first snapshot yet, which will come on its own */ }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        popovers?.stop();
        stopFn();
      } catch (err) {
        report(RecorderErrorCode.CAPTURE, `rrweb failed to stop: ${describe(err)}`, err);
      }
    },
  };
}
