/** Stack traces of recorded errors, parsed into frames (V8's and Firefox/Safari's formats). */

/** One frame of a stack trace. */
export interface StackFrame {
  /** The function's name, when the trace gives one. */
  fn?: string;
  /** The script's URL. */
  url: string;
  line: number;
  column?: number;
}

const V8 = /^\s*at (?:(.+?) \()?((?:[a-z][a-z0-9+.-]*:)?[^()\s]+?):(\d+)(?::(\d+))?\)?\s*$/i;
const GECKO = /^\s*(.*?)@(.+?):(\d+)(?::(\d+))?\s*$/;

/** Parses a stack trace; lines that are not frames are skipped. */
export function parseStack(stack: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    const m = V8.exec(line) ?? GECKO.exec(line);
    if (!m) continue;
    const frame: StackFrame = { url: m[2]!, line: Number(m[3]) };
    if (m[1]) frame.fn = m[1];
    if (m[4]) frame.column = Number(m[4]);
    frames.push(frame);
  }
  return frames;
}
