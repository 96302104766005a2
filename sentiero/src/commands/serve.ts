/**
 * `sentiero serve`: the relay and the dashboard on their own port, for apps whose backend is not
 * Node (Rails, Django, Go…) to run beside them. TLS is the proxy's (docs/cli.md has an nginx example).
 */
import path from 'node:path';
import { type OriginPolicy, redactRedisUrl } from '@sentiero/relay';
import { printJson } from '../output.ts';
import { type Io, startRelay } from '../source.ts';

/** Options of `serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  data: string;
  base: string;
  allowedOrigins?: string;
  token?: string;
  ingestKey?: string;
  /** A Redis URL: the store and the live bus are shared there, and `data` is not used. */
  redis?: string;
  json?: boolean;
}

/** `*`, or a comma-separated list of origins. */
export function parseOrigins(value: string | undefined): OriginPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.trim() === '*') return '*';
  return value.split(',').map((o) => o.trim()).filter(Boolean);
}

/** Runs the relay until `signal` aborts (SIGINT or SIGTERM in the command), then closes it. */
export async function serveCommand(o: ServeOptions, io: Io, signal: AbortSignal): Promise<void> {
  const redis = o.redis || undefined;
  const dataDir = redis ? undefined : path.resolve(o.data);
  const where = redis ? redactRedisUrl(redis) : dataDir;
  const { relay, port, close } = await startRelay(
    { ...(redis ? { redis: { url: redis } } : { dataDir }), basePath: o.base, allowedOrigins: parseOrigins(o.allowedOrigins), token: o.token, ingestKey: o.ingestKey }, o.port, o.host, io);
  const origin = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  const url = `${origin}${relay.basePath}/`;
  if (o.json) {
    printJson(io, { url, port, dataDir, redis: redis === undefined ? undefined : where, dashboard: `${url}#token=${relay.token}`, recorder: `${origin}${relay.basePath}/recorder.js`, token: relay.token, ingestKey: relay.ingestKey });
  } else {
    io.stdout.write(`sentiero relay on ${url} (${redis ? 'redis' : 'data'}: ${where})\n`);
    io.stdout.write(`dashboard: ${url}#token=${relay.token}\n`);
    io.stdout.write(`recorder:  <script src="${origin}${relay.basePath}/recorder.js"></script>\n`);
  }
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await close();
}
