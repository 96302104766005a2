/**
 * The sanitizers on their own (hostile input included: deep nesting, huge strings, unicode,
 * sanitizers that throw or return nonsense), then through a real relay: what the store holds
 * and what live watchers get has been through them, acks and resume are unchanged, and error
 * reports go through the same functions.
 */
import assert from 'node:assert/strict';
import { CustomTag, EventType, type RecordedEvent } from '@sentiero/protocol';
import {
  DEFAULT_STRIPPED_PARAMS, SANITIZER_FAILED, type Sanitizer, createRelay, defaultSanitizers, dropEvents, maskPatterns,
} from '@sentiero/relay';
import { SanitizerChain, cardMasker, emailMasker, luhn, paramStripper } from '../src/sanitize.ts';
import { Inbox, type TestRelay, startRelay } from '../../test/helpers/relay.ts';

/** A logger that keeps its lines. */
function lines() {
  const out: string[] = [];
  return { out, logger: { info: () => {}, warn: (m: string) => out.push(m), error: (m: string) => out.push(m) } };
}

const text = (s: string, timestamp = 1): RecordedEvent => ({ type: EventType.IncrementalSnapshot, timestamp, data: { source: 0, texts: [{ id: 1, value: s }] } });
const valueOf = (e: RecordedEvent): string => (e.data as { texts: { value: string }[] }).texts[0]!.value;

function run(sanitizers: Sanitizer[], events: RecordedEvent[]) {
  const log = lines();
  const chain = new SanitizerChain(sanitizers, log.logger);
  return { events: chain.events(events, { kind: 'event', sessionId: 's1', windowId: 'w1', seq: 7 }), log: log.out };
}

