/**
 * Runtime validators for every wire message. Each returns a `Result`: the typed message, or
 * the documented error code and a message that says which field is wrong. They check the
 * envelope and every field the relay or a client relies on; an event's `data` is carried
 * as is (it is only ever replayed inside rrweb's sandbox).
 */
import { ErrorCode } from './errors.ts';
import { isValidId } from './ids.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import type {
  AuthMessage, BatchMessage, HelloMessage, IngestClientMessage, IngestPost, IngestPostAck, IngestServerMessage,
  RecordedEvent, ResumePoint, SessionMeta, SessionSummary, WatchClientMessage, WatchServerMessage,
} from './messages.ts';

/** The outcome of a validation. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

/** Options for validators that enforce limits. */
export interface ValidateOptions {
  maxEventsPerBatch?: number;
  maxIdLength?: number;
}

class Invalid extends Error {
  constructor(readonly code: ErrorCode, message: string) { super(message); }
}

const fail = (path: string, expected: string): never => {
  throw new Invalid(ErrorCode.INVALID_MESSAGE, `${path} must be ${expected}`);
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, path: string): Obj {
  return isObj(v) ? v : fail(path, 'an object');
}
function str(v: unknown, path: string, max = 8192): string {
  return typeof v === 'string' && v.length <= max ? v : fail(path, `a string of at most ${max} characters`);
}
function optStr(v: unknown, path: string, max = 8192): string | undefined {
  return v === undefined ? undefined : str(v, path, max);
}
function int(v: unknown, path: string, min = 0): number {
  return Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(path, `an integer ≥ ${min}`);
}
function num(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a finite number');
}
function id(v: unknown, path: string, max: number): string {
  return isValidId(v) && v.length <= max ? v : fail(path, `an id of 1–${max} letters, digits, "_" or "-"`);
}
function size(v: unknown, path: string): { width: number; height: number } | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, path);
  return { width: num(o.width, `${path}.width`), height: num(o.height, `${path}.height`) };
}

function events(v: unknown, path: string, max: number): RecordedEvent[] {
  if (!Array.isArray(v)) return fail(path, 'an array of rrweb events');
  if (v.length > max) throw new Invalid(ErrorCode.PAYLOAD_TOO_LARGE, `${path} has ${v.length} events, more than the limit of ${max}`);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    if (!isObj(e)) fail(`${path}[${i}]`, 'an object');
    if (!Number.isInteger(e.type) || (e.type as number) < 0 || (e.type as number) > 64) fail(`${path}[${i}].type`, 'an rrweb event type (integer)');
    if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp)) fail(`${path}[${i}].timestamp`, 'a finite number');
  }
  return v as RecordedEvent[];
}

/** Validates a recorder's `meta`. Unknown fields are dropped, so nothing unvetted is stored. */
export function sessionMeta(v: unknown, path = 'meta'): SessionMeta {
  const o = obj(v, path);
  const meta: SessionMeta = {
    url: str(o.url, `${path}.url`, 4096),
    userAgent: str(o.userAgent, `${path}.userAgent`, 1024),
    startedAt: num(o.startedAt, `${path}.startedAt`),
  };
  const referrer = optStr(o.referrer, `${path}.referrer`, 4096);
  if (referrer !== undefined) meta.referrer = referrer;
  const language = optStr(o.language, `${path}.language`, 64);
  if (language !== undefined) meta.language = language;
  const timeZone = optStr(o.timeZone, `${path}.timeZone`, 64);
  if (timeZone !== undefined) meta.timeZone = timeZone;
  const recorder = optStr(o.recorder, `${path}.recorder`, 64);
  if (recorder !== undefined) meta.recorder = recorder;
  const viewport = size(o.viewport, `${path}.viewport`);
  if (viewport) meta.viewport = viewport;
  const screen = size(o.screen, `${path}.screen`);
  if (screen) meta.screen = screen;
  return meta;
}

function run<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** Parses JSON text, mapping a syntax error to `SENTIERO_BAD_JSON`. */
export function parseJson(text: string): Result<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, code: ErrorCode.BAD_JSON, message: 'the frame is not valid JSON' };
  }
}

function kind(v: unknown): string {
  const o = obj(v, 'message');
  return typeof o.t === 'string' ? o.t : fail('message.t', 'a string naming the message kind');
}

