/**
 * The Vite plugin: in `vite dev` it runs a relay on Vite's own dev server and adds the
 * recorder to every page Vite serves, so a developer's own session is recorded with no other
 * set-up; in `vite build` it does nothing unless told which relay the built pages report to.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { HtmlTagDescriptor, Logger as ViteLogger, Plugin, ResolvedConfig, ViteDevServer } from 'vite';
import { createSecret } from '@sentiero/protocol';
import type { RecorderOptions } from '@sentiero/recorder';
// By package name, not path: the built `dist/vite.js` then shares `dist/index.js` instead of bundling a second relay.
import { type Logger, type Relay, type RelayOptions, createRelay } from '@sentiero/relay';
import { resolveOptions } from '../options.ts';

/** Options of `Sentiero.start()` that fit in a page's HTML (no functions, no `relay`: the script's `src` gives it). */
export type InjectedRecorderOptions = Omit<RecorderOptions, 'onError' | 'relay'>;

/** Options of `sentieroVite()`. Every one has a default; see docs/frameworks.md. */
export interface SentieroViteOptions {
  /** Options of the dev relay, passed to `createRelay`. Default: a LevelDB in `<vite root>/.sentiero-data`, a token kept in its `dev-token` file, Vite's logger. */
  relay?: RelayOptions;
  /** Whether `vite dev` adds the recorder's script tags to the HTML it serves. Default true. */
  inject?: boolean;
  /** Options for `Sentiero.start()` in the injected tags (dev and build). Default `{}`. */
  recorder?: InjectedRecorderOptions;
  /** For `vite build`: the base URL of the relay the built pages report to (e.g. `https://app.example/sentiero`). Default: none, and the build holds no recorder. */
  build?: { relayUrl: string };
}

/** What the plugin offers other plugins and hosts through `plugin.api`. */
export interface SentieroViteApi {
  /** The dev relay, once Vite's server listens (or at once in middleware mode); undefined in a build. */
  readonly relay: Relay | undefined;
  /** The dashboard's URL with the token in its fragment, once Vite's server listens. */
  readonly dashboardUrl: string | undefined;
}

/** The Vite plugin `sentieroVite()` returns. */
export type SentieroVitePlugin = Plugin & { api: SentieroViteApi };

interface ResolvedViteOptions {
  relay: RelayOptions;
  inject: boolean;
  recorder: InjectedRecorderOptions;
  buildRelayUrl: string | undefined;
}

/** Checks the plugin's options and the relay's; a wrong one throws a `TypeError` that names it. */
export function resolveViteOptions(options: SentieroViteOptions = {}): ResolvedViteOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('The options of sentieroVite() must be an object');
  const { relay = {}, inject = true, recorder = {}, build } = options;
  if (typeof relay !== 'object' || relay === null) throw new TypeError('The "relay" option must be an object of relay options');
  // Checked now, so that a wrong relay option fails when the config loads rather than once Vite listens.
  resolveOptions(relay);
  if (typeof inject !== 'boolean') throw new TypeError('The "inject" option must be a boolean');
  if (typeof recorder !== 'object' || recorder === null) throw new TypeError('The "recorder" option must be an object of recorder options');
  for (const [k, v] of Object.entries(recorder)) {
    if (k === 'relay' || k === 'onError' || typeof v === 'function') {
      throw new TypeError(`The "recorder.${k}" option cannot be put in a page's HTML (the relay comes from the script's src; functions do not fit)`);
    }
  }
  let buildRelayUrl: string | undefined;
  if (build !== undefined) {
    const url = typeof build === 'object' && build !== null ? build.relayUrl : undefined;
    if (typeof url !== 'string' || !/^(https?:\/\/[^/]+)?\/[^?#]*$/.test(url) || url.endsWith('/')) {
      throw new TypeError(`The "build.relayUrl" option must be the relay's base URL, absolute or a path, without a trailing "/" (e.g. "https://app.example/sentiero"); got ${JSON.stringify(url)}`);
    }
    buildRelayUrl = url;
  }
  return { relay, inject, recorder, buildRelayUrl };
}

