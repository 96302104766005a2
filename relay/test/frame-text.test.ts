/**
 * A batch frame's events are stored as the recorder wrote them when nothing changed them after
 * parsing (`parseBatchFrame`), and serialised again otherwise: the text kept must always parse
 * to exactly the events the relay validated and sanitized.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import { parseBatchFrame } from '../src/frame-text.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

const frameOf = (seq: number, events: unknown): string => JSON.stringify({ t: 'batch', seq, events });

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
        let whole: unknown;
        try {
          whole = JSON.parse(frame);
        } catch {
          assert.equal(parseBatchFrame(frame), undefined, 'not JSON: not read either');
          return;
        }
        const read = parseBatchFrame(frame);
        if (read) {
          assert.deepEqual(read.message, whole);
          if (read.eventsJson !== undefined) assert.deepEqual(JSON.parse(read.eventsJson), (whole as { events: unknown }).events);
        } else {
          assert.ok(tail.length > 0 || !/^(0|[1-9]\d{0,14})$/.test(seq), `a frame as the recorder writes it is read (${frame.slice(0, 80)})`);
        }
        if (tail.length === 0 && /^(0|[1-9]\d{0,14})$/.test(seq)) assert.equal(read?.eventsJson, body);
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

    it('stores the validated, sanitized events whatever the frame\'s text says, and completes error events', async () => {
      const inbox = new Inbox(await t.socket('/ingest'));
      inbox.send({ t: 'hello', v: 1, sessionId: 'sess-f', windowId: 'win-f', lastSeq: 0, meta: { url: 'http://127.0.0.1/p', userAgent: 'UA', startedAt: 1 } });
      await inbox.next((m) => m.t === 'welcome');
      const clean: RecordedEvent[] = [{ type: EventType.Custom, timestamp: 10, data: { tag: 'note', payload: { text: 'nothing to mask ] } "' } } }];
      inbox.send({ t: 'batch', seq: 1, events: clean });
      // A second "events" member: JSON.parse keeps the last one, and so must what is stored.
      inbox.ws.send(`{"t":"batch","seq":2,"events":[{"type":5,"timestamp":11,"data":{"tag":"note","payload":{"text":"jane@shop.test"}}}],"events":${JSON.stringify(clean)}}`);
      inbox.send({ t: 'batch', seq: 3, events: [{ type: EventType.Custom, timestamp: 12, data: { tag: 'note', payload: { text: 'write to jane@shop.test' } } }] });
      inbox.send({ t: 'batch', seq: 4, events: [{ type: EventType.Custom, timestamp: 13, data: { tag: CustomTag.ERROR, payload: { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (http://127.0.0.1/app.js:1:2)' } } }] });
      await inbox.next((m) => m.t === 'ack' && m.seq === 4);
      const batches = await stored('sess-f');
      assert.deepEqual(batches.map((b) => b.seq), [1, 2, 3, 4]);
      assert.deepEqual(batches[0]!.events, clean, 'stored as sent');
      assert.deepEqual(batches[1]!.events, clean, 'the events JSON.parse kept, not the first "events"');
      assert.deepEqual((batches[2]!.events[0]!.data as { payload: { text: string } }).payload.text, 'write to [email]', 'a sanitizer\'s change is stored');
      const error = (batches[3]!.events[0]!.data as { payload: { groupId?: string } }).payload;
      assert.equal(typeof error.groupId, 'string', 'the error event is stored completed with its group');
    });
  });
});
