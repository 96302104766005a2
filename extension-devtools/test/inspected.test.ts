import assert from 'node:assert/strict';
import { normalizeRelayUrl, readInspectedPage, relayOrigin, samePage } from '../src/inspected.ts';

const good = { url: 'http://127.0.0.1:3000/', readyState: 'complete', recorderLoaded: true, recorder: { sessionId: 'lxk2f9a0-abc', windowId: 'lxk2f9a0-def', relay: 'http://127.0.0.1:3000/sentiero/' } };

describe('reading the inspected page', () => {
  it('takes a recording page\'s session, window and relay (without the trailing slash)', () => {
    const page = readInspectedPage(good)!;
    assert.deepEqual(page.recorder, { sessionId: 'lxk2f9a0-abc', windowId: 'lxk2f9a0-def', relay: 'http://127.0.0.1:3000/sentiero' });
    assert.equal(page.readyState, 'complete');
    assert.equal(relayOrigin(page.recorder!.relay), 'http://127.0.0.1:3000');
  });

  it('treats what the page made up as no recorder: bad ids, a relay that is not http(s), credentials in the URL', () => {
    for (const recorder of [
      { ...good.recorder, sessionId: '../../etc' },
      { ...good.recorder, windowId: 42 },
      { ...good.recorder, relay: 'javascript:alert(1)' },
      { ...good.recorder, relay: 'http://user:pw@host/sentiero' },
      { ...good.recorder, relay: 'not a url' },
      'sess',
    ]) {
      const page = readInspectedPage({ ...good, recorder });
      assert.ok(page, 'the page itself still reads');
      assert.equal(page.recorder, null, JSON.stringify(recorder));
    }
  });

  it('rejects what the expression never returns', () => {
    assert.equal(readInspectedPage(null), undefined);
    assert.equal(readInspectedPage('x'), undefined);
    assert.equal(readInspectedPage({ ...good, readyState: 'done' }), undefined);
    assert.equal(readInspectedPage({ ...good, url: 1 }), undefined);
  });

  it('tells a changed reading from an unchanged one', () => {
    const a = readInspectedPage(good)!;
    assert.ok(samePage(a, readInspectedPage(good)!));
    assert.ok(!samePage(undefined, a));
    assert.ok(!samePage(a, readInspectedPage({ ...good, recorder: { ...good.recorder, sessionId: 'lxk2f9a0-new' } })!));
    assert.ok(!samePage(a, readInspectedPage({ ...good, readyState: 'loading' })!));
  });

  it('normalizes relay URLs', () => {
    assert.equal(normalizeRelayUrl('https://app.example/sentiero//'), 'https://app.example/sentiero');
    assert.equal(normalizeRelayUrl('ws://app.example/sentiero'), undefined);
    assert.equal(normalizeRelayUrl('x'.repeat(5000)), undefined);
  });
});
