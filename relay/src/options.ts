/** The relay's options, their defaults, and the checks that run at construction. */
import { DEFAULT_LIMITS, DEFAULT_RECORDER_CONFIG, type Limits, type RecorderConfig, createSecret } from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import { type OriginPolicy, normalizeOrigin } from './auth.ts';


/** Where the relay writes what it has to say. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

/** Options of `createRelay`. Every one has a default; see docs/relay.md. */
export interface RelayOptions {
  /** URL path prefix of every route and socket. Default `/sentiero`. */
  basePath?: string;
  /** The LevelDB folder, used when `store` is not given. Default `./.sentiero-data`. */
  dataDir?: string;
  /** A store to use instead of a `LevelStore` in `dataDir` (e.g. `new MemoryStore()`). The relay opens and closes it. */
  store?: Store;
  /** The viewer token for reads. Default: `SENTIERO_TOKEN`, else a new random one (see `relay.token`). */
  token?: string;
  /** The ingest key for server-side error reports. Default: `SENTIERO_INGEST_KEY`, else a new random one. */
  ingestKey?: string;
  /**
   * Which page origins may send events, e.g. `['https://app.example']` (the app's public
   * origin, as the browser sees it behind any proxy). Default: only pages of this server on a
   * loopback address (`http://localhost:<port>`, `http://127.0.0.1:<port>`, `http://[::1]:<port>`),
   * which suits development and the demo; a deployed app must list its public origin. The
   * `Host` header is never trusted (a DNS-rebinding page controls it).
   */
  allowedOrigins?: OriginPolicy;
  /** Limits; each defaults to `DEFAULT_LIMITS` of `@sentiero/protocol`. */
  limits?: Partial<Limits>;
  /** Batching advice sent to recorders in `welcome`. Default `DEFAULT_RECORDER_CONFIG`. */
  recorder?: Partial<RecorderConfig>;
  /** How long an out-of-order batch is held back from live watchers waiting for the missing one, in ms. Default 2000. */
  reorderWindowMs?: number;
  /** Whether to serve the dashboard at `<base>/`. Default true. */
  dashboard?: boolean;
  /**
   * A folder of build output with source maps, used to map browser stack frames to original
   * files and lines: for a frame in `/assets/app.min.js`, `<dir>/assets/app.min.js.map`, else
   * `<dir>/app.min.js.map`. Maps uploaded through `POST <base>/api/sourcemaps` come first.
   */
  sourceMapsDir?: string;
  /** Where log lines go. Default: `console`, warnings and errors only. */
  logger?: Logger;
  // Analytics (docs/analytics.md)
  /** Whether to derive a digest per session at ingest and answer `<base>/api/analytics/…`. Default true (needs a store with `supports.analytics`). */
  analytics?: boolean;
  /** How often changed digests are written and become visible to analytics queries, in ms. Default 2000. */
  analyticsFlushMs?: number;
}

/** Options after defaults, as the relay uses them. */
export interface ResolvedOptions {
  basePath: string;
  dataDir: string;
  store: Store | undefined;
  token: string;
  ingestKey: string;
  allowedOrigins: OriginPolicy | undefined;
  limits: Limits;
  recorder: RecorderConfig;
  reorderWindowMs: number;
  dashboard: boolean;
  sourceMapsDir: string | undefined;
  logger: Logger;
  analytics: boolean;
  analyticsFlushMs: number;
}

const quietConsole: Logger = {
  info() {},
  warn: (m) => console.warn(`[sentiero] ${m}`),
  error: (m, err) => console.error(`[sentiero] ${m}`, err ?? ''),
};

function positiveInteger(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new TypeError(`The "${name}" option must be a positive integer; got ${String(value)}`);
  }
  return value as number;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`The "${name}" option must be true or false; got ${String(value)}`);
  return value;
}

