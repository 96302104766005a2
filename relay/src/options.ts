/** The relay's options, their defaults, and the checks that run at construction. */
import { type AssetMode, DEFAULT_LIMITS, DEFAULT_RECORDER_CONFIG, type Limits, type RecorderConfig, createSecret } from '@sentiero/protocol';
import type { RedisNode, Role, Store } from '@sentiero/storage';
import { type OriginPolicy, hashToken, normalizeOrigin } from './auth.ts';
import { type Sanitizer, defaultSanitizers } from './sanitize.ts';


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
  /** The admin token (named `default`): reads, erases, manages tokens. Default: `SENTIERO_TOKEN`, else a new random one (see `relay.token`). */
  token?: string;
  /**
   * More tokens, each with a name (shown in the audit log) and a role: `viewer` reads;
   * `admin` also erases, changes error status, manages tokens and reads the audit log. Give
   * the token (at least 16 characters) or only its SHA-256 as hex (`hash`), so the config
   * holds no secret. Revoke one by removing it. Default none; see docs/security.md.
   */
  tokens?: readonly ConfigToken[];
  /** How long a dashboard sign-in (its session cookie) lasts, in ms. Default 8 hours. */
  loginTtlMs?: number;
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
  /**
   * Functions every event, window meta and error report goes through before it is stored or
   * shown (docs/privacy.md). Default `defaultSanitizers()`: secret query parameters stripped
   * from every URL, e-mail addresses and card numbers masked. The list replaces the default:
   * `[...defaultSanitizers(), mine]` adds one; `[]` turns them all off.
   */
  sanitizers?: Sanitizer[];
  /** Days a session is kept after the relay last received a batch of it (error occurrences likewise). Default 30. */
  retentionDays?: number;
  /** Days an audit log entry is kept; older ones are removed by the same pruning, the chain staying verifiable from the last one removed. Default 365. */
  auditRetentionDays?: number;
  /**
   * The most bytes the store may take; the oldest sessions are pruned to stay under it.
   * Default: the store's size at start plus half the space then free on its file system
   * (`fs.statfs`); for a store without a folder, a quarter of the machine's memory.
   */
  maxDiskBytes?: number;
  /** How often retention and the quota are applied, in ms (a timer that does not keep the process alive). Default 600000 (10 minutes). */
  pruneIntervalMs?: number;
  // Scale-out on Redis (docs/relay.md, "Several relay processes").
  /**
   * Shares the store and the live bus with every relay process given the same Redis: a
   * `RedisStore` and a `RedisBus` on `url` (one server) or `nodes` (a cluster), their keys
   * and channels under `prefix` (default `sentiero:`). Default: none (LevelDB in `dataDir`,
   * live in this process only). A `store` that is a `RedisStore` on a `url` or `nodes`
   * brings its bus along without this option.
   */
  redis?: RedisOptions;
  // Analytics (docs/analytics.md)
  /** Whether to derive a digest per session at ingest and answer `<base>/api/analytics/…`. Default true (needs a store with `supports.analytics`). */
  analytics?: boolean;
  /** How often changed digests are written and become visible to analytics queries, in ms. Default 2000. */
  analyticsFlushMs?: number;

  // Viewer privacy (docs/viewer-privacy.md).
  /**
   * How a replay loads the images, fonts and stylesheets the recording refers to: `'proxy'`
   * through the relay's asset proxy (the recorded site sees the relay, never the viewer), or
   * `'block'` never fetched at replay time (only the copies captured when the session was
   * recorded are served). Default `'proxy'`. Either way the viewer's browser never fetches them
   * from the recorded site.
   */
  viewerAssets?: AssetMode;
  /** Limits of the asset proxy; see `AssetProxyOptions`. */
  assetProxy?: Partial<AssetProxyOptions>;
  // Captured assets (docs/relay.md#captured-assets)
  /** Keeping a copy of the stylesheets, fonts and images each session used; see `CaptureAssetsOptions`. `false` turns it off. */
  captureAssets?: Partial<CaptureAssetsOptions> | boolean;
}

