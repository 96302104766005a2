/**
 * The whole Store conformance suite against `RedisStore` on a three-node Redis Cluster that
 * the test creates (`redis-cli --cluster create … --cluster-yes` on local ports): every
 * script touches one hash slot, so the store runs on a cluster unchanged.
 */
import { RedisStore } from '@sentiero/storage';
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
