/**
 * The demo `npm start` runs: a small app on a plain Node http server with the Sentiero relay
 * attached and the embedded LevelDB store. Environment: PORT (3000), HOST (127.0.0.1),
 * SENTIERO_DATA (./.sentiero-data), SENTIERO_TOKEN and SENTIERO_INGEST_KEY (generated when unset),
 * SENTIERO_REDIS_URL (unset: LevelDB in SENTIERO_DATA; set: the store and the live bus on that
 * Redis, shared by every demo process given the same URL).
 */
import { createServer } from 'node:http';
import { DEMO_DIST, createApp } from './app.ts';
import { createRelay, redactRedisUrl } from '@sentiero/relay';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

// The demo's script is minified; its source map in DEMO_DIST maps browser errors back to public/app.js.
const redisUrl = process.env.SENTIERO_REDIS_URL || undefined;
const where = redisUrl ? { redis: { url: redisUrl } } : { dataDir: process.env.SENTIERO_DATA ?? './.sentiero-data' };
const relay = createRelay({ ...where, sourceMapsDir: DEMO_DIST });
const server = createServer(createApp({ relay }));
relay.attach(server);

await relay.ready;
server.listen(port, host, () => {
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  console.log(`Sentiero demo`);
  console.log(`  demo app:   ${origin}/`);
  console.log(`  dashboard:  ${origin}${relay.basePath}/#token=${relay.token}`);
  console.log(`  token:      ${relay.token}`);
  console.log(`  ingest key: ${relay.ingestKey}`);
  if (redisUrl) console.log(`  redis:      ${redactRedisUrl(redisUrl)} (shared with every process on it)`);
  else console.log(`  data:       ${process.env.SENTIERO_DATA ?? './.sentiero-data'}`);
  if (redisUrl && !process.env.SENTIERO_TOKEN) console.log('  (set SENTIERO_TOKEN to the same value in every process, or each has its own token)');
});

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: closing the relay and the store…`);
  server.close();
  server.closeAllConnections();
  await relay.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