describe('sanitizers', () => {
  describe('query parameters', () => {
    const strip = paramStripper();

    it('removes the value of every listed parameter, in the query and the fragment, whatever its case', () => {
      assert.equal(
        strip('https://shop.test/a?token=abc123&x=1&Password=hunter2#access_token=eyJ.x.y&state=ok'),
        'https://shop.test/a?token=[redacted]&x=1&Password=[redacted]#access_token=[redacted]&state=ok',
      );
      for (const name of DEFAULT_STRIPPED_PARAMS) assert.equal(strip(`/p?${name}=SECRET`), `/p?${name}=[redacted]`, name);
      assert.equal(strip('/p;jsessionid=1;session=abc'), '/p;jsessionid=1;session=[redacted]');
    });

    it('leaves parameters whose names only contain a listed one, and text without parameters', () => {
      assert.equal(strip('/p?mytoken=1&token_type=bearer&keyboard=qwerty'), '/p?mytoken=1&token_type=bearer&keyboard=qwerty');
      assert.equal(strip('token=abc in a sentence'), 'token=abc in a sentence');
    });

    it('is extendable, and the default list can be left out', () => {
      const { events } = run(defaultSanitizers({ params: ['otp'], defaultParams: false, emails: false, cards: false }), [text('/x?otp=991&token=keep a@b.io')]);
      assert.equal(valueOf(events[0]!), '/x?otp=[redacted]&token=keep a@b.io');
      assert.equal(valueOf(run(defaultSanitizers({ params: ['otp'] }), [text('/x?otp=991&token=k')]).events[0]!), '/x?otp=[redacted]&token=[redacted]');
    });
  });

  describe('e-mail addresses and card numbers', () => {
    it('masks e-mail addresses, unicode around them included', () => {
      assert.equal(emailMasker('Contact: jane.doe+news@mail.example.co.uk, or «bob@example.org»'), 'Contact: [email], or «[email]»');
      assert.equal(emailMasker('ünïcødé 😀 anna_b@example.test 😀 \u202e'), 'ünïcødé 😀 [email] 😀 \u202e');
      assert.equal(emailMasker('not an address: a@b, @handle, x@localhost'), 'not an address: a@b, @handle, x@localhost');
    });

    it('masks card-like numbers only when they pass the Luhn check', () => {
      assert.ok(luhn('4111111111111111'));
      assert.ok(!luhn('4111111111111112'));
      assert.equal(cardMasker('card 4111 1111 1111 1111 exp'), 'card [card] exp');
      assert.equal(cardMasker('card 5500-0000-0000-0004.'), 'card [card].');
      assert.equal(cardMasker('order 4111111111111112'), 'order 4111111111111112');
      assert.equal(cardMasker('at 1733500000000 ms'), 'at 1733500000000 ms', 'a timestamp is not a card');
      assert.equal(cardMasker('id 5d5857196852969897c9f5'), 'id 5d5857196852969897c9f5', 'a Luhn-valid run inside a hex id is not a card');
      assert.equal(cardMasker('x=4111111111111111&'), 'x=[card]&', 'punctuation still bounds a card');
      assert.equal(cardMasker('id 41111111111111110000'), 'id 41111111111111110000', 'inside a longer run of digits');
    });

    it('masks text nodes, text mutations, attributes and URLs of rrweb events, and keeps an identified user id', () => {
      const snapshot: RecordedEvent = {
        type: EventType.FullSnapshot, timestamp: 1,
        data: { node: { type: 0, childNodes: [
          { type: 2, tagName: 'a', attributes: { href: '/reset?token=T0P', title: 'mail me@shop.test' }, childNodes: [{ type: 3, textContent: 'pay 4111111111111111' }] },
          { type: 2, tagName: 'form', attributes: { action: 'https://x.test/login?password=p4ss' }, childNodes: [] },
        ] } },
      };
      const mutation: RecordedEvent = { type: EventType.IncrementalSnapshot, timestamp: 2, data: { source: 0, texts: [{ id: 3, value: 'hi a@b.co' }], attributes: [{ id: 4, attributes: { src: '/i.png?sig=zz' } }], adds: [], removes: [] } };
      const page: RecordedEvent = { type: EventType.Custom, timestamp: 3, data: { tag: CustomTag.PAGE, payload: { href: 'https://shop.test/?code=42' } } };
      const network: RecordedEvent = { type: EventType.Custom, timestamp: 4, data: { tag: CustomTag.NETWORK, payload: { url: '/api?apikey=k&q=1', method: 'GET' } } };
      const identify: RecordedEvent = { type: EventType.Custom, timestamp: 5, data: { tag: CustomTag.IDENTIFY, payload: { userId: 'jane@shop.test', traits: { email: 'jane@shop.test' } } } };
      const meta: RecordedEvent = { type: EventType.Meta, timestamp: 0, data: { href: 'https://shop.test/?session=S&ok=1', width: 1, height: 1 } };
      const out = JSON.stringify(run(defaultSanitizers(), [meta, snapshot, mutation, page, network, identify]).events);
      for (const secret of ['T0P', 'me@shop.test', '4111111111111111', 'p4ss', 'a@b.co', 'sig=zz', 'code=42', 'apikey=k', 'session=S', '"email":"jane@shop.test"']) {
        assert.ok(!out.includes(secret), `${secret} is gone`);
      }
      assert.ok(out.includes('"userId":"jane@shop.test"'), 'the identified user id is kept, so erasure by user finds it');
      assert.ok(out.includes('ok=1') && out.includes('q=1'));
    });
  });

  describe('hostile input', () => {
    it('drops an event nested deeper than the walk goes, and keeps the rest of the batch', () => {
      let deep: Record<string, unknown> = { v: 'x@y.io' };
      for (let i = 0; i < 5000; i++) deep = { d: deep };
      const { events, log } = run(defaultSanitizers(), [text('a@b.io', 1), { type: 3, timestamp: 2, data: deep }, text('ok', 3)]);
      assert.deepEqual(events.map((e) => e.timestamp), [1, 3]);
      assert.equal(valueOf(events[0]!), '[email]');
      assert.equal(log.length, 1);
      assert.match(log[0]!, new RegExp(`^${SANITIZER_FAILED}: events of batch 7 of s1/w1: 1 dropped`));
    });

    it('goes through huge strings in one pass (no backtracking blow-up)', () => {
      const huge = [
        'a'.repeat(2_000_000),
        `${'a'.repeat(1_000_000)}@`,
        '4'.repeat(2_000_000),
        `?token=${'x'.repeat(1_000_000)}&${'token='.repeat(100_000)}`,
        '1 '.repeat(1_000_000),
        '@a.'.repeat(500_000),
      ];
      // A quadratic pass over any of these would take hours, far past mocha's timeout.
      const { events } = run(defaultSanitizers(), huge.map((s, i) => text(s, i)));
      assert.equal(events.length, huge.length);
      assert.ok(!valueOf(events[3]!).includes('xxx'));
      assert.equal(valueOf(events[0]!).length, 2_000_000);
    });

    it('drops the events a throwing sanitizer or one returning nonsense fails on, logs one coded line per batch, and never throws', () => {
      const calls: number[] = [];
      const flaky: Sanitizer = function flaky(e) {
        calls.push(e.timestamp);
        if (e.timestamp === 2) throw new Error('boom');
        if (e.timestamp === 3) return undefined as unknown as RecordedEvent;
        if (e.timestamp === 4) return { type: 'x' } as unknown as RecordedEvent;
        if (e.timestamp === 5) {
          const cyclic = { type: 3, timestamp: 5, data: {} as Record<string, unknown> };
          cyclic.data.self = cyclic;
          return cyclic as RecordedEvent;
        }
        if (e.timestamp === 6) return { type: 3, timestamp: 6, data: { n: 10n } } as unknown as RecordedEvent;
        return e;
      };
      const { events, log } = run([...defaultSanitizers(), flaky], [1, 2, 3, 4, 5, 6, 7].map((t) => text('x', t)));
      assert.deepEqual(events.map((e) => e.timestamp), [1, 7]);
      assert.deepEqual(calls, [1, 2, 3, 4, 5, 6, 7]);
      assert.equal(log.length, 1);
      assert.match(log[0]!, /SENTIERO_SANITIZER_FAILED: events of batch 7 of s1\/w1: 5 dropped \(sanitizer "flaky" threw: boom\)/);
    });

    it('opt-in: drops event types and custom tags, and masks custom patterns', () => {
      const consoleEvent: RecordedEvent = { type: EventType.Custom, timestamp: 2, data: { tag: CustomTag.CONSOLE, payload: { args: ['x'] } } };
      const plugin: RecordedEvent = { type: EventType.Plugin, timestamp: 3, data: {} };
      const { events } = run([dropEvents([EventType.Plugin, CustomTag.CONSOLE]), maskPatterns([/\bAB-\d{6}\b/])], [text('id AB-123456 and AB-654321', 1), consoleEvent, plugin]);
      assert.deepEqual(events.map((e) => e.timestamp), [1]);
      assert.equal(valueOf(events[0]!), 'id [masked] and [masked]');
    });

    it('sanitizes a meta, and turns one a sanitizer spoils into a placeholder', () => {
      const log = lines();
      const meta = { url: 'https://shop.test/?token=abc', userAgent: 'UA', startedAt: 5, referrer: 'https://mail.test/?u=x@y.io' };
      const clean = new SanitizerChain(defaultSanitizers(), log.logger).meta(meta, { sessionId: 's1', windowId: 'w1' });
      assert.deepEqual(clean, { url: 'https://shop.test/?token=[redacted]', userAgent: 'UA', startedAt: 5, referrer: 'https://mail.test/?u=[email]' });
      assert.equal(meta.url, 'https://shop.test/?token=abc', 'the input is not changed');
      const spoiler: Sanitizer = (e) => ({ ...e, data: { url: 42 } });
      assert.deepEqual(new SanitizerChain([spoiler], log.logger).meta(meta, {}), { url: '', userAgent: '', startedAt: 5 });
      assert.match(log.out[0]!, /SENTIERO_SANITIZER_FAILED: the meta/);
    });

    it('sanitizes a socket\'s meta once with the built-in sanitizers, and every time with an app\'s own', () => {
      const log = lines();
      const meta = { url: 'https://shop.test/?token=abc', userAgent: 'UA', startedAt: 5 };
      const builtIn = new SanitizerChain(defaultSanitizers(), log.logger);
      const first = builtIn.meta(meta, { sessionId: 's1', windowId: 'w1' });
      assert.equal(first.url, 'https://shop.test/?token=[redacted]');
      assert.equal(builtIn.meta(meta, { sessionId: 's1', windowId: 'w1' }), first, 'the same meta object: the first result again');
      assert.equal(builtIn.meta({ ...meta }, { sessionId: 's1', windowId: 'w1' }) === first, false, 'another meta object is sanitized on its own');
      let calls = 0;
      const counting: Sanitizer = (e) => {
        calls++;
        return e;
      };
      const own = new SanitizerChain([...defaultSanitizers(), counting], log.logger);
      own.meta(meta, { sessionId: 's1', windowId: 'w1', seq: 1 });
      own.meta(meta, { sessionId: 's1', windowId: 'w1', seq: 2 });
      assert.equal(calls, 2, 'an app\'s sanitizer sees the meta with each batch (it may depend on the context)');
    });

    it('the option must be an array of functions', () => {
      assert.throws(() => createRelay({ sanitizers: [42 as unknown as Sanitizer] }), { name: 'TypeError', message: /sanitizers/ });
      assert.throws(() => createRelay({ sanitizers: (() => null) as unknown as Sanitizer[] }), { name: 'TypeError', message: /sanitizers/ });
    });
  });

  describe('through a relay', () => {
    let t: TestRelay;
    const log = lines();
    const explode: Sanitizer = function explode(e) {
      if ((e.data as { boom?: boolean } | undefined)?.boom) throw new Error('bad event');
      return e;
    };
    beforeEach(async () => { t = await startRelay({ sanitizers: [...defaultSanitizers(), explode], logger: log.logger }); });
    afterEach(async () => { await t.close(); });

    it('stores and streams only sanitized events; a batch whose every event is dropped is still acknowledged, and resume goes on', async () => {
      const inbox = new Inbox(await t.socket('/ingest'));
      inbox.send({ t: 'hello', v: 1, sessionId: 'sess-a', windowId: 'win-a', lastSeq: 0, meta: { url: 'http://127.0.0.1/p?token=T0K3N', userAgent: 'UA', startedAt: 1 } });
      await inbox.next((m) => m.t === 'welcome');
      inbox.send({ t: 'batch', seq: 1, events: [text('write to jane@shop.test', 10), { type: 3, timestamp: 11, data: { boom: true } }] });
      await inbox.next((m) => m.t === 'ack' && m.seq === 1);
      const watch = new Inbox(await t.socket('/watch'));
      watch.send({ t: 'auth', token: t.relay.token });
      await watch.next((m) => m.t === 'ready');
      watch.send({ t: 'subscribe', sessionId: 'sess-a' });
      await watch.next((m) => m.t === 'events' && m.seq === 1);
      inbox.send({ t: 'batch', seq: 2, events: [{ type: 3, timestamp: 12, data: { boom: true } }] });
      inbox.send({ t: 'batch', seq: 3, events: [text('4111 1111 1111 1111', 13)] });
      await inbox.next((m) => m.t === 'ack' && m.seq === 3);
      assert.deepEqual(inbox.messages.filter((m) => m.t === 'ack').map((m) => m.seq), [1, 2, 3]);
      const stored = await (await t.api('/api/sessions/sess-a/events')).text();
      const batches = stored.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; events: RecordedEvent[] });
      assert.deepEqual(batches.map((b) => [b.seq, b.events.length]), [[1, 1], [2, 0], [3, 1]]);
      assert.ok(!stored.includes('jane@shop.test') && !stored.includes('4111'));
      const session = (await (await t.api('/api/sessions/sess-a')).json()) as { url: string };
      assert.equal(session.url, 'http://127.0.0.1/p?token=[redacted]');
      await watch.next((m) => m.t === 'events' && m.seq === 3);
      const live = JSON.stringify(watch.messages);
      assert.ok(!live.includes('jane@shop.test') && !live.includes('4111') && !live.includes('boom'));
      assert.ok(log.out.some((l) => l.startsWith(SANITIZER_FAILED)));
      inbox.ws.close();
      const again = new Inbox(await t.socket('/ingest'));
      again.send({ t: 'hello', v: 1, sessionId: 'sess-a', windowId: 'win-a', lastSeq: 3, meta: { url: 'http://127.0.0.1/p', userAgent: 'UA', startedAt: 1 } });
      assert.equal((await again.next((m) => m.t === 'welcome')).ackedSeq, 3);
    });

    it('runs error reports through the same sanitizers: message, URL, user fields and frames', async () => {
      const res = await fetch(`${t.base}/api/errors`, {
        method: 'POST', headers: { authorization: `Bearer ${t.relay.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Error', message: 'no account for jane@shop.test', url: 'https://shop.test/cb?code=SECRET&x=1',
          user: { id: 'u-1', email: 'jane@shop.test', username: 'jane@shop.test' },
          stack: 'Error: x\n    at f (https://shop.test/app.js?sig=S1G:1:2)',
        }),
      });
      assert.equal(res.status, 200);
      const { groupId } = (await res.json()) as { groupId: string };
      const group = (await (await t.api(`/api/errors/${groupId}`)).json()) as { message: string; occurrences: Array<Record<string, unknown>> };
      const text = JSON.stringify(group);
      for (const secret of ['jane@shop.test', 'SECRET', 'S1G']) assert.ok(!text.includes(secret), secret);
      assert.deepEqual(group.occurrences[0]!.user, { id: 'u-1', email: '[email]', username: '[email]' });
      const dropped = await fetch(`${t.base}/api/errors`, {
        method: 'POST', headers: { authorization: `Bearer ${t.relay.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'x', tags: { boom: 'yes' } }),
      });
      assert.equal(dropped.status, 200, 'tags are strings: nothing to throw on');
      const throwing = await startRelay({ sanitizers: [(e) => { if ((e.data as { tag?: string }).tag === CustomTag.ERROR) throw new Error('no'); return e; }], logger: log.logger });
      try {
        const r = await fetch(`${throwing.base}/api/errors`, {
          method: 'POST', headers: { authorization: `Bearer ${throwing.relay.ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'x' }),
        });
        assert.equal(r.status, 202);
        assert.deepEqual(await r.json(), { dropped: true });
        assert.deepEqual(((await (await throwing.api('/api/errors')).json()) as { groups: unknown[] }).groups, []);
      } finally {
        await throwing.close();
      }
    });
  });
});
