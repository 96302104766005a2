/**
 * A batch's events are stored as the recorder wrote them when nothing changed them after parsing
 * (`parseBatchFrame` on the socket, `parseIngestPost` over HTTP), and serialised again otherwise:
 * the text kept must always parse to exactly the events the relay validated and sanitized.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { parseBatchFrame, parseIngestPost } from '../src/frame-text.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const frameOf = (seq: number, events: unknown): string => JSON.stringify({ t: 'batch', seq, events });
/** An HTTP body as the recorder's `postBody` writes it. */
const postOf = (sessionId: string, windowId: string, seq: number, events: unknown, meta?: unknown): string =>
  `{"sessionId":${JSON.stringify(sessionId)},"windowId":${JSON.stringify(windowId)},"seq":${seq},"events":${JSON.stringify(events)}${meta === undefined ? '' : `,"meta":${JSON.stringify(meta)}`}}`;

/**
 * What `parse` reads of `text`, checked against `JSON.parse` of the whole text: nothing when that
 * is no JSON; when read, the same message, and an events' text that parses to exactly its events.
 */
function readChecked<R extends { message: unknown; eventsJson: string | undefined }>(text: string, parse: (text: string) => R | undefined): { json: boolean; read: R | undefined } {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    assert.equal(parse(text), undefined, 'not JSON: not read either');
    return { json: false, read: undefined };
  }
  const read = parse(text);
  if (read) {
    assert.deepEqual(read.message, whole);
    if (read.eventsJson !== undefined) assert.deepEqual(JSON.parse(read.eventsJson), (whole as { events: unknown }).events);
  }
  return { json: true, read };
}

