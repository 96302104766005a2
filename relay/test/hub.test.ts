import assert from 'node:assert/strict';
import { Hub, type Published } from '../src/hub.ts';

const published = (seq: number): Published => ({
  sessionId: 's1', windowId: 'w1', seq, encode: () => `{"t":"events","seq":${seq}}`,
});

describe('relay hub', () => {
  it('gives a listener who arrives while a batch is held back for order that batch in full, once the gap closes', () => {
    const hub = new Hub({ liveGraceMs: 60_000, reorderWindowMs: 60_000, onLiveChange: () => {} });
    try {
      hub.connect('s1', 'w1', 1);
      hub.publish(published(2)); // ahead of seq 1, nobody listening yet: held back
      const got: string[] = [];
      hub.listen('s1', { batch: (p) => got.push(p.bytes!.toString('utf8')), end: () => {} });
      hub.publish(published(1));
      assert.deepEqual(got, ['{"t":"events","seq":1}', '{"t":"events","seq":2}']);
    } finally {
      hub.close();
    }
  });

  it('encodes a batch once for all listeners, and not at all when nobody listens', () => {
    const hub = new Hub({ liveGraceMs: 60_000, reorderWindowMs: 60_000, onLiveChange: () => {} });
    try {
      hub.connect('s1', 'w1', 1);
      let encoded = 0;
      hub.publish({ ...published(1), encode: () => { encoded++; return '{}'; } });
      assert.equal(encoded, 0);
      const frames: Buffer[] = [];
      for (let i = 0; i < 3; i++) hub.listen('s1', { batch: (p) => frames.push(p.bytes!), end: () => {} });
      hub.publish({ ...published(2), encode: () => { encoded++; return '{"seq":2}'; } });
      assert.equal(encoded, 1);
      assert.equal(frames.length, 3);
      assert.ok(frames.every((f) => f === frames[0]));
    } finally {
      hub.close();
    }
  });
});
