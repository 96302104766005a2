/**
 * The relay under `node:cluster`: one worker per CPU on one port, the connections shared out
 * round-robin by the primary (no sticky sessions), every worker on the same Redis. A recorder
 * that reconnects lands on any worker and goes on with its session; a watcher on any worker
 * follows sessions recorded through the others.
 *
 * Run (a Redis on SENTIERO_REDIS_URL, default redis://127.0.0.1:6379):
 *   npm run build && node --conditions=development --import tsx examples/cluster/server.ts
 * Environment: PORT (3000), HOST (127.0.0.1), WORKERS (the CPUs), SENTIERO_REDIS_URL,
 * SENTIERO_TOKEN and SENTIERO_INGEST_KEY (generated once by the primary when unset, so that
 * every worker has the same: a viewer token must open the dashboard on any of them).
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { createSecret } from '@sentiero/protocol';
import { createRelay, redactRedisUrl } from '@sentiero/relay';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.SENTIERO_REDIS_URL || 'redis://127.0.0.1:6379';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Sentiero under node:cluster</title>
<script src="/sentiero/recorder.js"></script><script>Sentiero.start()</script></head>
<body><h1>Served by worker WORKER</h1><label>Name <input id="name"></label></body></html>`;

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS ?? availableParallelism());
  const env = {
    SENTIERO_TOKEN: process.env.SENTIERO_TOKEN || createSecret(),
    SENTIERO_INGEST_KEY: process.env.SENTIERO_INGEST_KEY || createSecret(),
  };
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening !== workers) return;
    const origin = `http://${host}:${port}`;
    console.log(`Sentiero under node:cluster: ${workers} workers on ${origin}/, Redis ${redactRedisUrl(redisUrl)}`);
    console.log(`  dashboard:  ${origin}/sentiero/#token=${env.SENTIERO_TOKEN}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) console.log(`worker ${worker.process.pid} exited (${signal ?? code}); its recorders reconnect to the others`);
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < workers; i++) cluster.fork(env);
} else {
  const relay = createRelay({ redis: { url: redisUrl } });
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE.replace('WORKER', String(cluster.worker?.id)));
  });
  relay.attach(server);
  await relay.ready;
  server.listen(port, host);
  process.on('SIGTERM', async () => {
    server.close();
    server.closeAllConnections();
    await relay.close();
    process.exit(0);
  });
}
