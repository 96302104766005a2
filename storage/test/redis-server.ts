/**
 * Real `redis-server` processes for tests: one on a free loopback port in a temp folder, with
 * nothing saved to disk, or three of them joined into a Redis Cluster by `redis-cli`. Each
 * waits for PING before it resolves, and `stop()` kills what it started.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../test/helpers/demo-process.ts';

const run = promisify(execFile);


/** A running `redis-server`. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Kills the server (SIGKILL when `hard`); `restart` may start it again. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port (after `stop`), empty. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

async function ping(port: number, deadline: number): Promise<void> {
  for (;;) {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
      if (stdout.trim() === 'PONG') return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Starts `redis-server --port N --save '' --appendonly no` in a temp folder; `extra` are more arguments. */
export async function startRedis(extra: string[] = []): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sentiero-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
    await ping(port, Date.now() + 10_000);
  };
  await launch();
  const stop = async (hard = false) => {
    if (!child) return;
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited(child);
    child = undefined;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    restart: launch,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A three-node Redis Cluster (masters only) on free local ports. */
export interface RedisCluster {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** Starts three cluster-enabled servers and joins them with `redis-cli --cluster create … --cluster-yes`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < 3; i++) servers.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '5000']));
  const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
  for (const s of servers) {
    for (const deadline = Date.now() + 20_000; ;) {
      const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error('the cluster did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    async stop() {
      await Promise.all(servers.map((s) => s.dispose()));
    },
  };
}
