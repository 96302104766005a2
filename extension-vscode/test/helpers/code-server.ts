/**
 * Real VS Code for tests: code-server 4.100.3 (VS Code 1.100.3), installed on first use into
 * `.cache/code-server` at the repository's root by `install-code-server.sh` (outside the
 * extension's folder, which vsce walks when packaging), started with the
 * extension's `.vsix` installed through `--install-extension`, everything it writes kept in a
 * temp folder (nothing under $HOME).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The extension's folder. */
export const EXTENSION_DIR = path.resolve(here, '..', '..');
/** Where the test harness installs code-server. */
export const CODE_SERVER_DIR = path.join(EXTENSION_DIR, '..', '.cache', 'code-server');
const BIN = path.join(CODE_SERVER_DIR, 'node_modules', '.bin', 'code-server');

const run = promisify(execFile);

/** Installs code-server unless it is there (about a minute and 300 MB the first time); returns its binary. */
export async function ensureCodeServer(): Promise<string> {
  if (existsSync(path.join(CODE_SERVER_DIR, '.installed')) && existsSync(BIN)) return BIN;
  console.log(`    installing code-server into ${CODE_SERVER_DIR} (first run only, a minute or two)…`);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const p = spawn('bash', [path.join(here, '..', 'install-code-server.sh'), CODE_SERVER_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => { output += d; });
    p.stderr.on('data', (d) => { output += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`install-code-server.sh exited with ${code}:\n${output.slice(-4000)}`))));
  });
  return BIN;
}

/** The packaged extension (`npm run build` makes it; built here when missing). */
export async function ensureVsix(): Promise<string> {
  const { name, version } = JSON.parse(readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = path.join(EXTENSION_DIR, `${name}-${version}.vsix`);
  if (!existsSync(vsix)) await run(process.execPath, [path.join(EXTENSION_DIR, '..', 'scripts', 'build.js'), 'extension-vscode'], { cwd: path.join(EXTENSION_DIR, '..') });
  return vsix;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A running code-server. */
export interface CodeServer {
  /** The workbench URL with the workspace folder open. */
  url: string;
  /** What code-server printed so far. */
  log(): string;
  /** What the extension wrote to its "Sentiero" output channel so far. */
  extensionLog(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** Options of `startCodeServer`. */
export interface CodeServerOptions {
  vsix: string;
  /** The folder to open. */
  workspace: string;
  /** User settings. */
  settings?: Record<string, unknown>;
}

/** Installs the `.vsix` into a fresh profile and starts code-server on a free port. */
export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const bin = await ensureCodeServer();
  const home = mkdtempSync(path.join(tmpdir(), 'sentiero-code-server-'));
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_DATA_HOME: path.join(home, 'data'), XDG_CACHE_HOME: path.join(home, 'cache') };
  const userData = path.join(home, 'user');
  const common = ['--user-data-dir', userData, '--extensions-dir', path.join(home, 'extensions')];
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(o.settings ?? {}, null, 2));
  await run(bin, [...common, '--install-extension', o.vsix], { env });
  const port = await freePort();
  const child: ChildProcess = spawn(bin, [
    ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', o.workspace,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout!.on('data', (d) => { log += d; });
  child.stderr!.on('data', (d) => { log += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!/HTTP server listening/.test(log)) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log}`);
    if (Date.now() > deadline) throw new Error(`code-server did not start within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(o.workspace)}`,
    log: () => log,
    extensionLog: () => {
      const found: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith('Sentiero.log')) found.push(readFileSync(p, 'utf8'));
        }
      };
      try {
        walk(path.join(userData, 'logs'));
      } catch { /* no logs yet */ }
      return found.join('\n');
    },
    async stop() {
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch { /* already gone */ }
        const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        if (!killed) {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch { /* already gone */ }
        }
      }
      rmSync(home, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