describe('relay: a batch frame\'s events text', () => {
  describe('parseBatchFrame', () => {
    it('reads a frame laid out as the recorder writes it, with its events\' text', () => {
      const events = [{ type: 3, timestamp: 1, data: { text: 'a ] } [ { " \\ \\" quoted', nested: [[{}], { k: ']' }] } }, { type: 4, timestamp: 2, data: {} }];
      assert.deepEqual(parseBatchFrame(frameOf(7, events)), { message: { t: 'batch', seq: 7, events }, eventsJson: JSON.stringify(events) });
      assert.deepEqual(parseBatchFrame(frameOf(1, [])), { message: { t: 'batch', seq: 1, events: [] }, eventsJson: '[]' });
    });

    it('leaves any other frame to the general parse (undefined), and gives no text for events that are no bare array', () => {
      const events = '[{"type":3,"timestamp":1,"data":{}}]';
      for (const frame of [
        `{"t":"batch","seq":1,"events":${events},"events":[]}`, // a second "events", which JSON.parse lets win
        `{"t":"batch","seq":1,"events":${events},"x":1}`,
        `{"t":"batch","seq":1,"events":${events},"seq":2}`,
        `{"t":"batch","seq":1, "events":${events}}`,
        `{"seq":1,"t":"batch","events":${events}}`,
        `{"t":"batch","seq":1,"events":${events}}\n`,
        `{"t":"batch","seq":01,"events":${events}}`,
        `{"t":"batch","seq":1e2,"events":${events}}`,
        `{"t":"batch","seq":1,"events":[1,]}`,
        `{"t":"hello","seq":1,"events":${events}}`,
      ]) assert.equal(parseBatchFrame(frame), undefined, frame);
      assert.equal(parseBatchFrame(`{"t":"batch","seq":1,"events": ${events} }`)?.eventsJson, undefined, 'whitespace around the events: parsed, but no text kept');
      assert.equal(parseBatchFrame(`{"t":"batch","seq":1,"events":{"a":1}}`)?.eventsJson, undefined, 'not an array (the validator refuses it)');
    });

    it('gives what JSON.parse gives for the whole frame, and a text that parses to exactly its events (property, adversarial frames)', () => {
      const member = fc.tuple(fc.constantFrom('events', 't', 'seq', 'x', 'e\\u0076ents'), fc.jsonValue()).map(([k, v]) => `,"${k}":${JSON.stringify(v)}`);
      const seqText = fc.oneof(fc.integer({ min: 0, max: 2 ** 53 }).map(String), fc.constantFrom('01', '1.0', '-1', '1e3', '12345678901234567890'));
      fc.assert(fc.property(seqText, fc.array(fc.jsonValue(), { maxLength: 6 }), fc.array(member, { maxLength: 2 }), fc.boolean(), (seq, events, tail, spaced) => {
        const body = JSON.stringify(events, null, spaced ? 1 : undefined);
        const frame = `{"t":"batch","seq":${seq},"events":${body}${tail.join('')}}`;
        const { json, read } = readChecked(frame, parseBatchFrame);
        if (!json) return;
        if (!read) {
          assert.ok(tail.length > 0 || !/^(0|[1-9]\d{0,14})$/.test(seq), `a frame as the recorder writes it is read (${frame.slice(0, 80)})`);
        }
        if (tail.length === 0 && /^(0|[1-9]\d{0,14})$/.test(seq)) assert.equal(read?.eventsJson, body);
      }), { numRuns: 1000 });
    });
  });

  describe('parseIngestPost', () => {
    const events = [{ type: 5, timestamp: 1, data: { tag: 'x', payload: { s: ',"meta":{"url":"x"}}', meta: { '"meta"': 1 } } } }];
    const meta = { url: 'http://127.0.0.1/,"meta":', userAgent: 'UA', startedAt: 1 };

    it('reads a body laid out as the recorder writes it, with or without its meta, with its events\' text', () => {
      assert.deepEqual(parseIngestPost(postOf('s-1', 'w-1', 3, events, meta)), { message: { sessionId: 's-1', windowId: 'w-1', seq: 3, events, meta }, eventsJson: JSON.stringify(events) });
      assert.deepEqual(parseIngestPost(postOf('s-1', 'w-1', 3, events)), { message: { sessionId: 's-1', windowId: 'w-1', seq: 3, events }, eventsJson: JSON.stringify(events) });
    });

    it('leaves any other body to the general parse (undefined)', () => {
      const e = JSON.stringify(events);
      for (const body of [
        `{"sessionId":"s","windowId":"w","seq":1,"events":${e},"events":[]}`,
        `{"sessionId":"s","windowId":"w","seq":1,"events":${e},"meta":{},"x":1}`,
        `{"sessionId":"s","windowId":"w","seq":1,"events":${e},"meta":{"meta":1,"a":{"b":2},"meta":3}}`,
        `{"sessionId":1,"windowId":"w","seq":1,"events":${e}}`,
        `{"sessionId":"s","windowId":"w","seq":01,"events":${e}}`,
        `{"windowId":"w","sessionId":"s","seq":1,"events":${e}}`,
        `{"sessionId":"s","windowId":"w","seq":1,"events":${e}}\n`,
        `{"sessionId":"s","windowId":"w","seq":1,"events":[1,],"meta":{}}`,
      ]) assert.equal(parseIngestPost(body), undefined, body);
    });

    it('gives what JSON.parse gives for the whole body, and a text that parses to exactly its events (property, adversarial bodies)', () => {
      const key = fc.constantFrom('events', 'meta', 'seq', 'windowId', 'x', 'm\\u0065ta');
      const member = fc.tuple(key, fc.jsonValue()).map(([k, v]) => `,"${k}":${JSON.stringify(v)}`);
      const idText = fc.oneof(fc.string().map((x) => JSON.stringify(x)), fc.constantFrom('1', 'null', '{"windowId":"w"}', '"a" '));
      const seqText = fc.oneof(fc.nat().map(String), fc.constantFrom('01', '1.5', '-1', '12345678901234567890'));
      // Values whose text holds `,"meta":` now and then: in strings (escaped), and as keys.
      const value = fc.oneof(fc.jsonValue(), fc.dictionary(key, fc.jsonValue(), { maxKeys: 3 }));
      fc.assert(fc.property(idText, idText, seqText, fc.array(value, { maxLength: 5 }), fc.option(value, { nil: undefined }), fc.array(member, { maxLength: 2 }), fc.boolean(),
        (sid, wid, seq, evs, m, tail, spaced) => {
          const body = JSON.stringify(evs, null, spaced ? 1 : undefined);
          const metaText = m === undefined ? '' : `,"meta":${JSON.stringify(m)}`;
          const text = `{"sessionId":${sid},"windowId":${wid},"seq":${seq},"events":${body}${metaText}${tail.join('')}}`;
          const { json, read } = readChecked(text, parseIngestPost);
          if (!json) return;
          const exact = tail.length === 0 && /^"/.test(sid) && /^"/.test(wid) && !/ $/.test(sid) && /^(0|[1-9]\d{0,14})$/.test(seq) && !metaText.slice(1).includes(',"meta":');
          if (exact) assert.equal(read?.eventsJson, body, `a body as the recorder writes it is read (${text.slice(0, 120)})`);
        }), { numRuns: 1000 });
    });
  });

  describe('through a relay', () => {
    let t: TestRelay;
    beforeEach(async () => { t = await startRelay(); });
    afterEach(async () => { await t.close(); });

    const stored = async (sessionId: string): Promise<Array<{ seq: number; events: RecordedEvent[] }>> => {
      const text = await (await t.api(`/api/sessions/${sessionId}/events`)).text();
      return text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; events: RecordedEvent[] });
    };

    /** What both transports send: a batch with a first "events" that JSON.parse drops for the second, one to mask, one error. */
    const DROPPED = '[{"type":5,"timestamp":11,"data":{"tag":"note","payload":{"text":"jane@shop.test"}}}]';
    const TO_MASK: RecordedEvent[] = [{ type: EventType.Custom, timestamp: 12, data: { tag: 'note', payload: { text: 'write to jane@shop.test' } } }];
    const ERROR: RecordedEvent[] = [{ type: EventType.Custom, timestamp: 13, data: { tag: CustomTag.ERROR, payload: { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (http://127.0.0.1/app.js:1:2)' } } }];
    const META = { url: 'http://127.0.0.1/p', userAgent: 'UA', startedAt: 1 };

    /** Batches 1-4 as stored: `clean` as sent, twice, the masked text, the error completed. */
    async function assertStored(sessionId: string, clean: RecordedEvent[]): Promise<void> {
      const batches = await stored(sessionId);
      assert.deepEqual(batches.map((b) => b.seq), [1, 2, 3, 4]);
      assert.deepEqual(batches[0]!.events, clean, 'stored as sent');
      assert.deepEqual(batches[1]!.events, clean, 'the events JSON.parse kept, not the first "events"');
      assert.deepEqual((batches[2]!.events[0]!.data as { payload: { text: string } }).payload.text, 'write to [email]', 'a sanitizer\'s change is stored');
      const error = (batches[3]!.events[0]!.data as { payload: { groupId?: string } }).payload;
      assert.equal(typeof error.groupId, 'string', 'the error event is stored completed with its group');
    }

    it('stores the validated, sanitized events whatever the frame\'s text says, and completes error events', async () => {
      const inbox = new Inbox(await t.socket('/ingest'));
      inbox.send({ t: 'hello', v: 1, sessionId: 'sess-f', windowId: 'win-f', lastSeq: 0, meta: META });
      await inbox.next((m) => m.t === 'welcome');
      const clean: RecordedEvent[] = [{ type: EventType.Custom, timestamp: 10, data: { tag: 'note', payload: { text: 'nothing to mask ] } "' } } }];
      inbox.send({ t: 'batch', seq: 1, events: clean });
      inbox.ws.send(`{"t":"batch","seq":2,"events":${DROPPED},"events":${JSON.stringify(clean)}}`);
      inbox.send({ t: 'batch', seq: 3, events: TO_MASK });
      inbox.send({ t: 'batch', seq: 4, events: ERROR });
      await inbox.next((m) => m.t === 'ack' && m.seq === 4);
      await assertStored('sess-f', clean);
    });

    it('does the same for batches posted over HTTP (fallback and beacons), with or without their meta', async () => {
      const clean: RecordedEvent[] = [{ type: EventType.Custom, timestamp: 10, data: { tag: 'note', payload: { text: 'nothing to mask ] } ",\"meta\":{}', meta: 1 } } }];
      const post = async (body: string) => {
        const res = await fetch(`${t.base}/ingest`, { method: 'POST', body });
        assert.equal(res.status, 200, await res.text());
      };
      await post(postOf('sess-h', 'win-h', 1, clean, META));
      await post(`{"sessionId":"sess-h","windowId":"win-h","seq":2,"events":${DROPPED},"events":${JSON.stringify(clean)},"meta":${JSON.stringify(META)}}`);
      await post(postOf('sess-h', 'win-h', 3, TO_MASK));
      await post(postOf('sess-h', 'win-h', 4, ERROR, META));
      await assertStored('sess-h', clean);
      const summary = await (await t.api('/api/sessions/sess-h')).json() as { url: string };
      assert.equal(summary.url, META.url, 'the meta of the body is the session\'s');
    });
  });
});