/** The recorder's two script tags: the script from `<relayUrl>/recorder.js`, then `Sentiero.start(options)`. */
function recorderTags(relayUrl: string, recorder: InjectedRecorderOptions): HtmlTagDescriptor[] {
  // JSON in an inline script: `<` escaped so that no value can close the script element.
  const json = JSON.stringify(recorder).replace(/</g, '\\u003c');
  return [
    { tag: 'script', attrs: { src: `${relayUrl}/recorder.js` }, injectTo: 'head-prepend' },
    { tag: 'script', children: `Sentiero.start(${json === '{}' ? '' : json})`, injectTo: 'head-prepend' },
  ];
}

/** The relay's log lines through Vite's logger. */
function viteLogger(logger: ViteLogger): Logger {
  return {
    info: (m) => logger.info(`[sentiero] ${m}`, { timestamp: true }),
    warn: (m) => logger.warn(`[sentiero] ${m}`, { timestamp: true }),
    error: (m, err) => logger.error(`[sentiero] ${m}${err instanceof Error ? `: ${err.message}` : ''}`, { timestamp: true, ...(err instanceof Error ? { error: err } : {}) }),
  };
}

/** The dev token kept in `<dataDir>/dev-token`, made on first use: a token pasted into the DevTools panel once stays valid across restarts. */
function devToken(dataDir: string): string {
  const file = path.join(dataDir, 'dev-token');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 16) return kept;
  } catch { /* none yet */ }
  const token = createSecret();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, token, { mode: 0o600 });
  return token;
}

/** The origin a listening server is reached at from this machine. */
function localOrigin(address: AddressInfo, https: boolean): string {
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${https ? 'https' : 'http'}://${host}:${address.port}`;
}

/**
 * The Sentiero Vite plugin: `plugins: [sentieroVite()]` in `vite.config`. In `vite dev` it
 * attaches a relay to Vite's dev server (Vite's HMR socket is left alone), adds the recorder
 * to the served HTML and prints the dashboard's URL; it closes the relay with the server.
 */
export function sentieroVite(options: SentieroViteOptions = {}): SentieroVitePlugin {
  const opts = resolveViteOptions(options);
  let config: ResolvedConfig;
  let relay: Relay | undefined;
  let dashboardUrl: string | undefined;

  function startRelay(server: ViteDevServer): Relay {
    const relayOptions: RelayOptions = { logger: viteLogger(config.logger), ...opts.relay };
    if (!relayOptions.store) {
      const dataDir = path.resolve(config.root, relayOptions.dataDir ?? '.sentiero-data');
      relayOptions.dataDir = dataDir;
      if (relayOptions.token === undefined && !process.env.SENTIERO_TOKEN) relayOptions.token = devToken(dataDir);
      // LevelDB's writes are no business of Vite's file watcher.
      server.watcher.unwatch(dataDir);
    }
    return createRelay(relayOptions);
  }

  return {
    name: 'sentiero',
    api: {
      get relay() { return relay; },
      get dashboardUrl() { return dashboardUrl; },
    },
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      const { httpServer } = server;
      if (!httpServer) {
        // Middleware mode: the host owns the server; the recorder falls back to HTTP unless the host routes upgrades to `api.relay.handleUpgrade`.
        relay = startRelay(server);
        server.middlewares.use(relay.handler);
        return;
      }
      // Created once Vite listens: on a restart Vite builds the new server before it closes the old one, whose relay still holds the LevelDB lock.
      httpServer.once('listening', () => {
        const r = startRelay(server);
        relay = r;
        r.attach(httpServer as import('node:http').Server);
        dashboardUrl = `${localOrigin(httpServer.address() as AddressInfo, Boolean(config.server.https))}${r.basePath}/#token=${r.token}`;
        config.logger.info(`  ➜  Sentiero dashboard: ${dashboardUrl}`);
        config.logger.info(`  ➜  Sentiero token:     ${r.token}`);
      });
    },
    transformIndexHtml() {
      if (config.command === 'serve') {
        if (!opts.inject) return undefined;
        // The relay answers at its base path on the server's root, whatever Vite's own `base`.
        return recorderTags(relay?.basePath ?? opts.relay.basePath ?? '/sentiero', opts.recorder);
      }
      return opts.buildRelayUrl ? recorderTags(opts.buildRelayUrl, opts.recorder) : undefined;
    },
    async closeBundle() {
      if (config.command === 'serve') await relay?.close();
    },
  };
}
