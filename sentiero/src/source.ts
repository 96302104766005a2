/**
 * Where a command reads and writes sessions: a data folder (the tool starts the relay on it,
 * on a loopback port no one else knows, for the length of the command) or a running relay
 * (`--relay <url> --token <token>`). Either way the command goes through the relay's REST API
 * with the protocol's client, so the tool and the API share every code path.
 */
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import path from 'node:path';
import { type Client, type Limits, createClient, createSecret } from '@sentiero/protocol';
import { type Logger, type Relay, type RelayOptions, createRelay } from '@sentiero/relay';
import { CliError, ExitCode } from './exit.ts';

/** Where the tool writes what the relay has to say. */
export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Options that choose the source. */
export interface SourceOptions {
  /** The data folder. */
  data: string;
  /** A running relay's base URL (instead of the data folder). */
  relay?: string;
  /** Its token (viewer or admin). */
  token?: string;
  /** Create the data folder when it is missing (import); otherwise a missing one is an error. */
  create?: boolean;
  /** Limits of the relay started on the data folder. */
  limits?: Partial<Limits>;
  /** Retention and quota of the relay started on the data folder. */
  relayOptions?: Pick<RelayOptions, 'retentionDays' | 'maxDiskBytes'>;
}

/** An open source: the REST client, the base URL, and the data folder when local. */
export interface Source {
  client: Client;
  baseUrl: string;
  /** The token the client sends (for routes the client has no method for). */
  token: string;
  dataDir: string | undefined;
  close(): Promise<void>;
}

/** The chain of causes of an error, outermost first. */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && out.length < 8; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/** Turns a store that would not open into the tool's error: a held LevelDB lock is `SENTIERO_CLI_STORE_LOCKED`. */
export function storeOpenError(err: unknown, dataDir: string): CliError {
  const locked = causes(err).some((e) => (e as { code?: unknown }).code === 'LEVEL_LOCKED' || /\block\b/i.test(String((e as Error).message)));
  if (locked) {
    return new CliError('SENTIERO_CLI_STORE_LOCKED', ExitCode.STORE_LOCKED,
      `the data folder ${dataDir} is in use by a running relay: stop it first, or ask it with --relay <url> --token <token>`);
  }
  return new CliError('SENTIERO_CLI_STORE_FAILED', ExitCode.FAILURE, `the data folder ${dataDir} could not be opened: ${(err as Error).message}`);
}

/** A missing data folder, as the tool reports it. */
export function dataMissing(dataDir: string): CliError {
  return new CliError('SENTIERO_CLI_DATA_MISSING', ExitCode.DATA_MISSING, `no data folder at ${dataDir} (give --data or SENTIERO_DATA)`);
}

/** The relay's log for a command: warnings and errors to stderr, except the failed open the command reports itself. */
export function commandLogger(io: Io): Logger {
  return {
    info() {},
    warn: (message) => io.stderr.write(`[sentiero] ${message}\n`),
    error(message, err) {
      if ((err as { code?: unknown } | undefined)?.code === 'STORE_OPEN_FAILED') return;
      io.stderr.write(`[sentiero] ${message}${err ? `: ${(err as Error).message ?? String(err)}` : ''}\n`);
    },
  };
}

/** Listens on `port` of `host`; a taken port is `SENTIERO_CLI_PORT_IN_USE`. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new CliError('SENTIERO_CLI_PORT_IN_USE', ExitCode.PORT_IN_USE, `port ${port} of ${host} is in use`)
        : err);
    });
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** A relay listening on its own HTTP server. */
export interface RunningRelay {
  relay: Relay;
  /** The port it listens on (the one picked when 0 was asked for). */
  port: number;
  /** Closes the relay (pending writes, then the store) and the server. */
  close(): Promise<void>;
}

/**
 * Starts a relay on `options.dataDir` (or the store its options name) and listens on `port` of `host`. A wrong option is
 * `SENTIERO_CLI_USAGE`, a store that will not open `storeOpenError`'s, a taken port
 * `SENTIERO_CLI_PORT_IN_USE`.
 */
export async function startRelay(options: RelayOptions, port: number, host: string, io: Io): Promise<RunningRelay> {
  let relay: Relay;
  try {
    relay = createRelay({ logger: commandLogger(io), ...options });
  } catch (err) {
    throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, (err as Error).message);
  }
  try {
    await relay.ready;
  } catch (err) {
    await relay.close().catch(() => undefined);
    if (options.dataDir !== undefined) throw storeOpenError(err, options.dataDir);
    throw new CliError('SENTIERO_CLI_STORE_FAILED', ExitCode.FAILURE, `the store could not be opened: ${(err as Error).message}`);
  }
  const server = createServer();
  relay.attach(server);
  try {
    const actual = await listen(server, port, host);
    return {
      relay,
      port: actual,
      async close() {
        await relay.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (err) {
    await relay.close();
    throw err;
  }
}

/** Opens the source the options name. */
export async function openSource(o: SourceOptions, io: Io): Promise<Source> {
  if (o.relay !== undefined) {
    if (!o.token) throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, '--relay needs a token: --token <token> or SENTIERO_TOKEN');
    return { client: createClient({ baseUrl: o.relay, token: o.token }), baseUrl: o.relay, token: o.token, dataDir: undefined, close: async () => {} };
  }
  const dataDir = path.resolve(o.data);
  if (!o.create && !existsSync(dataDir)) throw dataMissing(dataDir);
  const token = createSecret();
  const running = await startRelay({ dataDir, token, dashboard: false, allowedOrigins: '*', limits: o.limits, ...o.relayOptions }, 0, '127.0.0.1', io);
  const baseUrl = `http://127.0.0.1:${running.port}${running.relay.basePath}`;
  return { client: createClient({ baseUrl, token }), baseUrl, token, dataDir, close: running.close };
}

/** Opens the source, runs `work` with it, and closes it whatever happens. */
export async function withSource<T>(o: SourceOptions, io: Io, work: (source: Source) => Promise<T>): Promise<T> {
  const source = await openSource(o, io);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}
