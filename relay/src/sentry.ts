/**
 * Sentry SDK compatibility: the envelope format (`<base>/api/<project>/envelope/`) and the
 * legacy store endpoint. Error events become occurrences; replay segments from Sentry's
 * replay integration become a stored session when they carry rrweb events; every other item
 * (transactions, sessions, attachments, client reports, logs, unknown types) is accepted and
 * dropped. An envelope is parsed and checked whole before anything of it is stored.
 */
import { ErrorCode, isValidId, validateErrorReport, validateIngestPost, type ErrorFrame, type ErrorReport } from '@sentiero/protocol';
import { inflateAny } from './body.ts';
import { RelayError } from './errors.ts';
import type { IngestItem } from './ingest.ts';
import { isInApp } from './stack.ts';
import type { ErrorInput } from './tracker.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Most items in one envelope. */
export const MAX_ENVELOPE_ITEMS = 1000;
/** The window id under which a Sentry replay is stored (its session id is the replay id). */
export const SENTRY_REPLAY_WINDOW = 'sentry-replay';

/** One item of an envelope. */
export interface EnvelopeItem {
  type: string;
  headers: Obj;
  payload: Buffer;
}

/** A parsed envelope. */
export interface Envelope {
  headers: Obj;
  items: EnvelopeItem[];
}

const bad = (message: string): RelayError => new RelayError(ErrorCode.BAD_ENVELOPE, message);

function jsonObject(bytes: Buffer, what: string): Obj {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad(`${what} is not valid JSON`);
  }
  if (!isObj(value)) throw bad(`${what} is not a JSON object`);
  return value;
}

/**
 * Parses Sentry's envelope framing: a header line, then items, each a header line and a
 * payload of `length` bytes (or, without `length`, up to the next newline).
 */
export function parseEnvelope(body: Buffer): Envelope {
  const lineEnd = (from: number): number => {
    const i = body.indexOf(0x0a, from);
    return i < 0 ? body.length : i;
  };
  if (body.length === 0) throw bad('the envelope is empty');
  let end = lineEnd(0);
  const headers = jsonObject(body.subarray(0, end), 'the envelope header');
  let pos = end + 1;
  const items: EnvelopeItem[] = [];
  while (pos < body.length) {
    end = lineEnd(pos);
    if (end === pos) {
      pos++;
      continue;
    }
    const itemHeaders = jsonObject(body.subarray(pos, end), `the header of item ${items.length + 1}`);
    if (typeof itemHeaders.type !== 'string' || !itemHeaders.type) throw bad(`item ${items.length + 1} has no "type"`);
    pos = end + 1;
    let payload: Buffer;
    if (itemHeaders.length !== undefined && itemHeaders.length !== null) {
      const length = itemHeaders.length;
      if (!Number.isSafeInteger(length) || (length as number) < 0) throw bad(`item ${items.length + 1} has a bad "length"`);
      if (pos + (length as number) > body.length) throw bad(`item ${items.length + 1} is longer than the envelope`);
      payload = body.subarray(pos, pos + (length as number));
      pos += length as number;
      if (body[pos] === 0x0a) pos++;
    } else {
      end = lineEnd(pos);
      payload = body.subarray(pos, end);
      pos = end + 1;
    }
    items.push({ type: itemHeaders.type, headers: itemHeaders, payload });
    if (items.length > MAX_ENVELOPE_ITEMS) throw bad(`an envelope holds at most ${MAX_ENVELOPE_ITEMS} items`);
  }
  return { headers, items };
}

function timeMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function frameOf(f: unknown): ErrorFrame | undefined {
  if (!isObj(f)) return undefined;
  const file = str(f.abs_path) ?? str(f.filename);
  const frame: ErrorFrame = { inApp: typeof f.in_app === 'boolean' ? f.in_app : isInApp(file) };
  const fn = str(f.function);
  if (fn && fn !== '?') frame.function = fn;
  if (file) frame.file = file;
  if (Number.isSafeInteger(f.lineno) && (f.lineno as number) >= 0) frame.line = f.lineno as number;
  if (Number.isSafeInteger(f.colno) && (f.colno as number) >= 0) frame.column = f.colno as number;
  return frame;
}

