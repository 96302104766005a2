/**
 * Error capture (`captureErrors`): uncaught errors and unhandled promise rejections become
 * `sentiero/error@1` events in the session's timeline, with the message and the stack parsed
 * by error-stack-parser. `Sentiero.captureException(err)` writes the same event on demand.
 * At most `ERROR_BUDGET.max` errors per minute are written, so an error in a render loop
 * cannot flood the session.
 */
import ErrorStackParserModule from 'error-stack-parser';
import { CustomTag, ERROR_LIMITS, EventType, type ErrorEventPayload, type ErrorFrame, type RecordedEvent } from '@sentiero/protocol';
import { RecorderErrorCode } from '../errors.ts';
import type { Feature, FeatureHost } from './feature.ts';

/** What error-stack-parser gives for one frame. */
interface ParsedFrame { functionName?: string; fileName?: string; lineNumber?: number; columnNumber?: number }

// error-stack-parser 3 is UMD and sets `module.exports.default`: that is the parser under esbuild's interop.
const ErrorStackParser = ((ErrorStackParserModule as unknown as { default?: unknown }).default ?? ErrorStackParserModule) as {
  parse(error: Error): ParsedFrame[];
};

/** Most errors written per `windowMs`. */
export const ERROR_BUDGET = { max: 30, windowMs: 60_000 } as const;

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** Whether a frame is the page's own code (not a dependency, not this recorder, not native code); the relay applies the same rule. */
function inApp(file: string | undefined): boolean {
  return !!file && !file.includes('/node_modules/') && !/\/recorder(?:\.iife)?(?:\.min)?\.js(?:[?#]|$)/.test(file) && !file.startsWith('<');
}

function framesOf(err: unknown): ErrorFrame[] | undefined {
  try {
    if (typeof (err as { stack?: unknown })?.stack !== 'string') return undefined;
    return ErrorStackParser.parse(err as Error).slice(0, ERROR_LIMITS.maxFrames).map((f) => {
      const frame: ErrorFrame = { inApp: inApp(f.fileName) };
      if (f.functionName) frame.function = cut(f.functionName, ERROR_LIMITS.maxFunction);
      if (f.fileName) frame.file = cut(f.fileName, ERROR_LIMITS.maxPath);
      if (typeof f.lineNumber === 'number') frame.line = f.lineNumber;
      if (typeof f.columnNumber === 'number') frame.column = f.columnNumber;
      return frame;
    });
  } catch {
    return undefined;
  }
}

/** The event payload for anything thrown: an `Error`, or any other value (a rejection's reason may be anything). */
export function errorPayload(err: unknown, where?: { file?: string; line?: number; column?: number }): ErrorEventPayload {
  let name = 'Error';
  let message: string;
  let stack = '';
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    if (typeof e.name === 'string' && e.name) name = e.name;
    message = String(e.message);
    if (typeof e.stack === 'string') stack = e.stack;
  } else {
    try {
      message = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
    } catch {
      message = String(err);
    }
  }
  const payload: ErrorEventPayload = {
    name: cut(name, ERROR_LIMITS.maxName), message: cut(message, ERROR_LIMITS.maxMessage), stack: cut(stack, ERROR_LIMITS.maxStack),
  };
  const frames = framesOf(err);
  if (frames?.length) payload.frames = frames;
  else if (where?.file) {
    // No stack (e.g. "Script error." from another origin): the position the browser gives is the one frame there is.
    const frame: ErrorFrame = { file: cut(where.file, ERROR_LIMITS.maxPath), inApp: inApp(where.file) };
    if (where.line) frame.line = where.line;
    if (where.column) frame.column = where.column;
    payload.frames = [frame];
  }
  return payload;
}

/** A budget of `ERROR_BUDGET.max` errors per `ERROR_BUDGET.windowMs`. */
export function createErrorBudget(now: () => number = Date.now): () => boolean {
  let times: number[] = [];
  return () => {
    const t = now();
    times = times.filter((x) => t - x < ERROR_BUDGET.windowMs);
    if (times.length >= ERROR_BUDGET.max) return false;
    times.push(t);
    return true;
  };
}

/** The `sentiero/error@1` event for a payload. */
export function errorEvent(payload: ErrorEventPayload, timestamp = Date.now()): RecordedEvent {
  return { type: EventType.Custom, timestamp, data: { tag: CustomTag.ERROR, payload } };
}

/** The feature: window `error` and `unhandledrejection` listeners writing events through `write`. */
export function errorsFeature(write: (payload: ErrorEventPayload) => void): Feature {
  return {
    name: 'sentiero/errors@1',
    setup(host: FeatureHost) {
      const onError = (ev: Event): void => {
        try {
          const e = ev as ErrorEvent;
          if (!(typeof ErrorEvent !== 'undefined' && e instanceof ErrorEvent)) return; // a resource that failed to load
          write(errorPayload(e.error ?? { name: 'Error', message: e.message || 'Script error.' }, { file: e.filename, line: e.lineno, column: e.colno }));
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, 'recording an error failed', err);
        }
      };
      const onRejection = (ev: Event): void => {
        try {
          const reason = (ev as PromiseRejectionEvent).reason;
          const payload = errorPayload(reason);
          if (!(reason instanceof Error)) payload.name = 'UnhandledRejection';
          write(payload);
        } catch (err) {
          host.report(RecorderErrorCode.INTERNAL, 'recording a rejection failed', err);
        }
      };
      window.addEventListener('error', onError);
      window.addEventListener('unhandledrejection', onRejection);
      return () => {
        window.removeEventListener('error', onError);
        window.removeEventListener('unhandledrejection', onRejection);
      };
    },
  };
}