/** Merges the defaults into `options` and checks them; a wrong value throws a `TypeError` that names it. */
export function resolveOptions(options: RelayOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('The options must be an object');
  const basePath = options.basePath ?? '/sentiero';
  if (typeof basePath !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(basePath) || (basePath.length > 1 && basePath.endsWith('/'))) {
    throw new TypeError(`The "basePath" option must start with "/" and not end with one (e.g. "/sentiero"); got ${JSON.stringify(basePath)}`);
  }
  if (options.store !== undefined && options.dataDir !== undefined) {
    throw new TypeError('The "store" and "dataDir" options cannot be used together');
  }
  for (const key of ['token', 'ingestKey'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.length < 16)) {
      throw new TypeError(`The "${key}" option must be a string of at least 16 characters`);
    }
  }
  if (options.ingestKey !== undefined && !/^\w+$/.test(options.ingestKey)) {
    throw new TypeError('The "ingestKey" option may hold only letters, digits and "_" (so that it fits a Sentry DSN)');
  }
  // An empty SENTIERO_TOKEN is unset; a short one is refused as the option is (a guessable token reads every recording).
  const envToken = process.env.SENTIERO_TOKEN || undefined;
  if (options.token === undefined && envToken !== undefined && envToken.length < 16) {
    throw new TypeError('The SENTIERO_TOKEN environment variable must be at least 16 characters');
  }
  const envKey = process.env.SENTIERO_INGEST_KEY;
  if (options.ingestKey === undefined && envKey !== undefined && envKey !== '' && (envKey.length < 16 || !/^\w+$/.test(envKey))) {
    throw new TypeError('SENTIERO_INGEST_KEY must be at least 16 letters, digits or "_" (so that it fits a Sentry DSN)');
  }
  if (options.sourceMapsDir !== undefined && (typeof options.sourceMapsDir !== 'string' || options.sourceMapsDir === '')) {
    throw new TypeError('The "sourceMapsDir" option must be a folder path');
  }
  let ao = options.allowedOrigins;
  if (ao !== undefined && ao !== '*' && typeof ao !== 'function') {
    if (!Array.isArray(ao) || !ao.every((o) => typeof o === 'string')) {
      throw new TypeError('The "allowedOrigins" option must be an array of origins, "*", or a function');
    }
    ao = ao.map((o: string) => {
      const origin = normalizeOrigin(o);
      if (origin === undefined) throw new TypeError(`The "allowedOrigins" option must list origins such as "https://app.example:8443" (scheme, host, optional port, nothing else); got ${JSON.stringify(o)}`);
      return origin;
    });
  }
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(options.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS)) throw new TypeError(`Unknown limit "${k}"; known: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    limits[k as keyof Limits] = positiveInteger(`limits.${k}`, v);
  }
  const recorder: RecorderConfig = { ...DEFAULT_RECORDER_CONFIG };
  for (const [k, v] of Object.entries(options.recorder ?? {})) {
    if (!(k in DEFAULT_RECORDER_CONFIG)) throw new TypeError(`Unknown recorder setting "${k}"`);
    recorder[k as keyof RecorderConfig] = positiveInteger(`recorder.${k}`, v);
  }
  if (recorder.maxBatchBytes > limits.maxPayloadBytes) {
    throw new TypeError('"recorder.maxBatchBytes" must not exceed "limits.maxPayloadBytes"');
  }
  return {
    basePath: basePath === '/' ? '' : basePath,
    dataDir: options.dataDir ?? './.sentiero-data',
    store: options.store,
    token: options.token ?? envToken ?? createSecret(),
    ingestKey: options.ingestKey ?? (envKey || createSecret()),
    allowedOrigins: ao,
    limits,
    recorder,
    reorderWindowMs: options.reorderWindowMs === undefined ? 2000 : positiveInteger('reorderWindowMs', options.reorderWindowMs),
    dashboard: options.dashboard ?? true,
    sourceMapsDir: options.sourceMapsDir,
    logger: options.logger ?? quietConsole,
    analytics: options.analytics === undefined ? true : checkBoolean('analytics', options.analytics),
    analyticsFlushMs: options.analyticsFlushMs === undefined ? 2000 : positiveInteger('analyticsFlushMs', options.analyticsFlushMs),
  };
}
