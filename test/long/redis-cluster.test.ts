/**
 * The whole Store conformance suite against `RedisStore` on a three-node Redis Cluster that
 * the test creates (`redis-cli --cluster create … --cluster-yes` on local ports): every
 * script touches one hash slot, so the store runs on a cluster unchanged. Then two relays on
 * that cluster: what one ingests, a watcher on the other gets, through the bus.
 */
import assert from 'node:assert/strict';
import { RedisStore } from '@sentiero/storage';
import { Inbox, startRelay } from '../helpers/relay.ts';
import { runStoreConformance } from '@sentiero/storage/conformance';
import { type RedisCluster, startRedisCluster } from '../../storage/test/redis-server.ts';

let cluster: RedisCluster;
let n = 0;

before(async function () {
  this.timeout(60_000);
  cluster = await startRedisCluster();
});

after(async () => {
  await cluster?.stop();
});

runStoreConformance('RedisStore on a Redis Cluster', () => new RedisStore({ nodes: cluster.nodes, prefix: `c${n++}:` }), {
  reopen: (old) => new RedisStore((old as RedisStore).options),
});

describe('two relays on a Redis Cluster', () => {
  it('a watcher on one gets every batch the other ingests, once, in order', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => startRelay({ store: new RedisStore({ nodes: cluster.nodes, prefix: 'relays:' }) })));
    try {
      const w = new Inbox(await b!.socket('/watch'));
      w.send({ t: 'auth', token: b!.relay.token });
      await w.next((m) => m.t === 'ready');
      const rec = new Inbox(await a!.socket('/ingest'));
      rec.send({ t: 'hello', v: 1, sessionId: 'on-cluster', windowId: 'w1', lastSeq: 0, meta: { url: 'http://127.0.0.1/', userAgent: 'UA', startedAt: 1 } });
      await rec.next((m) => m.t === 'welcome');
      rec.send({ t: 'batch', seq: 1, events: [{ type: 3, timestamp: 1, data: { i: 1 } }] });
      await rec.next((m) => m.t === 'ack' && m.seq === 1);
      w.send({ t: 'subscribe', sessionId: 'on-cluster' });
      await w.next((m) => m.t === 'live');
      for (let seq = 2; seq <= 30; seq++) rec.send({ t: 'batch', seq, events: [{ type: 3, timestamp: seq, data: { i: seq } }] });
      await w.next((m) => m.t === 'events' && m.seq === 30);
      assert.deepEqual(w.messages.filter((m) => m.t === 'events').map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});
