/**
 * A batch frame laid out as the recorder writes it, `{"t":"batch","seq":<seq>,"events":[…]}`,
 * parsed by its events' text alone: the same result as `JSON.parse` of the whole frame, at the
 * same cost, and with the events' text in hand, so that a batch nothing changes after parsing is
 * stored as the recorder wrote it instead of being serialised again (`JSON.stringify` of the
 * events costs about as much as their parse).
 */

const HEAD = '{"t":"batch","seq":';
const EVENTS = ',"events":';
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** Digits of a seq this path reads (a safe integer has at most 16; longer ones take the general path). */
const MAX_SEQ_DIGITS = 15;

/** A batch frame read by `parseBatchFrame`. */
export interface BatchFrame {
  /** What `JSON.parse` of the whole frame gives (not yet validated). */
  message: { t: 'batch'; seq: number; events: unknown };
  /** The text of `events` in the frame, when it is an array written without surrounding whitespace. */
  eventsJson: string | undefined;
}

/**
 * Parses a frame laid out exactly as `{"t":"batch","seq":<digits>,"events":<text>}` by parsing
 * `<text>` alone: when that parses, the whole frame is one object with exactly these three
 * members, so the result is what `JSON.parse(frame)` gives. Undefined for any other frame (other
 * key order, whitespace, more members, a second `"events"`, invalid JSON): the caller parses it
 * whole, as any frame.
 */
export function parseBatchFrame(frame: string): BatchFrame | undefined {
  if (!frame.startsWith(HEAD) || frame.charCodeAt(frame.length - 1) !== CLOSE_OBJECT) return undefined;
  const first = HEAD.length;
  let i = first;
  while (i < frame.length && i - first <= MAX_SEQ_DIGITS) {
    const c = frame.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    i++;
  }
  const digits = i - first;
  // JSON allows no leading zero.
  if (digits === 0 || digits > MAX_SEQ_DIGITS || (digits > 1 && frame.charCodeAt(first) === ZERO) || !frame.startsWith(EVENTS, i)) return undefined;
  const text = frame.slice(i + EVENTS.length, frame.length - 1);
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch {
    return undefined;
  }
  const exact = text.charCodeAt(0) === OPEN_ARRAY && text.charCodeAt(text.length - 1) === CLOSE_ARRAY;
  return { message: { t: 'batch', seq: Number(frame.slice(first, i)), events }, eventsJson: exact ? text : undefined };
}