function messageOf(ev: Obj): string {
  if (typeof ev.message === 'string') return ev.message;
  if (isObj(ev.message)) return str(ev.message.formatted) ?? str(ev.message.message) ?? '';
  if (isObj(ev.logentry)) return str(ev.logentry.formatted) ?? str(ev.logentry.message) ?? '';
  return '';
}

/** Where an event comes from, by its SDK and platform. */
function originOf(ev: Obj, envelopeHeaders: Obj): 'browser' | 'server' {
  const sdk = (isObj(ev.sdk) ? str(ev.sdk.name) : undefined) ?? (isObj(envelopeHeaders.sdk) ? str(envelopeHeaders.sdk.name) : undefined) ?? '';
  if (/\.(browser|react|vue|angular|svelte|solid|ember|capacitor)\b/.test(sdk)) return 'browser';
  if (/\.(node|bun|deno|aws-serverless|google-cloud)\b/.test(sdk) || ev.platform === 'node') return 'server';
  return ev.platform === 'javascript' ? 'browser' : 'server';
}

/**
 * A Sentry event as an error to record. The session it links to: the tag `sentiero.session`
 * (or `sentiero_session`), else the event's replay (`contexts.replay.replay_id`, or the tag
 * `replayId` that Sentry's replay integration adds), which is the session a Sentry replay is
 * stored under.
 */
export function eventInput(ev: Obj, envelopeHeaders: Obj): ErrorInput {
  const values = isObj(ev.exception) && Array.isArray(ev.exception.values) ? ev.exception.values : Array.isArray(ev.exception) ? ev.exception : [];
  // Sentry lists chained exceptions cause first: the last one is the error that was thrown.
  const ex: unknown = values[values.length - 1];
  const report: Obj = {};
  if (isObj(ex)) {
    report.name = str(ex.type) || 'Error';
    report.message = str(ex.value) ?? messageOf(ev);
    const raw = isObj(ex.stacktrace) && Array.isArray(ex.stacktrace.frames) ? ex.stacktrace.frames : [];
    report.frames = raw.map(frameOf).filter((f): f is ErrorFrame => f !== undefined).reverse();
  } else {
    report.name = 'Message';
    report.message = messageOf(ev);
  }
  const ts = timeMs(ev.timestamp);
  if (ts !== undefined) report.timestamp = ts;
  report.origin = originOf(ev, envelopeHeaders);
  const tags: Obj = isObj(ev.tags) ? ev.tags : {};
  const contexts: Obj = isObj(ev.contexts) ? ev.contexts : {};
  const replayId = isObj(contexts.replay) ? contexts.replay.replay_id : undefined;
  const session = [tags['sentiero.session'], tags.sentiero_session, replayId, tags.replayId].find((v) => isValidId(v));
  if (session !== undefined) report.sessionId = session;
  if (isObj(ev.request) && typeof ev.request.url === 'string') report.url = ev.request.url;
  if (isObj(ev.user)) report.user = { id: ev.user.id, email: ev.user.email, username: ev.user.username };
  report.tags = tags;
  if (typeof ev.release === 'string') report.release = ev.release;
  if (typeof ev.environment === 'string') report.environment = ev.environment;
  const checked = validateErrorReport(report);
  if (!checked.ok) throw bad(`the event is not usable: ${checked.message}`);
  const r: ErrorReport = checked.value;
  const input: ErrorInput = { name: r.name ?? 'Error', message: r.message, frames: r.frames ?? [], origin: r.origin ?? 'server', via: 'sentry' };
  for (const key of ['timestamp', 'sessionId', 'url', 'user', 'tags', 'release', 'environment'] as const) {
    if (r[key] !== undefined) (input as unknown as Obj)[key] = r[key];
  }
  return input;
}