/** Where the relay's Redis is (the `redis` option). */
export interface RedisOptions {
  /** One Redis server, e.g. `redis://:password@redis.internal:6379/0`. */
  url?: string;
  /** A Redis Cluster's startup nodes. */
  nodes?: RedisNode[];
  /** Put before every key and channel. Default `sentiero:`. */
  prefix?: string;
}

/** A token of the `tokens` option: a name, a role, and the token or its SHA-256. */
export interface ConfigToken {
  name: string;
  role: Role;
  token?: string;
  hash?: string;
}

/** A token as the relay keeps it: its SHA-256, never the token. */
export interface HashedToken {
  name: string;
  role: Role;
  hash: string;
}

/** The name of the `token` option's token. */
export const DEFAULT_TOKEN_NAME = 'default';

/** Limits of the viewer's asset proxy. */
export interface AssetProxyOptions {
  /**
   * Origins (`http://intranet.example:8080`) the proxy may fetch from although they resolve to a
   * loopback, private or link-local address; every other such address is refused. Default none.
   */
  allowPrivateOrigins: string[];
  /** Largest asset, in bytes. Default 5 MB (5_000_000). */
  maxBytes: number;
  /** Longest time for one asset, redirects included, in ms. Default 10000. */
  timeoutMs: number;
}

/** The asset proxy's defaults. */
export const DEFAULT_ASSET_PROXY: AssetProxyOptions = { allowPrivateOrigins: [], maxBytes: 5_000_000, timeoutMs: 10_000 };

/** Captured assets: the relay fetches what recorded pages used and keeps a copy per session (docs/relay.md#captured-assets). */
export interface CaptureAssetsOptions {
  /** Whether to capture at all. Default true (needs a store with `supports.assets`). */
  enabled: boolean;
  /**
   * Origins (`https://cdn.example`) captured from besides the app's own (the `allowedOrigins`
   * option, or this server's loopback origins when it is not set), also when they resolve to a
   * loopback or private address. Default none: every other origin is refused.
   */
  allowOrigins: string[];
  /** Largest asset kept, in bytes. Default 5 MB (5_000_000). */
  maxBytes: number;
  /** URLs captured (or refused) per session at most. Default 200. */
  maxPerSession: number;
  /** Assets fetched at once, for all sessions. Default 4. */
  concurrency: number;
  /** Longest time for one asset, redirects included, in ms. Default 10000. */
  timeoutMs: number;
  /** How long a URL's copy is reused for later sessions instead of fetching it again, in ms. Default 60000. */
  reuseMs: number;
}

/** The defaults of `captureAssets`. */
export const DEFAULT_CAPTURE_ASSETS: CaptureAssetsOptions = { enabled: true, allowOrigins: [], maxBytes: 5_000_000, maxPerSession: 200, concurrency: 4, timeoutMs: 10_000, reuseMs: 60_000 };

/** Options after defaults, as the relay uses them. */
export interface ResolvedOptions {
  basePath: string;
  dataDir: string;
  store: Store | undefined;
  token: string;
  /** Every token of the options, hashed: `default` (the `token` option, admin) first. */
  tokens: HashedToken[];
  loginTtlMs: number;
  ingestKey: string;
  allowedOrigins: OriginPolicy | undefined;
  limits: Limits;
  recorder: RecorderConfig;
  reorderWindowMs: number;
  dashboard: boolean;
  sourceMapsDir: string | undefined;
  logger: Logger;
  redis: RedisOptions | undefined;
  sanitizers: readonly Sanitizer[];
  retentionDays: number;
  auditRetentionDays: number;
  maxDiskBytes: number | undefined;
  pruneIntervalMs: number;
  analytics: boolean;
  analyticsFlushMs: number;
  viewerAssets: AssetMode;
  assetProxy: AssetProxyOptions;
  captureAssets: CaptureAssetsOptions;
}

/** Days an audit entry is kept when `auditRetentionDays` is not given. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/** Days a session is kept after its last batch when `retentionDays` is not given. */
export const DEFAULT_RETENTION_DAYS = 30;

/** How often retention and the quota run when `pruneIntervalMs` is not given. */
export const DEFAULT_PRUNE_INTERVAL_MS = 600_000;

