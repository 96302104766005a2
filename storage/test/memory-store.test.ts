import assert from 'node:assert/strict';
import { MemoryStore } from '@sentiero/storage';
import { runStoreConformance } from '@sentiero/storage/conformance';

runStoreConformance('MemoryStore', () => new MemoryStore());

describe('MemoryStore', () => {
  it('keeps its data across close and open of the same instance', async () => {
    const store = new MemoryStore();
    await store.open();
    await store.append({ sessionId: 's1', windowId: 'w1', seq: 1, events: [{ type: 3, timestamp: 5 }], receivedAt: 6 });
    await store.close();
    await store.open();
    assert.equal((await store.getSession('s1'))?.eventCount, 1);
    assert.equal(await store.ackedSeq('s1', 'w1'), 1);
    await store.close();
  });

  it('declares no persistence', () => {
    assert.deepEqual(new MemoryStore().supports, { persistence: false, analytics: true, assets: true });
  });
});