/** What an envelope asks the relay to store. */
export interface EnvelopeWork {
  /** The event id to answer with (`{"id"}`), if any. */
  id: string | undefined;
  errors: ErrorInput[];
  replays: IngestItem[];
  /** Items accepted and dropped. */
  dropped: number;
}

async function replaySegment(event: EnvelopeItem, recording: EnvelopeItem, fallbackUa: string, limit: number, maxEvents: number): Promise<IngestItem | undefined> {
  const ev = jsonObject(event.payload, 'the replay_event item');
  const nl = recording.payload.indexOf(0x0a);
  if (nl < 0) throw bad('the replay_recording item has no header line');
  const header = jsonObject(recording.payload.subarray(0, nl), 'the replay_recording header');
  const data = recording.payload.subarray(nl + 1);
  const text = data[0] === 0x5b || data[0] === 0x7b ? data : await inflateAny(data, limit);
  let events: unknown;
  try {
    events = JSON.parse(text.toString('utf8'));
  } catch {
    throw bad('the replay recording is not valid JSON');
  }
  if (!Array.isArray(events) || events.length === 0) return undefined;
  const segment = Number.isSafeInteger(header.segment_id) ? header.segment_id as number : ev.segment_id;
  const request: Obj = isObj(ev.request) ? ev.request : {};
  const reqHeaders: Obj = isObj(request.headers) ? request.headers : {};
  const urls = Array.isArray(ev.urls) ? ev.urls.filter((u): u is string => typeof u === 'string') : [];
  const startedAt = timeMs(ev.replay_start_timestamp) ?? timeMs(ev.timestamp) ?? Date.now();
  const post = {
    sessionId: ev.replay_id, windowId: SENTRY_REPLAY_WINDOW, seq: Number.isSafeInteger(segment) ? (segment as number) + 1 : segment, events,
    meta: {
      url: (urls[0] ?? str(request.url) ?? '').slice(0, 4096), userAgent: (str(reqHeaders['User-Agent']) ?? str(reqHeaders['user-agent']) ?? fallbackUa).slice(0, 1024),
      startedAt,
    },
  };
  const checked = validateIngestPost(post, { maxEventsPerBatch: maxEvents });
  if (!checked.ok) {
    if (checked.code === ErrorCode.PAYLOAD_TOO_LARGE) throw new RelayError(checked.code, checked.message);
    throw bad(`the replay segment is not usable: ${checked.message}`);
  }
  const b = checked.value;
  return { sessionId: b.sessionId, windowId: b.windowId, seq: b.seq, events: b.events, meta: b.meta, bytes: text.length };
}

/** Reads what an envelope asks to store; throws `SENTIERO_BAD_ENVELOPE` (nothing to store) when any used item is bad. */
export async function envelopeWork(envelope: Envelope, userAgent: string, limit: number, maxEvents: number): Promise<EnvelopeWork> {
  const work: EnvelopeWork = { id: str(envelope.headers.event_id), errors: [], replays: [], dropped: 0 };
  let replayEvent: EnvelopeItem | undefined;
  for (const item of envelope.items) {
    switch (item.type) {
      case 'event': {
        const ev = jsonObject(item.payload, 'the event item');
        work.id ??= str(ev.event_id);
        work.errors.push(eventInput(ev, envelope.headers));
        break;
      }
      case 'replay_event':
        replayEvent = item;
        break;
      case 'replay_recording': {
        const segment = replayEvent && await replaySegment(replayEvent, item, userAgent, limit, maxEvents);
        if (segment) work.replays.push(segment);
        else work.dropped++;
        replayEvent = undefined;
        break;
      }
      default:
        work.dropped++;
    }
  }
  return work;
}

/** Reads the legacy store endpoint's body: one JSON event. */
export function storeWork(body: Buffer): EnvelopeWork {
  const ev = jsonObject(body, 'the event');
  return { id: str(ev.event_id), errors: [eventInput(ev, {})], replays: [], dropped: 0 };
}
