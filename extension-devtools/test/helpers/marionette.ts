/**
 * Firefox ESR driven over Marionette's TCP protocol (`len:JSON` frames), without
 * geckodriver, as the recipe does it: a fresh profile, `--marionette`, headless.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where Debian's Firefox ESR is. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? ['/usr/bin/firefox-esr', '/usr/lib/firefox-esr/firefox-esr'].find((p) => existsSync(p)) ?? '/usr/bin/firefox-esr';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A Marionette connection. */
export class Marionette {
  private id = 0;
  private buf = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; name: string }>();

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    sock.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.name}: Marionette closed`));
      this.pending.clear();
    });
  }

  /** Connects, retrying while Firefox starts, and reads the greeting. */
  static async connect(port: number, timeoutMs = 60_000): Promise<Marionette> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        const m = new Marionette(sock);
        await m.greeting;
        return m;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`Marionette did not answer on ${port}: ${(err as Error).message}`);
        await sleep(250);
      }
    }
  }

  private onGreeting!: () => void;
  private readonly greeting = new Promise<void>((r) => { this.onGreeting = r; });

  private parse(): void {
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString('ascii'));
      if (this.buf.length < colon + 1 + len) return;
      const body = this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
      this.buf = this.buf.subarray(colon + 1 + len);
      const msg = JSON.parse(body) as unknown;
      if (!Array.isArray(msg)) {
        this.onGreeting();
        continue;
      }
      const [, id, err, result] = msg as [number, number, { error: string; message: string } | null, unknown];
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      if (err) p.reject(new Error(`${p.name}: ${err.error}: ${err.message}`));
      else p.resolve(result);
    }
  }

  /** Sends a command and resolves to its result. */
  send<T = Record<string, unknown>>(name: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.id;
    const s = JSON.stringify([0, id, name, params]);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, name });
      this.sock.write(`${Buffer.byteLength(s)}:${s}`);
    });
  }

  /** Runs an async script (its last argument resolves it) and returns its value. */
  async run<T>(script: string, args: unknown[] = []): Promise<T> {
    const r = await this.send<{ value: T }>('WebDriver:ExecuteAsyncScript', { script, args, scriptTimeout: 60_000 });
    return r.value;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A running headless Firefox ESR with a Marionette session. */
export interface Firefox {
  m: Marionette;
  profile: string;
  close(): Promise<void>;
}

/** Starts Firefox ESR on a fresh profile with Marionette (extra prefs as `user_pref` lines' name → value). */
export async function launchFirefox(prefs: Record<string, string | number | boolean> = {}, args: string[] = []): Promise<Firefox> {
  const port = await freePort();
  const profile = mkdtempSync(path.join(tmpdir(), 'sentiero-ff-'));
  const all: Record<string, string | number | boolean> = {
    'marionette.port': port,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.reportingpolicy.firstRun': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'app.update.disabledForTesting': true,
    'extensions.update.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.safebrowsing.update.enabled': false,
    ...prefs,
  };
  writeFileSync(path.join(profile, 'user.js'), Object.entries(all).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n'));
  const proc: ChildProcess = spawn(FIREFOX_PATH, ['--headless', '--no-remote', '--profile', profile, '--marionette', '--remote-allow-system-access', ...args], { stdio: 'ignore' });
  const kill = () => { try { if (proc.exitCode === null) proc.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', kill);
  let m: Marionette;
  try {
    m = await Marionette.connect(port);
    await m.send('WebDriver:NewSession', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
  } catch (err) {
    kill();
    throw err;
  }
  return {
    m,
    profile,
    async close() {
      try {
        await Promise.race([m.send('Marionette:Quit', { flags: ['eForceQuit'] }), sleep(5000)]);
      } catch { /* already quitting */ }
      m.close();
      await new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        const t = setTimeout(() => { kill(); r(); }, 10_000);
        proc.once('exit', () => { clearTimeout(t); r(); });
      });
      process.removeListener('exit', kill);
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
