/**
 * The first hour of a real user: `npm run pack`, the tarballs installed into an empty folder
 * outside the repository, the app of docs/getting-started.md written from the doc's own code
 * blocks (```js file=server.js …), started with plain `node` (built JavaScript, no conditions),
 * a page recorded in Chromium, and the session replayed in the dashboard it serves.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { waitFor } from './helpers/net.ts';

const run = promisify(execFile);
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The code blocks of a Markdown file whose info string names a file: ```js file=server.js. */
export function fileBlocks(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of markdown.matchAll(/^```\w*\s+file=(\S+)\n([\s\S]*?)^```$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** `npm install` of the tarballs and express; offline from the cache when the registry is out of reach. */
async function install(dir: string, tarballs: string[]): Promise<void> {
  const args = ['install', ...tarballs, 'express@5', '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'];
  try {
    await run('npm', args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  } catch {
    await run('npm', [...args.slice(0, -1), '--offline'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  }
}

describe('install: the packed tarballs outside the repository, as getting-started.md says', function () {
  this.timeout(600_000);
  let dir: string;
  let app: ChildProcess | undefined;
  let browser: Browser | undefined;
  let output = '';

  before(async () => {
    const { stdout } = await run(process.execPath, [path.join(root, 'scripts', 'pack.js')], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const tarballs = stdout.trim().split('\n').map((p) => path.resolve(root, p));
    assert.equal(tarballs.length, 6, stdout);
    dir = await mkdtemp(path.join(os.tmpdir(), 'sentiero-install-'));
    assert.ok(path.relative(root, dir).startsWith('..'), 'the app folder is outside the repository');
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'my-app', private: true, type: 'module' })}\n`);
    await install(dir, tarballs);
  });

  after(async () => {
    await browser?.close();
    app?.kill('SIGTERM');
    if (app && app.exitCode === null) await new Promise((resolve) => app!.once('exit', resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs built JavaScript and .d.ts types, and the sentiero command', async () => {
    const pkg = JSON.parse(await readFile(path.join(dir, 'node_modules', 'sentiero', 'package.json'), 'utf8'));
    assert.equal(pkg.exports['.'].default, './dist/index.js');
    await readFile(path.join(dir, 'node_modules', 'sentiero', pkg.exports['.'].types));
    await readFile(path.join(dir, 'node_modules', '@sentiero', 'relay', 'dist', 'types', 'index.d.ts'));
    const { stdout } = await run(path.join(dir, 'node_modules', '.bin', 'sentiero'), ['--version']);
    assert.equal(stdout.trim(), pkg.version);
    // A TypeScript user's strict check, libraries included, sees the real API (a wrong type is caught).
    await writeFile(path.join(dir, 'check.ts'), [
      "import { createServer } from 'node:http';",
      "import { createRelay, MemoryStore, type RelayOptions } from 'sentiero';",
      "import type { SessionSummary } from '@sentiero/protocol';",
      'const options: RelayOptions = { store: new MemoryStore() };',
      'createRelay(options).attach(createServer());',
      'export const token: string = createRelay(options).token;',
      'export type Listed = SessionSummary[];',
      '// @ts-expect-error the token is a string',
      'export const wrong: number = createRelay(options).token;',
    ].join('\n'));
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['check.ts'],
    }));
    await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`a user's type check of the installed packages failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
  });

  it('runs the app of the doc with plain node, records a page, and replays it in the dashboard', async () => {
    const blocks = fileBlocks(await readFile(path.join(root, 'docs', 'getting-started.md'), 'utf8'));
    assert.deepEqual([...blocks.keys()].sort(), ['public/index.html', 'server.js']);
    for (const [name, text] of blocks) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    app = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: '0', NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    app.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    app.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const link = await waitFor(() => /dashboard: (http:\/\/localhost:\d+\/sentiero\/#token=\S+)/.exec(output)?.[1], { what: 'the dashboard link', timeoutMs: 30_000 });
    const url = new URL(link.replace('localhost', '127.0.0.1'));
    const token = decodeURIComponent(url.hash.slice('#token='.length));
    assert.doesNotMatch(output, /\[sentiero\]/, 'the relay found its bundles: no warning at start-up');

    browser = await launchChromium();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url.origin}/`);
    const sessionId = await waitFor(() => page.evaluate(() => (window as unknown as { __SENTIERO__?: { sessionId: string } }).__SENTIERO__?.sessionId), { what: 'the recorder' });
    await page.fill('#name', 'Ada');
    const stored = async () => {
      const res = await fetch(`${url.origin}/sentiero/api/sessions/${sessionId}`, { headers: { authorization: `Bearer ${token}` } });
      return res.ok ? ((await res.json()) as { eventCount: number }).eventCount > 2 : false;
    };
    await waitFor(stored, { what: 'the stored session', timeoutMs: 30_000 });
    await page.close();

    const dash = await context.newPage();
    await dash.goto(url.href);
    await dash.click(`.sv-row[data-session="${sessionId}"]`);
    const heading = () => dash.evaluate(() => document.querySelector<HTMLIFrameElement>('.sv-replay iframe')?.contentDocument?.querySelector('h1')?.textContent);
    assert.equal(await waitFor(heading, { what: 'the replayed page', timeoutMs: 30_000 }), 'Hello from my app');

    // Stopped as the doc's SIGTERM handler says, the data folder is free for the installed command.
    const exited = new Promise((resolve) => app!.once('exit', resolve));
    app.kill('SIGTERM');
    assert.equal(await exited, 0);
    const { stdout } = await run(path.join(dir, 'node_modules', '.bin', 'sentiero'), ['sessions', '--json'], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout).map((s: { id: string }) => s.id), [sessionId]);
  });
});
