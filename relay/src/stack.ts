/**
 * Stack traces into frames, with error-stack-parser (V8, Firefox and Safari formats), and the
 * rule that says which frames are the app's own.
 */
import ErrorStackParserModule from 'error-stack-parser';
import { ERROR_LIMITS, type ErrorFrame } from '@sentiero/protocol';

/** What error-stack-parser gives for one frame. */
interface ParsedFrame { functionName?: string; fileName?: string; lineNumber?: number; columnNumber?: number }

// error-stack-parser 3 is UMD and sets `module.exports.default`: that is the parser under Node's and esbuild's interop.
const ErrorStackParser = ((ErrorStackParserModule as unknown as { default?: unknown }).default ?? ErrorStackParserModule) as {
  parse(error: Error): ParsedFrame[];
};

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/**
 * Whether a frame's file is the app's own code: not a dependency (`node_modules`), not the
 * runtime (`node:`, `internal/`, native code), not Sentiero's recorder script.
 */
export function isInApp(file: string | undefined): boolean {
  if (!file) return false;
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return false;
  if (file.startsWith('node:') || file.startsWith('internal/') || file === 'native' || file.startsWith('<')) return false;
  if (/\/recorder(?:\.iife)?(?:\.min)?\.js(?:[?#]|$)/.test(file)) return false;
  return true;
}

/** Parses a stack text into frames, innermost first; no frames when it cannot be parsed. */
export function parseStack(stack: string | undefined): ErrorFrame[] {
  if (!stack) return [];
  let parsed: ParsedFrame[];
  try {
    parsed = ErrorStackParser.parse({ name: '', message: '', stack: cut(stack, ERROR_LIMITS.maxStack) } as Error);
  } catch {
    return [];
  }
  const frames: ErrorFrame[] = [];
  for (const f of parsed.slice(0, ERROR_LIMITS.maxFrames)) {
    const frame: ErrorFrame = { inApp: isInApp(f.fileName) };
    if (f.functionName) frame.function = cut(f.functionName, ERROR_LIMITS.maxFunction);
    if (f.fileName) frame.file = cut(f.fileName, ERROR_LIMITS.maxPath);
    if (Number.isSafeInteger(f.lineNumber) && (f.lineNumber as number) >= 0) frame.line = f.lineNumber;
    if (Number.isSafeInteger(f.columnNumber) && (f.columnNumber as number) >= 0) frame.column = f.columnNumber;
    frames.push(frame);
  }
  return frames;
}

/** The name, message and stack of anything thrown (an `Error`, or any other value). */
export function describeThrown(err: unknown): { name: string; message: string; stack: string | undefined } {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; constructor?: { name?: string } };
    const name = typeof e.name === 'string' && e.name ? e.name : (e.constructor?.name ?? 'Error');
    return { name: cut(name, ERROR_LIMITS.maxName), message: cut(String(e.message ?? ''), ERROR_LIMITS.maxMessage), stack: typeof e.stack === 'string' ? e.stack : undefined };
  }
  let message: string;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err);
  }
  return { name: 'Error', message: cut(message, ERROR_LIMITS.maxMessage), stack: undefined };
}
