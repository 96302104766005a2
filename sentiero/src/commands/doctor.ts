/** `sentiero doctor`: checks what `serve` and the other commands need, and says what is wrong. */
import { constants } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { CliError, ExitCode } from '../exit.ts';
import { printJson } from '../output.ts';
import { type Io, listen, withSource } from '../source.ts';

/** Options of `doctor`. */
export interface DoctorOptions {
  data: string;
  port: number;
  host: string;
  base: string;
  json?: boolean;
}

/** One check's outcome. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** How long the port check waits for whatever holds the port to answer as a relay would. */
const HEALTH_TIMEOUT_MS = 2000;

/** The oldest Node the packages support (their `engines`). */
const MIN_NODE = [20, 19];

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0]! || (major === MIN_NODE[0] && minor >= MIN_NODE[1]!);
  return { name: 'node', ok, detail: `${process.versions.node} (needs >= ${MIN_NODE.join('.')})` };
}

async function dataCheck(dataDir: string): Promise<Check> {
  const info = await stat(dataDir).catch(() => undefined);
  const dir = info ? dataDir : path.dirname(dataDir);
  try {
    if (info && !info.isDirectory()) return { name: 'data folder', ok: false, detail: `${dataDir} is a file, not a folder` };
    await access(dir, constants.W_OK);
    await rm(await mkdtemp(path.join(dir, '.sentiero-doctor-')), { recursive: true });
    return { name: 'data folder', ok: true, detail: info ? `${dataDir} is writable` : `${dataDir} does not exist yet; ${dir} is writable` };
  } catch (err) {
    return { name: 'data folder', ok: false, detail: `${dir} is not writable: ${(err as Error).message}` };
  }
}

async function portCheck(o: DoctorOptions): Promise<Check> {
  const server = createServer();
  try {
    await listen(server, o.port, o.host);
    return { name: 'port', ok: true, detail: `${o.host}:${o.port} is free` };
  } catch (err) {
    const health = await fetch(`http://${o.host}:${o.port}${o.base}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) }).then((r) => r.ok, () => false);
    const who = health ? 'a Sentiero relay' : 'another program';
    return { name: 'port', ok: false, detail: `${o.host}:${o.port} is in use by ${who}: ${(err as Error).message}` };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function storeCheck(dataDir: string, io: Io): Promise<Check> {
  try {
    const count = await withSource({ data: dataDir }, io, async ({ client }) => (await client.listSessions({ limit: 1 })).sessions.length);
    return { name: 'store', ok: true, detail: `opens and answers (${count ? 'has sessions' : 'no sessions yet'})` };
  } catch (err) {
    if (err instanceof CliError && err.exit === ExitCode.DATA_MISSING) return { name: 'store', ok: true, detail: 'not created yet (serve or import creates it)' };
    return { name: 'store', ok: false, detail: (err as Error).message };
  }
}

/** Runs every check. */
export async function runChecks(o: DoctorOptions, io: Io): Promise<Check[]> {
  const dataDir = path.resolve(o.data);
  return [nodeCheck(), await dataCheck(dataDir), await portCheck(o), await storeCheck(dataDir, io)];
}

/** Runs `doctor`; a failed check exits with `CHECK_FAILED`. */
export async function doctorCommand(o: DoctorOptions, io: Io): Promise<void> {
  const checks = await runChecks(o, io);
  if (o.json) printJson(io, { ok: checks.every((c) => c.ok), checks });
  else for (const c of checks) io.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(11)}  ${c.detail}\n`);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) {
    const message = `${failed.length} check${failed.length > 1 ? 's' : ''} failed: ${failed.map((c) => c.name).join(', ')}`;
    throw new CliError('SENTIERO_CLI_CHECK_FAILED', ExitCode.CHECK_FAILED, message, { printed: Boolean(o.json) });
  }
}
