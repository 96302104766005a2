/**
 * Runtime validators for every wire message. Each returns a `Result`: the typed message, or
 * the documented error code and a message that says which field is wrong. They check the
 * envelope and every field the relay or a client relies on; an event's `data` is carried
 * as is (it is only ever replayed inside rrweb's sandbox).
 */
import { ERROR_LIMITS, ErrorStatus } from './error-groups.ts';
import type {
  ErrorEventPayload, ErrorFrame, ErrorGroup, ErrorOccurrence, ErrorOrigin, ErrorReport, ErrorStatusChange, ErrorUser,
  ErrorVia, OriginalPosition,
} from './error-groups.ts';
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
  maxEventDepth?: number;
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

/** Whether objects and arrays nest deeper than `left` levels below `v` (recursion bounded by `left`). */
function deeper(v: unknown, left: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (left === 0) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (deeper(x, left - 1)) return true;
    return false;
  }
  for (const k in v) if (deeper((v as Obj)[k], left - 1)) return true;
  return false;
}

/** What a client accepts of the events a relay sends: the relay has enforced its own limits. */
const ANY_EVENTS: ValidateOptions = { maxEventsPerBatch: Number.MAX_SAFE_INTEGER, maxEventDepth: Infinity };

function events(v: unknown, path: string, opts: ValidateOptions): RecordedEvent[] {
  const max = opts.maxEventsPerBatch ?? DEFAULT_LIMITS.maxEventsPerBatch;
  const maxDepth = opts.maxEventDepth ?? DEFAULT_LIMITS.maxEventDepth;
  if (!Array.isArray(v)) return fail(path, 'an array of rrweb events');
  if (v.length > max) throw new Invalid(ErrorCode.PAYLOAD_TOO_LARGE, `${path} has ${v.length} events, more than the limit of ${max}`);
  for (let i = 0; i < v.length; i++) {
    const e = v[i];
    if (!isObj(e)) fail(`${path}[${i}]`, 'an object');
    if (!Number.isInteger(e.type) || (e.type as number) < 0 || (e.type as number) > 64) fail(`${path}[${i}].type`, 'an rrweb event type (integer)');
    if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp)) fail(`${path}[${i}].timestamp`, 'a finite number');
    if (Number.isFinite(maxDepth) && deeper(e, maxDepth)) fail(`${path}[${i}]`, `nested at most ${maxDepth} levels deep`);
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
      const batch: BatchMessage = { t, seq: int(o.seq, 'batch.seq', 1), events: events(o.events, 'batch.events', opts) };
      return batch;
    }
    throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown ingest message kind "${t.slice(0, 32)}"`);
  });
}

/** Validates the body of `POST <base>/ingest`. */
export function validateIngestPost(v: unknown, opts: ValidateOptions = {}): Result<IngestPost> {
  const maxId = opts.maxIdLength ?? DEFAULT_LIMITS.maxIdLength;
  return run(() => {
    const o = obj(v, 'body');
    const post: IngestPost = {
      sessionId: id(o.sessionId, 'body.sessionId', maxId), windowId: id(o.windowId, 'body.windowId', maxId),
      seq: int(o.seq, 'body.seq', 1), events: events(o.events, 'body.events', opts),
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
          seq: int(o.seq, 'events.seq', 1), events: events(o.events, 'events.events', ANY_EVENTS),
        };
      case 'live': return { t, sessionId: str(o.sessionId, 'live.sessionId', 64), active: o.active === true };
      case 'end': return { t, sessionId: str(o.sessionId, 'end.sessionId', 64) };
      case 'session': return { t, session: summary(o.session, 'session.session') };
      case 'session-deleted': return { t, sessionId: str(o.sessionId, 'session-deleted.sessionId', 64) };
      case 'error-group': return { t, group: errorGroup(o.group, 'error-group.group') };
      case 'error-occurrence':
        return { t, group: errorGroup(o.group, 'error-occurrence.group'), occurrence: errorOccurrence(o.occurrence, 'error-occurrence.occurrence') };
      case 'error': return { t, code: str(o.code, 'error.code', 64), message: str(o.message, 'error.message') };
      default: throw new Invalid(ErrorCode.UNKNOWN_MESSAGE, `unknown message kind "${t.slice(0, 32)}"`);
    }
  });
}

// ───── Error tracking ─────
// Error payloads come from pages and servers we do not control: over-long strings are cut and
// extra frames or tags dropped rather than rejected, so that one verbose error is still recorded.

/** A string, cut to `max` characters. */
function cut(v: unknown, path: string, max: number): string {
  if (typeof v !== 'string') return fail(path, 'a string');
  return v.length > max ? v.slice(0, max) : v;
}
function optCut(v: unknown, path: string, max: number): string | undefined {
  return v === undefined || v === null ? undefined : cut(v, path, max);
}
function optInt(v: unknown, path: string, min: number): number | undefined {
  return v === undefined || v === null ? undefined : int(v, path, min);
}

function originalPosition(v: unknown, path: string): OriginalPosition {
  const o = obj(v, path);
  const pos: OriginalPosition = {
    file: cut(o.file, `${path}.file`, ERROR_LIMITS.maxPath), line: int(o.line, `${path}.line`, 1), column: int(o.column, `${path}.column`, 0),
  };
  const name = optCut(o.name, `${path}.name`, ERROR_LIMITS.maxFunction);
  if (name !== undefined) pos.name = name;
  const fn = optCut(o.function, `${path}.function`, ERROR_LIMITS.maxFunction);
  if (fn !== undefined) pos.function = fn;
  return pos;
}

/** Validates stack frames (innermost first); frames past `ERROR_LIMITS.maxFrames` are dropped. */
export function errorFrames(v: unknown, path = 'frames'): ErrorFrame[] {
  if (!Array.isArray(v)) return fail(path, 'an array of stack frames');
  const out: ErrorFrame[] = [];
  for (let i = 0; i < v.length && i < ERROR_LIMITS.maxFrames; i++) {
    const o = obj(v[i], `${path}[${i}]`);
    const frame: ErrorFrame = { inApp: o.inApp === true };
    const fn = optCut(o.function, `${path}[${i}].function`, ERROR_LIMITS.maxFunction);
    if (fn !== undefined) frame.function = fn;
    const file = optCut(o.file, `${path}[${i}].file`, ERROR_LIMITS.maxPath);
    if (file !== undefined) frame.file = file;
    const line = optInt(o.line, `${path}[${i}].line`, 0);
    if (line !== undefined) frame.line = line;
    const column = optInt(o.column, `${path}[${i}].column`, 0);
    if (column !== undefined) frame.column = column;
    if (o.original !== undefined && o.original !== null) frame.original = originalPosition(o.original, `${path}[${i}].original`);
    out.push(frame);
  }
  return out;
}

function errorUser(v: unknown, path: string): ErrorUser | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const user: ErrorUser = {};
  for (const key of ['id', 'email', 'username'] as const) {
    const value = typeof o[key] === 'number' ? String(o[key]) : o[key];
    const s = optCut(value, `${path}.${key}`, 256);
    if (s !== undefined) user[key] = s;
  }
  return Object.keys(user).length ? user : undefined;
}

/** Tags as strings; numbers and booleans are turned into text, other values and tags past `ERROR_LIMITS.maxTags` dropped. */
export function errorTags(v: unknown, path = 'tags'): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  let n = 0;
  for (const [k, value] of Object.entries(o)) {
    if (n >= ERROR_LIMITS.maxTags) break;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const key = k.slice(0, ERROR_LIMITS.maxTagKey);
    if (!key) continue;
    tags[key] = String(value).slice(0, ERROR_LIMITS.maxTagValue);
    n++;
  }
  return n ? { ...tags } : undefined;
}

const ORIGINS = /* @__PURE__ */ new Set<ErrorOrigin>(['browser', 'server']);
const VIAS = /* @__PURE__ */ new Set<ErrorVia>(['recorder', 'api', 'capture', 'middleware', 'sentry']);
const STATUSES = /* @__PURE__ */ new Set<string>(Object.values(ErrorStatus));
const SETTABLE = /* @__PURE__ */ new Set<string>([ErrorStatus.UNRESOLVED, ErrorStatus.RESOLVED, ErrorStatus.IGNORED]);

function origin(v: unknown, path: string): ErrorOrigin {
  return ORIGINS.has(v as ErrorOrigin) ? (v as ErrorOrigin) : fail(path, '"browser" or "server"');
}

/** Validates the payload of a `sentiero/error@1` event (cutting what is too long). */
export function validateErrorEventPayload(v: unknown): Result<ErrorEventPayload> {
  return run(() => {
    const o = obj(v, 'payload');
    const payload: ErrorEventPayload = {
      name: cut(o.name ?? 'Error', 'payload.name', ERROR_LIMITS.maxName) || 'Error',
      message: cut(o.message ?? '', 'payload.message', ERROR_LIMITS.maxMessage),
      stack: cut(o.stack ?? '', 'payload.stack', ERROR_LIMITS.maxStack),
    };
    if (o.frames !== undefined) payload.frames = errorFrames(o.frames, 'payload.frames');
    if (o.groupId !== undefined) payload.groupId = id(o.groupId, 'payload.groupId', 64);
    return payload;
  });
}

/** Validates the body of `POST <base>/api/errors` (cutting what is too long). */
export function validateErrorReport(v: unknown, opts: ValidateOptions = {}): Result<ErrorReport> {
  const maxId = opts.maxIdLength ?? DEFAULT_LIMITS.maxIdLength;
  return run(() => {
    const o = obj(v, 'body');
    const report: ErrorReport = { message: cut(o.message, 'body.message', ERROR_LIMITS.maxMessage) };
    const name = optCut(o.name, 'body.name', ERROR_LIMITS.maxName);
    if (name) report.name = name;
    const stack = optCut(o.stack, 'body.stack', ERROR_LIMITS.maxStack);
    if (stack) report.stack = stack;
    if (o.frames !== undefined) report.frames = errorFrames(o.frames, 'body.frames');
    if (o.timestamp !== undefined) report.timestamp = num(o.timestamp, 'body.timestamp');
    if (o.origin !== undefined) report.origin = origin(o.origin, 'body.origin');
    if (o.sessionId !== undefined) report.sessionId = id(o.sessionId, 'body.sessionId', maxId);
    if (o.windowId !== undefined) report.windowId = id(o.windowId, 'body.windowId', maxId);
    const url = optCut(o.url, 'body.url', 4096);
    if (url) report.url = url;
    const user = errorUser(o.user, 'body.user');
    if (user) report.user = user;
    const tags = errorTags(o.tags, 'body.tags');
    if (tags) report.tags = tags;
    const release = optCut(o.release, 'body.release', 200);
    if (release) report.release = release;
    const environment = optCut(o.environment, 'body.environment', 64);
    if (environment) report.environment = environment;
    return report;
  });
}

/** Validates the body of `PATCH <base>/api/errors/:id`: a status a person may set. */
export function validateErrorStatusChange(v: unknown): Result<ErrorStatusChange> {
  return run(() => {
    const o = obj(v, 'body');
    if (!SETTABLE.has(o.status as string)) fail('body.status', '"unresolved", "resolved" or "ignored"');
    return { status: o.status as ErrorStatusChange['status'] };
  });
}

function errorOccurrence(v: unknown, path: string): ErrorOccurrence {
  const o = obj(v, path);
  const occ: ErrorOccurrence = {
    id: id(o.id, `${path}.id`, 64), groupId: id(o.groupId, `${path}.groupId`, 64),
    timestamp: num(o.timestamp, `${path}.timestamp`), receivedAt: num(o.receivedAt, `${path}.receivedAt`),
    origin: origin(o.origin, `${path}.origin`),
    via: VIAS.has(o.via as ErrorVia) ? (o.via as ErrorVia) : fail(`${path}.via`, 'one of recorder, api, capture, middleware, sentry'),
    name: cut(o.name, `${path}.name`, ERROR_LIMITS.maxName), message: cut(o.message, `${path}.message`, ERROR_LIMITS.maxMessage),
    frames: errorFrames(o.frames, `${path}.frames`),
  };
  if (o.sessionId !== undefined) occ.sessionId = id(o.sessionId, `${path}.sessionId`, 64);
  if (o.windowId !== undefined) occ.windowId = id(o.windowId, `${path}.windowId`, 64);
  const url = optCut(o.url, `${path}.url`, 4096);
  if (url !== undefined) occ.url = url;
  const user = errorUser(o.user, `${path}.user`);
  if (user) occ.user = user;
  const tags = errorTags(o.tags, `${path}.tags`);
  if (tags) occ.tags = tags;
  const release = optCut(o.release, `${path}.release`, 200);
  if (release !== undefined) occ.release = release;
  const environment = optCut(o.environment, `${path}.environment`, 64);
  if (environment !== undefined) occ.environment = environment;
  return occ;
}

/** Validates an error occurrence as the relay stores it and sends it; unknown fields are dropped. */
export function validateErrorOccurrence(v: unknown): Result<ErrorOccurrence> {
  return run(() => errorOccurrence(v, 'occurrence'));
}

function errorGroup(v: unknown, path: string): ErrorGroup {
  const o = obj(v, path);
  if (typeof o.id !== 'string' || typeof o.count !== 'number' || !STATUSES.has(o.status as string)) fail(path, 'an error group');
  return o as unknown as ErrorGroup;
}