/** Default of `loginTtlMs`: a working day. */
const DEFAULT_LOGIN_TTL_MS = 8 * 60 * 60 * 1000;

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

/** Checks the `tokens` option and hashes each; `token` becomes the admin token `default`. */
function resolveTokens(token: string, given: unknown): HashedToken[] {
  if (given !== undefined && !Array.isArray(given)) throw new TypeError('The "tokens" option must be an array of { name, role, token | hash }');
  const out: HashedToken[] = [{ name: DEFAULT_TOKEN_NAME, role: 'admin', hash: hashToken(token) }];
  for (const [i, t] of ((given ?? []) as ConfigToken[]).entries()) {
    const at = `"tokens[${i}]"`;
    if (typeof t !== 'object' || t === null) throw new TypeError(`${at} must be an object { name, role, token | hash }`);
    if (typeof t.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(t.name)) throw new TypeError(`${at}.name must be 1–64 of A-Z, a-z, 0-9, ".", "_", "-"`);
    if (out.some((o) => o.name === t.name)) throw new TypeError(`${at}.name "${t.name}" is used twice (or is the reserved "${DEFAULT_TOKEN_NAME}")`);
    if (t.role !== 'viewer' && t.role !== 'admin') throw new TypeError(`${at}.role must be "viewer" or "admin"`);
    if ((t.token === undefined) === (t.hash === undefined)) throw new TypeError(`${at} must have either "token" or "hash"`);
    if (t.token !== undefined && (typeof t.token !== 'string' || t.token.length < 16)) throw new TypeError(`${at}.token must be a string of at least 16 characters`);
    if (t.hash !== undefined && (typeof t.hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(t.hash))) throw new TypeError(`${at}.hash must be the token's SHA-256 as 64 hex digits`);
    out.push({ name: t.name, role: t.role, hash: t.hash?.toLowerCase() ?? hashToken(t.token!) });
  }
  return out;
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
  const redis = checkRedis(options);
  if (options.sanitizers !== undefined && (!Array.isArray(options.sanitizers) || !options.sanitizers.every((f) => typeof f === 'function'))) {
    throw new TypeError('The "sanitizers" option must be an array of functions (event, context) => event | null');
  }
  const days = (name: 'retentionDays' | 'auditRetentionDays', fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`The "${name}" option must be a positive number of days; got ${String(value)}`);
    }
    return value;
  };
  const retentionDays = days('retentionDays', DEFAULT_RETENTION_DAYS);
  const auditRetentionDays = days('auditRetentionDays', DEFAULT_AUDIT_RETENTION_DAYS);
  const { viewerAssets, assetProxy } = resolveViewerPrivacy(options);
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
  const token = options.token ?? envToken ?? createSecret();
  return {
    basePath: basePath === '/' ? '' : basePath,
    dataDir: options.dataDir ?? './.sentiero-data',
    store: options.store,
    token,
    tokens: resolveTokens(token, options.tokens),
    loginTtlMs: options.loginTtlMs === undefined ? DEFAULT_LOGIN_TTL_MS : positiveInteger('loginTtlMs', options.loginTtlMs),
    ingestKey: options.ingestKey ?? (envKey || createSecret()),
    allowedOrigins: ao,
    limits,
    recorder,
    reorderWindowMs: options.reorderWindowMs === undefined ? 2000 : positiveInteger('reorderWindowMs', options.reorderWindowMs),
    dashboard: options.dashboard ?? true,
    sourceMapsDir: options.sourceMapsDir,
    logger: options.logger ?? quietConsole,
    redis,
    sanitizers: Object.freeze([...(options.sanitizers ?? defaultSanitizers())]),
    retentionDays,
    auditRetentionDays,
    maxDiskBytes: options.maxDiskBytes === undefined ? undefined : positiveInteger('maxDiskBytes', options.maxDiskBytes),
    pruneIntervalMs: options.pruneIntervalMs === undefined ? DEFAULT_PRUNE_INTERVAL_MS : positiveInteger('pruneIntervalMs', options.pruneIntervalMs),
    analytics: options.analytics === undefined ? true : checkBoolean('analytics', options.analytics),
    analyticsFlushMs: options.analyticsFlushMs === undefined ? 2000 : positiveInteger('analyticsFlushMs', options.analyticsFlushMs),
    viewerAssets,
    assetProxy,
    captureAssets: resolveCaptureAssets(options.captureAssets),
  };
}