/** Validates a message a recorder sends on an ingest socket. */
export function validateIngestClientMessage(v: unknown, opts: ValidateOptions = {}): Result<IngestClientMessage> {
  const maxId = opts.maxIdLength ?? DEFAULT_LIMITS.maxIdLength;
  const maxEvents = opts.maxEventsPerBatch ?? DEFAULT_LIMITS.maxEventsPerBatch;
  return run(() => {
    const t = kind(v);
    const o = v as Obj;
    if (t === 'hello') {
      const hello: HelloMessage = {
        t, v: int(o.v, 'hello.v', 1), sessionId: id(o.sessionId, 'hello.sessionId', maxId),
        windowId: id(o.windowId, 'hello.windowId', maxId), lastSeq: int(o.lastSeq, 'hello.lastSeq'),
        meta: sessionMeta(o.meta, 'hello.meta'),
      };
      return hello;
    }
    if (t === 'batch') {
      const batch: BatchMessage = { t, seq: int(o.seq, 'batch.seq', 1), events: events(o.events, 'batch.events', maxEvents) };
      return batch;
    }
    throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown ingest message kind "${t.slice(0, 32)}"`);
  });
}

/** Validates the body of `POST <base>/ingest`. */
export function validateIngestPost(v: unknown, opts: ValidateOptions = {}): Result<IngestPost> {
  const maxId = opts.maxIdLength ?? DEFAULT_LIMITS.maxIdLength;
  const maxEvents = opts.maxEventsPerBatch ?? DEFAULT_LIMITS.maxEventsPerBatch;
  return run(() => {
    const o = obj(v, 'body');
    const post: IngestPost = {
      sessionId: id(o.sessionId, 'body.sessionId', maxId), windowId: id(o.windowId, 'body.windowId', maxId),
      seq: int(o.seq, 'body.seq', 1), events: events(o.events, 'body.events', maxEvents),
    };
    if (o.meta !== undefined) post.meta = sessionMeta(o.meta, 'body.meta');
    return post;
  });
}

/** Validates the relay's answer to `POST <base>/ingest` (used by recorders). */
export function validateIngestPostAck(v: unknown): Result<IngestPostAck> {
  return run(() => ({ ack: int(obj(v, 'body').ack, 'body.ack', 1) }));
}

/** Validates a message a relay sends on an ingest socket (used by recorders). */
export function validateIngestServerMessage(v: unknown): Result<IngestServerMessage> {
  return run(() => {
    const t = kind(v);
    const o = v as Obj;
    if (t === 'welcome') {
      const c = obj(o.config, 'welcome.config');
      return {
        t, ackedSeq: int(o.ackedSeq, 'welcome.ackedSeq'),
        config: {
          flushIntervalMs: int(c.flushIntervalMs, 'welcome.config.flushIntervalMs', 1),
          maxBatchBytes: int(c.maxBatchBytes, 'welcome.config.maxBatchBytes', 1),
          maxEventsPerBatch: int(c.maxEventsPerBatch, 'welcome.config.maxEventsPerBatch', 1),
        },
      };
    }
    if (t === 'ack') return { t, seq: int(o.seq, 'ack.seq', 1) };
    if (t === 'error') return { t, code: str(o.code, 'error.code', 64), message: str(o.message, 'error.message') };
    throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown message kind "${t.slice(0, 32)}"`);
  });
}

function resumePoint(v: unknown, path: string, maxId: number): ResumePoint | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, path);
  const out: ResumePoint = {};
  const keys = Object.keys(o);
  if (keys.length > 256) fail(path, 'a map of at most 256 windows');
  for (const k of keys) out[id(k, `${path} key`, maxId)] = int(o[k], `${path}.${k}`);
  return out;
}

const FEEDS = new Set(['sessions', 'errors']);

/** Validates a message a watcher sends on a watch socket. */
export function validateWatchClientMessage(v: unknown, opts: ValidateOptions = {}): Result<WatchClientMessage> {
  const maxId = opts.maxIdLength ?? DEFAULT_LIMITS.maxIdLength;
  return run(() => {
    const t = kind(v);
    const o = v as Obj;
    if (t === 'auth') {
      const auth: AuthMessage = { t, token: str(o.token, 'auth.token', 512) };
      return auth;
    }
    if (t === 'subscribe' || t === 'unsubscribe') {
      if (o.feed !== undefined) {
        if (!FEEDS.has(o.feed as string)) fail(`${t}.feed`, '"sessions" or "errors"');
        return { t, feed: o.feed as 'sessions' | 'errors' };
      }
      const sessionId = id(o.sessionId, `${t}.sessionId`, maxId);
      if (t === 'unsubscribe') return { t, sessionId };
      const from = resumePoint(o.from, 'subscribe.from', maxId);
      return from ? { t, sessionId, from } : { t, sessionId };
    }
    throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown watch message kind "${t.slice(0, 32)}"`);
  });
}

function summary(v: unknown, path: string): SessionSummary {
  const o = obj(v, path);
  if (typeof o.id !== 'string' || typeof o.startedAt !== 'number' || typeof o.live !== 'boolean') fail(path, 'a session summary');
  return o as unknown as SessionSummary;
}

/** Validates a message a relay sends on a watch socket (used by viewers). */
export function validateWatchServerMessage(v: unknown): Result<WatchServerMessage> {
  return run(() => {
    const t = kind(v);
    const o = v as Obj;
    switch (t) {
      case 'ready': return { t };
      case 'events':
        return {
          t, sessionId: str(o.sessionId, 'events.sessionId', 64), windowId: str(o.windowId, 'events.windowId', 64),
          seq: int(o.seq, 'events.seq', 1), events: events(o.events, 'events.events', Number.MAX_SAFE_INTEGER),
        };
      case 'live': return { t, sessionId: str(o.sessionId, 'live.sessionId', 64), active: o.active === true };
      case 'end': return { t, sessionId: str(o.sessionId, 'end.sessionId', 64) };
      case 'session': return { t, session: summary(o.session, 'session.session') };
      case 'session-deleted': return { t, sessionId: str(o.sessionId, 'session-deleted.sessionId', 64) };
      case 'error': return { t, code: str(o.code, 'error.code', 64), message: str(o.message, 'error.message') };
      default: throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown message kind "${t.slice(0, 32)}"`);
    }
  });
}
