/**
 * Ingest bodies laid out as the recorder writes them, parsed by their parts: a batch frame
 * `{"t":"batch","seq":<seq>,"events":[…]}` on the socket, and an HTTP post
 * `{"sessionId":…,"windowId":…,"seq":<seq>,"events":[…],"meta":…}` (fallback and beacons). The
 * result is what `JSON.parse` of the whole text gives, at the same cost, with the events' text in
 * hand, so that a batch nothing changes after parsing is stored as the recorder wrote it instead
 * of being serialised again (`JSON.stringify` of the events costs about as much as their parse).
 *
 * Why parsing by parts is safe: a text is read only when it is a fixed template whose holes each
 * parse, alone, as one JSON value. Then the whole text is one JSON object with exactly the
 * template's members and those values (JSON's grammar has one parse), so it equals `JSON.parse`
 * of the whole. Any other text is left to that general parse.
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

const POST_HEAD = '{"sessionId":';
const POST_WINDOW = ',"windowId":';
const POST_SEQ = ',"seq":';
const POST_META = ',"meta":';

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
  const at = readSeq(frame, HEAD.length);
  if (at === undefined || !frame.startsWith(EVENTS, at.end)) return undefined;
  const text = frame.slice(at.end + EVENTS.length, frame.length - 1);
  const events = parsed(text);
  if (events === NOT_JSON) return undefined;
  return { message: { t: 'batch', seq: at.seq, events }, eventsJson: bareArray(text) };
}

/** An HTTP ingest body read by `parseIngestPost`. */
export interface IngestPostText {
  /** What `JSON.parse` of the whole body gives (not yet validated). */
  message: { sessionId: string; windowId: string; seq: number; events: unknown; meta?: unknown };
  /** The text of `events` in the body, when it is an array written without surrounding whitespace. */
  eventsJson: string | undefined;
}

/**
 * Parses a body laid out exactly as `{"sessionId":"…","windowId":"…","seq":<digits>,"events":<text>}`,
 * with `,"meta":<meta>` or not before the closing brace, by its parts (see the top of this file).
 * Undefined for any other body, and for ids that are no strings: the caller parses it whole.
 */
export function parseIngestPost(body: string): IngestPostText | undefined {
  if (!body.startsWith(POST_HEAD) || body.charCodeAt(body.length - 1) !== CLOSE_OBJECT) return undefined;
  // A JSON string holds no bare quote, so the first `,"windowId":` after a string is the one that ends it.
  const w = body.indexOf(POST_WINDOW, POST_HEAD.length);
  const s = w < 0 ? -1 : body.indexOf(POST_SEQ, w + POST_WINDOW.length);
  if (s < 0) return undefined;
  const sessionId = parsed(body.slice(POST_HEAD.length, w));
  const windowId = parsed(body.slice(w + POST_WINDOW.length, s));
  if (typeof sessionId !== 'string' || typeof windowId !== 'string') return undefined;
  const at = readSeq(body, s + POST_SEQ.length);
  if (at === undefined || !body.startsWith(EVENTS, at.end)) return undefined;
  const from = at.end + EVENTS.length;
  // The meta comes last; a `,"meta":` inside it or inside the events makes a part that does not parse, and the next try is made.
  const m = body.lastIndexOf(POST_META);
  if (m > from) {
    const text = body.slice(from, m);
    const events = parsed(text);
    const meta = events === NOT_JSON ? NOT_JSON : parsed(body.slice(m + POST_META.length, body.length - 1));
    if (events !== NOT_JSON && meta !== NOT_JSON) return { message: { sessionId, windowId, seq: at.seq, events, meta }, eventsJson: bareArray(text) };
  }
  const text = body.slice(from, body.length - 1);
  const events = parsed(text);
  if (events === NOT_JSON) return undefined;
  return { message: { sessionId, windowId, seq: at.seq, events }, eventsJson: bareArray(text) };
}

const NOT_JSON = Symbol('not JSON');

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** `text` when it is an array with nothing around it (what a store may keep as the events' text). */
function bareArray(text: string): string | undefined {
  return text.charCodeAt(0) === OPEN_ARRAY && text.charCodeAt(text.length - 1) === CLOSE_ARRAY ? text : undefined;
}

/** The seq written at `first` (JSON digits, no leading zero, at most `MAX_SEQ_DIGITS`) and where it ends. */
function readSeq(text: string, first: number): { seq: number; end: number } | undefined {
  let i = first;
  while (i < text.length && i - first <= MAX_SEQ_DIGITS) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    i++;
  }
  const digits = i - first;
  if (digits === 0 || digits > MAX_SEQ_DIGITS || (digits > 1 && text.charCodeAt(first) === ZERO)) return undefined;
  return { seq: Number(text.slice(first, i)), end: i };
}
