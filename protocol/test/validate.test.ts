import assert from 'node:assert/strict';
import {
  CloseCode, ErrorCode, closeCodeFor, createId, createSecret, httpStatusFor, isValidId, parseJson,
  validateIngestClientMessage, validateIngestPost, validateIngestServerMessage, validateWatchClientMessage,
  validateWatchServerMessage,
} from '@sentiero/protocol';

const meta = { url: 'http://a.test/x', userAgent: 'UA', startedAt: 1 };
const hello = { t: 'hello', v: 1, sessionId: 's1', windowId: 'w1', lastSeq: 0, meta };

describe('protocol validators', () => {
  it('accepts a hello and drops unknown meta fields', () => {
    const r = validateIngestClientMessage({ ...hello, meta: { ...meta, evil: '<script>' } });
    assert.ok(r.ok);
    assert.equal(r.value.t, 'hello');
    assert.deepEqual((r.value as typeof hello).meta, meta);
  });

  it('rejects an unknown kind with SENTIERO_UNKNOWN_MESSAGE', () => {
    const r = validateIngestClientMessage({ t: 'nope' });
    assert.ok(!r.ok);
    assert.equal(r.code, ErrorCode.UNKNOWN_MESSAGE);
  });

  it('names the wrong field', () => {
    const r = validateIngestClientMessage({ ...hello, lastSeq: 'x' });
    assert.ok(!r.ok);
    assert.equal(r.code, ErrorCode.INVALID_MESSAGE);
    assert.match(r.message, /hello\.lastSeq/);
  });

  it('rejects ids with characters outside the id alphabet', () => {
    for (const sessionId of ['', 'a b', 'x'.repeat(65), '../x', 5]) {
      const r = validateIngestClientMessage({ ...hello, sessionId });
      assert.ok(!r.ok, `accepted ${String(sessionId)}`);
    }
  });

  it('checks every event of a batch and the event limit', () => {
    assert.ok(validateIngestClientMessage({ t: 'batch', seq: 1, events: [{ type: 2, timestamp: 5, data: {} }] }).ok);
    const bad = validateIngestClientMessage({ t: 'batch', seq: 1, events: [{ type: 2, timestamp: 5 }, { type: 'x', timestamp: 1 }] });
    assert.ok(!bad.ok);
    assert.match(bad.message, /events\[1\]\.type/);
    const zero = validateIngestClientMessage({ t: 'batch', seq: 0, events: [] });
    assert.ok(!zero.ok);
    const many = validateIngestClientMessage({ t: 'batch', seq: 1, events: Array.from({ length: 3 }, () => ({ type: 3, timestamp: 1 })) }, { maxEventsPerBatch: 2 });
    assert.ok(!many.ok);
    assert.equal(many.code, ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('validates the HTTP ingest body', () => {
    assert.ok(validateIngestPost({ sessionId: 's', windowId: 'w', seq: 3, events: [] }).ok);
    assert.ok(!validateIngestPost({ sessionId: 's', windowId: 'w', seq: 3 }).ok);
    assert.ok(!validateIngestPost([1, 2]).ok);
  });

  it('maps malformed JSON to SENTIERO_BAD_JSON', () => {
    const r = parseJson('{"t":');
    assert.ok(!r.ok);
    assert.equal(r.code, ErrorCode.BAD_JSON);
  });

  it('validates watch messages', () => {
    assert.ok(validateWatchClientMessage({ t: 'auth', token: 'x' }).ok);
    assert.ok(validateWatchClientMessage({ t: 'subscribe', feed: 'sessions' }).ok);
    assert.ok(!validateWatchClientMessage({ t: 'subscribe', feed: 'everything' }).ok);
    const sub = validateWatchClientMessage({ t: 'subscribe', sessionId: 's1', from: { w1: 3 } });
    assert.ok(sub.ok);
    assert.deepEqual(sub.value, { t: 'subscribe', sessionId: 's1', from: { w1: 3 } });
    assert.ok(!validateWatchClientMessage({ t: 'subscribe', sessionId: 's1', from: { w1: -1 } }).ok);
    assert.ok(validateWatchServerMessage({ t: 'events', sessionId: 's', windowId: 'w', seq: 1, events: [] }).ok);
    assert.ok(validateIngestServerMessage({ t: 'ack', seq: 4 }).ok);
    assert.ok(!validateIngestServerMessage({ t: 'ack' }).ok);
  });
});

describe('protocol ids and codes', () => {
  it('creates valid, unique, time-sortable ids', () => {
    const a = createId(1000);
    const b = createId(2000);
    assert.ok(isValidId(a) && isValidId(b));
    assert.ok(a < b);
    assert.notEqual(createId(), createId());
  });

  it('creates secrets that fit a Sentry DSN key', () => {
    const s = createSecret();
    assert.match(s, /^[A-Za-z0-9_]{32,}$/);
    assert.notEqual(s, createSecret());
  });

  it('gives every error a close code in the 4xxx range and an HTTP status', () => {
    for (const code of Object.values(ErrorCode)) {
      const close = closeCodeFor(code);
      assert.ok((close >= 4000 && close < 5000) || (code === ErrorCode.INTERNAL && close === CloseCode.INTERNAL), `${code} → ${close}`);
      const status = httpStatusFor(code);
      assert.ok(status >= 400 && status < 600);
    }
    assert.equal(closeCodeFor(ErrorCode.BAD_JSON), CloseCode.BAD_JSON);
    assert.equal(httpStatusFor(ErrorCode.UNAUTHORIZED), 401);
  });
});