/** Checks `captureAssets`. */
function resolveCaptureAssets(given: RelayOptions['captureAssets']): CaptureAssetsOptions {
  const out: CaptureAssetsOptions = { ...DEFAULT_CAPTURE_ASSETS, allowOrigins: [] };
  if (given === undefined || given === true) return out;
  if (given === false) return { ...out, enabled: false };
  if (typeof given !== 'object' || given === null) throw new TypeError('The "captureAssets" option must be true, false or an object');
  for (const [k, v] of Object.entries(given)) {
    if (k === 'enabled') out.enabled = checkBoolean('captureAssets.enabled', v);
    else if (k === 'allowOrigins') {
      if (!Array.isArray(v)) throw new TypeError('The "captureAssets.allowOrigins" option must be an array of origins');
      out.allowOrigins = v.map((o: unknown) => {
        const origin = typeof o === 'string' ? normalizeOrigin(o) : undefined;
        if (origin === undefined) throw new TypeError(`The "captureAssets.allowOrigins" option must list origins such as "https://cdn.example"; got ${JSON.stringify(o)}`);
        return origin;
      });
    } else if (k === 'maxBytes' || k === 'maxPerSession' || k === 'concurrency' || k === 'timeoutMs' || k === 'reuseMs') out[k] = positiveInteger(`captureAssets.${k}`, v);
    else throw new TypeError(`Unknown captureAssets setting "${k}"; known: ${Object.keys(DEFAULT_CAPTURE_ASSETS).join(', ')}`);
  }
  return out;
}

/** Checks the `redis` option (the store and bus check the rest when they are made). */
function checkRedis(options: RelayOptions): RedisOptions | undefined {
  const redis = options.redis;
  if (redis === undefined) return undefined;
  if (typeof redis !== 'object' || redis === null || (redis.url === undefined) === (redis.nodes === undefined)) {
    throw new TypeError('The "redis" option must be { url } or { nodes }, with an optional prefix');
  }
  if (options.store !== undefined || options.dataDir !== undefined) {
    throw new TypeError('The "redis" option cannot be used with "store" or "dataDir" (it makes the store)');
  }
  return { ...redis };
}

/** Checks `viewerAssets` and `assetProxy`. */
function resolveViewerPrivacy(options: RelayOptions): { viewerAssets: AssetMode; assetProxy: AssetProxyOptions } {
  const viewerAssets = options.viewerAssets ?? 'proxy';
  if (viewerAssets !== 'proxy' && viewerAssets !== 'block') throw new TypeError(`The "viewerAssets" option must be "proxy" or "block"; got ${JSON.stringify(viewerAssets)}`);
  const given = options.assetProxy ?? {};
  if (typeof given !== 'object' || given === null) throw new TypeError('The "assetProxy" option must be an object');
  const assetProxy: AssetProxyOptions = { ...DEFAULT_ASSET_PROXY, allowPrivateOrigins: [] };
  for (const [k, v] of Object.entries(given)) {
    if (k === 'allowPrivateOrigins') {
      if (!Array.isArray(v)) throw new TypeError('The "assetProxy.allowPrivateOrigins" option must be an array of origins');
      assetProxy.allowPrivateOrigins = v.map((o: unknown) => {
        const origin = typeof o === 'string' ? normalizeOrigin(o) : undefined;
        if (origin === undefined) throw new TypeError(`The "assetProxy.allowPrivateOrigins" option must list origins such as "http://intranet.example:8080"; got ${JSON.stringify(o)}`);
        return origin;
      });
    } else if (k === 'maxBytes' || k === 'timeoutMs') assetProxy[k] = positiveInteger(`assetProxy.${k}`, v);
    else throw new TypeError(`Unknown assetProxy setting "${k}"; known: ${Object.keys(DEFAULT_ASSET_PROXY).join(', ')}`);
  }
  return { viewerAssets, assetProxy };
}
