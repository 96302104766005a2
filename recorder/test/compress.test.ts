/**
 * gzip on the recorder's HTTP paths in real Chromium: batches the relay has left unacknowledged
 * for a while are compressed in the background (zlib's best level, in slices), so the beacons of a page going away carry gzip
 * (the fake relay takes them by their magic bytes, as the real one does).
 */
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/net.ts';
import { TRANSPORT_LIMITS } from '../src/transport.ts';
import { type PageGlobal, pageQuery, usePage } from './harness.ts';

describe('recorder: gzip beacons (real Chromium)', () => {
  const env = usePage();

  it('beacons in gzip the batches the relay has not acknowledged for a while, and plain text the last, fresh one', async () => {
    const { h, page } = env;
    h.behaviour.ack = false;
    await page.goto(`${h.origin}/page${pageQuery()}`);
    const g = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: PageGlobal }).__SENTIERO__), { what: 'recording' });
    const grow = (from: number) => page.evaluate((from) => {
      for (let i = from; i < from + 200; i++) {
        const p = document.createElement('p');
        p.textContent = `row ${i} of a list long enough to be worth compressing`;
        document.getElementById('grow')!.append(p);
      }
    }, from);
    await grow(0);
    await waitFor(() => h.connections.some((c) => c.seqs.length >= 1) || undefined, { what: 'a first unacknowledged batch' });
    await grow(200);
    await waitFor(() => h.connections.some((c) => c.seqs.length >= 2) || undefined, { what: 'two unacknowledged batches' });
    // Each batch is due a second after its last event; the background work then runs at the next check (a second at most).
    await page.waitForTimeout(3 * TRANSPORT_LIMITS.precompressAfterMs);
    await page.evaluate(async () => {
      document.getElementById('grow')!.append('the last change');
      await new Promise((r) => setTimeout(r, 0));
      (window as unknown as { Sentiero: { stop(): void } }).Sentiero.stop();
    });
    // Beacons arrive in any order: wait for the last one and for those of both older batches.
    const isLast = (p: { events: unknown }) => JSON.stringify(p.events).includes('the last change');
    const mine = () => h.posts.filter((p) => p.windowId === g.windowId);
    const beacons = await waitFor(() => {
      const all = mine();
      return all.some(isLast) && all.filter((p) => !isLast(p)).length >= 2 ? all : undefined;
    }, { what: 'the beacons of the last change and of both older batches' }).catch((err: Error) => {
      throw new Error(`${err.message}: ${h.posts.length} posts: ${h.posts.map((p) => `${p.windowId === g.windowId} ${p.seq} ${p.gzip}`).join(', ')}`);
    });
    const old = beacons.filter((p) => !isLast(p));
    for (const p of old) {
      const text = JSON.stringify(p.events).length;
      if (text < 1024) continue;
      assert.equal(p.gzip, true, `batch ${p.seq} (${text} chars) went in gzip`);
      assert.equal(p.xfl, 2, `at zlib's best level (the gzip header's XFL is 2; the browser's CompressionStream writes 0)`);
      assert.ok(p.wireBytes < text / 2, `and smaller on the wire (${p.wireBytes} bytes)`);
    }
    assert.ok(old.some((p) => p.gzip), 'at least one gzip beacon');
  });
});
