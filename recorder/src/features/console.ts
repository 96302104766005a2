/**
 * Console capture (`captureConsole`): calls of `console.log`, `info`, `warn`, `error`, `debug`,
 * `trace` and failed `console.assert` become `sentiero/console@1` events, their arguments as
 * capped text previews (see `preview.ts`). The page's console is still called, with the same
 * arguments, and anything it throws reaches the page as it would have; the recorder's own
 * lines are never recorded; a run of identical messages is written once and then folded into
 * one `count` event; a page that logs faster than `CONSOLE_BUDGET` has the excess counted in
 * `dropped`. `stop()` puts the page's methods back.
 */
import { ConsoleLevel, CustomTag, EventType, type ConsolePayload } from '@sentiero/protocol';
import { RecorderErrorCode, inOwnLog } from '../errors.ts';
import type { Feature, FeatureHost } from './feature.ts';
import { preview } from './preview.ts';

/** Caps of one console message. */
export const CONSOLE_LIMITS = {
  /** Most characters of one argument's preview. */
  maxArgChars: 2000,
  /** Most characters of all of a message's arguments together. */
  maxMessageChars: 8 * 1024,
  /** Most arguments kept. */
  maxArgs: 20,
  /** Most characters of a stack. */
  maxStack: 4000,
  /** A run of identical messages is written as one `count` event at most this long (ms) after its last repeat. */
  foldMs: 1000,
} as const;

/** Most messages written per `windowMs` (folded repeats are not counted). */
export const CONSOLE_BUDGET = { max: 200, windowMs: 10_000 } as const;

const LEVELS = [ConsoleLevel.LOG, ConsoleLevel.INFO, ConsoleLevel.WARN, ConsoleLevel.ERROR, ConsoleLevel.DEBUG, ConsoleLevel.TRACE, ConsoleLevel.ASSERT] as const;
const WITH_STACK = new Set<string>([ConsoleLevel.ERROR, ConsoleLevel.ASSERT, ConsoleLevel.TRACE]);

type CaptureStackTrace = (target: object, above?: (...a: never[]) => unknown) => void;

/** The stack of the page's call to `wrapper`, without the recorder's frames (V8 cuts them exactly; elsewhere our three are dropped). */
function callerStack(wrapper: (...a: never[]) => unknown): string | undefined {
  try {
    const capture = (Error as unknown as { captureStackTrace?: CaptureStackTrace }).captureStackTrace;
    let lines: string[];
    if (typeof capture === 'function') {
      const holder: { stack?: unknown } = {};
      capture(holder, wrapper);
      if (typeof holder.stack !== 'string') return undefined;
      lines = holder.stack.split('\n').slice(1);
    } else {
      const stack = new Error().stack;
      if (typeof stack !== 'string') return undefined;
      lines = stack.split('\n').slice(3);
    }
    const text = lines.join('\n');
    return text.length > CONSOLE_LIMITS.maxStack ? text.slice(0, CONSOLE_LIMITS.maxStack) : text || undefined;
  } catch {
    return undefined;
  }
}

/** The previews of a call's arguments, within the per-argument and per-message caps. */
export function previewArgs(args: readonly unknown[]): string[] {
  const out: string[] = [];
  let left = CONSOLE_LIMITS.maxMessageChars;
  for (let i = 0; i < args.length && i < CONSOLE_LIMITS.maxArgs; i++) {
    if (left <= 0) {
      out.push('…');
      break;
    }
    const text = preview(args[i], Math.min(CONSOLE_LIMITS.maxArgChars, left));
    out.push(text);
    left -= text.length;
  }
  if (args.length > CONSOLE_LIMITS.maxArgs) out.push(`… ${args.length - CONSOLE_LIMITS.maxArgs} more arguments`);
  return out;
}

/** The feature. */
export const consoleFeature: Feature = {
  name: 'sentiero/console@1',
  setup(host: FeatureHost) {
    const target = console as unknown as Record<string, unknown>;
    const originals = new Map<string, unknown>();
    const wrappers = new Map<string, unknown>();
    let active = true;
    let busy = false;
    let last: { key: string; payload: ConsolePayload } | undefined;
    let repeats = 0;
    let lastRepeatAt = 0;
    let foldTimer: ReturnType<typeof setTimeout> | undefined;
    const budget = { windowStart: 0, used: 0, dropped: 0 };

    const emit = (payload: ConsolePayload, timestamp: number): void => {
      host.add({ type: EventType.Custom, timestamp, data: { tag: CustomTag.CONSOLE, payload } });
    };
    const flushRepeats = (): void => {
      if (foldTimer !== undefined) clearTimeout(foldTimer);
      foldTimer = undefined;
      if (repeats > 0 && last) emit({ ...last.payload, count: repeats }, lastRepeatAt);
      repeats = 0;
    };
    const withinBudget = (now: number): boolean => {
      if (now - budget.windowStart >= CONSOLE_BUDGET.windowMs) {
        budget.windowStart = now;
        budget.used = 0;
      }
      if (budget.used >= CONSOLE_BUDGET.max) {
        budget.dropped++;
        return false;
      }
      budget.used++;
      return true;
    };

    const write = (level: ConsoleLevel, args: readonly unknown[], wrapper: (...a: never[]) => unknown): void => {
      const now = Date.now();
      const payload: ConsolePayload = { level, args: previewArgs(args) };
      if (WITH_STACK.has(level)) {
        const stack = callerStack(wrapper);
        if (stack) payload.stack = stack;
      }
      const key = `${level}\u0000${payload.args.join('\u0001')}\u0000${payload.stack ?? ''}`;
      if (last && last.key === key) {
        repeats++;
        lastRepeatAt = now;
        foldTimer ??= setTimeout(() => {
          try {
            flushRepeats();
          } catch (err) {
            host.report(RecorderErrorCode.INTERNAL, 'writing a folded console message failed', err);
          }
        }, CONSOLE_LIMITS.foldMs);
        return;
      }
      flushRepeats();
      if (!withinBudget(now)) return;
      if (budget.dropped) {
        payload.dropped = budget.dropped;
        budget.dropped = 0;
      }
      last = { key, payload };
      emit(payload, now);
    };

    const record = (level: ConsoleLevel, args: unknown[], wrapper: (...a: never[]) => unknown): void => {
      if (!active || busy || inOwnLog()) return;
      busy = true;
      try {
        if (level === ConsoleLevel.ASSERT) {
          if (args[0]) return;
          write(level, args.length > 1 ? args.slice(1) : ['console.assert'], wrapper);
        } else {
          write(level, args, wrapper);
        }
      } catch (err) {
        host.report(RecorderErrorCode.INTERNAL, `recording console.${level} failed`, err);
      } finally {
        busy = false;
      }
    };

    for (const level of LEVELS) {
      const original = target[level];
      if (typeof original !== 'function') continue;
      const wrapper = function (this: unknown, ...args: unknown[]): unknown {
        record(level, args, wrapper);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      try {
        target[level] = wrapper;
        originals.set(level, original);
        wrappers.set(level, wrapper);
      } catch (err) {
        host.report(RecorderErrorCode.INTERNAL, `console.${level} cannot be wrapped`, err);
      }
    }

    return () => {
      active = false;
      flushRepeats();
      // Put the originals back unless someone wrapped ours since (then ours stays, passing calls through).
      for (const [level, original] of originals) {
        if (target[level] === wrappers.get(level)) target[level] = original;
      }
    };
  },
};
