/** The `sentiero` command: every command on a real LevelDB folder, bad arguments, a missing folder, and a folder held by a running relay. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LevelStore } from '@sentiero/storage';
import { Level } from 'level';
import { ExitCode } from '../src/exit.ts';
import { main } from '../src/program.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE_PATH = fileURLToPath(new URL('../../../shared/fixtures/acme-crm-45s.rrweb.json', import.meta.url));

/** Runs the tool in this process (stderr a terminal or not); resolves to its exit code and what it wrote. */
async function cliOn(tty: boolean, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: tty } });
  return { code, out, err };
}

/** Runs the tool in this process, as a script would (no terminal). */
function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliOn(false, argv);
}

describe('sentiero CLI', function () {
  this.timeout(60_000);
  let tmp: string;
  let data: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'sentiero-cli-'));
    data = path.join(tmp, 'data');
  });
  afterEach(() => rm(tmp, { recursive: true, force: true }));

  it('prints help for the tool and every command', async () => {
    for (const cmd of [[], ['serve'], ['import'], ['sessions'], ['erase'], ['prune'], ['export'], ['stats'], ['doctor'], ['audit'], ['audit', 'verify']]) {
      const r = await cli(...cmd, '--help');
      assert.equal(r.code, ExitCode.OK, cmd.join(' '));
      assert.match(r.out, /^Usage: sentiero/, cmd.join(' '));
    }
    assert.match((await cli('sessions', '--help')).out, /--since <when>[\s\S]*--url <text>[\s\S]*--live[\s\S]*--limit <n>/);
    assert.match((await cli('serve', '--help')).out, /env: SENTIERO_DATA/);
  });

  it('refuses bad arguments with exit code 2', async () => {
    for (const argv of [['nonsense'], ['sessions', '--bogus'], ['sessions', '--limit', '0'], ['sessions', '--since', 'a while'], ['import'],
      ['serve', '--port', '70000'], ['sessions', '--live', '--data', data], ['sessions', '--relay', 'http://127.0.0.1:9/sentiero']]) {
      const r = await cli(...argv);
      assert.equal(r.code, ExitCode.USAGE, `${argv.join(' ')}: ${r.err}`);
    }
    assert.equal((await cli('import', path.join(tmp, 'nope.json'), '--data', data)).code, ExitCode.USAGE);
    const shortToken = await cli('serve', '--port', '0', '--token', 'short', '--data', data);
    assert.equal(shortToken.code, ExitCode.USAGE);
    assert.match(shortToken.err, /"token" option must be a string of at least 16 characters.*\[SENTIERO_CLI_USAGE\]/);
  });

  it('says the data folder is missing (exit 3) rather than creating it', async () => {
    for (const argv of [['sessions'], ['stats'], ['erase', 'abc']]) {
      const r = await cli(...argv, '--data', data);
      assert.equal(r.code, ExitCode.DATA_MISSING, argv.join(' '));
      assert.match(r.err, /no data folder at .*\[SENTIERO_CLI_DATA_MISSING\]/);
    }
    const json = await cli('sessions', '--data', data, '--json');
    assert.deepEqual(JSON.parse(json.out).error.code, 'SENTIERO_CLI_DATA_MISSING');
  });

  it('prunes by retention and erases by user and by time range, printing what went', async () => {
    const store = new LevelStore({ location: data });
    await store.open();
    const now = Date.now();
    const ev = (timestamp: number) => [{ type: 3, timestamp, data: { source: 2 } }];
    await store.append({ sessionId: 'sess-stale', windowId: 'w', seq: 1, events: ev(now), receivedAt: now - 40 * 86_400_000 });
    await store.append({ sessionId: 'sess-u1', windowId: 'w', seq: 1, events: ev(now), receivedAt: now, digest: { userIds: ['u1'] } });
    await store.append({ sessionId: 'sess-2021', windowId: 'w', seq: 1, events: ev(Date.parse('2021-06-01')), receivedAt: now });
    await store.append({ sessionId: 'sess-kept', windowId: 'w', seq: 1, events: ev(now), receivedAt: now });
    await store.close();

    const pruned = await cli('prune', '--data', data, '--json');
    assert.equal(pruned.code, ExitCode.OK, pruned.err);
    const report = JSON.parse(pruned.out);
    assert.deepEqual(report.retention.sessionIds, ['sess-stale']);
    assert.equal(report.retentionDays, 30);
    assert.ok(report.maxDiskBytes > report.diskBytesAfter);
    assert.match((await cli('prune', '--data', data, '--retention-days', '3650')).out, /^retention \(3650 days\): erased 0 sessions[\s\S]*on disk: /);

    const byUser = await cli('erase', '--user', 'u1', '--data', data);
    assert.equal(byUser.code, ExitCode.OK, byUser.err);
    assert.match(byUser.out, /^erased 1 session \(1 batches, 1 events\), 0 error occurrences, 0 error groups scrubbed\n$/);
    const byRange = JSON.parse((await cli('erase', '--from', '2021-01-01', '--to', '2021-12-31', '--data', data, '--json')).out);
    assert.deepEqual(byRange.sessionIds, ['sess-2021']);
    assert.deepEqual(JSON.parse((await cli('sessions', '--data', data, '--json')).out).map((x: { id: string }) => x.id), ['sess-kept']);
    for (const argv of [['erase'], ['erase', 'sess-kept', '--user', 'u1'], ['erase', 'a', '--session', 'b'], ['erase', '--from', '1d'], ['erase', '--from', '1d', '--to', '2d'], ['prune', '--retention-days', '0']]) {
      assert.equal((await cli(...argv, '--data', data)).code, ExitCode.USAGE, argv.join(' '));
    }
  });

  it('imports an rrweb recording, lists, filters, counts and erases it', async () => {
    const imported = await cli('import', FIXTURE_PATH, '--data', data, '--json');
    assert.equal(imported.code, ExitCode.OK, imported.err);
    const { sessionId, events, batches } = JSON.parse(imported.out);
    assert.ok(events > 100 && batches >= 1);

    const listed = JSON.parse((await cli('sessions', '--data', data, '--json')).out);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, sessionId);
    assert.equal(listed[0].eventCount, events);
    assert.match(listed[0].pages[0], /page\.html/);
    assert.equal(JSON.parse((await cli('sessions', '--data', data, '--json', '--url', 'page.html')).out).length, 1);
    assert.equal(JSON.parse((await cli('sessions', '--data', data, '--json', '--url', 'checkout')).out).length, 0);
    assert.equal(JSON.parse((await cli('sessions', '--data', data, '--json', '--since', '1h')).out).length, 0, 'the recording is older than an hour');
    assert.match((await cli('sessions', '--data', data)).out, new RegExp(`^ID +STARTED[^\\n]*\\n${sessionId} `));

    const stats = JSON.parse((await cli('stats', '--data', data, '--json')).out);
    assert.equal(stats.sessions, 1);
    assert.equal(stats.events, events);
    assert.ok(stats.bytesOnDisk > 0);
    assert.equal(stats.days.length, 1);
    assert.equal(stats.days[0].events, events);

    assert.equal((await cli('erase', sessionId, '--data', data)).code, ExitCode.OK);
    const again = await cli('erase', sessionId, '--data', data);
    assert.equal(again.code, ExitCode.NOT_FOUND);
    assert.match(again.err, /\[SENTIERO_NOT_FOUND\]/);
    assert.deepEqual(JSON.parse((await cli('sessions', '--data', data, '--json')).out), []);
  });

  it('exports a session as one HTML file, from the data folder, to a file or stdout', async () => {
    const { sessionId } = JSON.parse((await cli('import', FIXTURE_PATH, '--data', data, '--json')).out);
    const file = path.join(tmp, 'replay.html');
    const saved = await cli('export', sessionId, '--data', data, '-o', file, '--json');
    assert.equal(saved.code, ExitCode.OK, saved.err);
    const report = JSON.parse(saved.out);
    const html = await readFile(file, 'utf8');
    assert.deepEqual(report, { exported: sessionId, file, bytes: Buffer.byteLength(html) });
    assert.match(html, /^<!doctype html>[\s\S]*<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[\s\S]*id="sentiero-events">[A-Za-z0-9+/=]+<\/script>[\s\S]*<\/html>\n$/);
    const printed = await cli('export', sessionId, '--data', data, '-o', '-');
    assert.equal(printed.code, ExitCode.OK, printed.err);
    assert.equal(printed.out.length, html.length, 'the same file on stdout (only its export time differs)');
    const missing = await cli('export', 'no-such-session-0001', '--data', data, '-o', path.join(tmp, 'missing.html'));
    assert.equal(missing.code, ExitCode.NOT_FOUND);
    assert.match(missing.err, /\[SENTIERO_NOT_FOUND\]/);
    assert.deepEqual((await readdir(tmp)).sort(), ['data', 'replay.html'], 'no partial file is left behind');
  });

  it('shows a progress bar on a terminal, and none for --json', async () => {
    const shown = await cliOn(true, ['import', FIXTURE_PATH, '--data', data]);
    assert.equal(shown.code, ExitCode.OK, shown.err);
    assert.match(shown.err, /^\rimporting \[-{30}\] 0% 0\/\d+[\s\S]*\rimporting \[#{30}\] 100% (\d+)\/\1\n$/);
    assert.match(shown.out, /^imported \d+ events in \d+ batches as session \S+\n$/);
    const quiet = await cliOn(true, ['import', FIXTURE_PATH, '--data', data, '--json']);
    assert.equal(quiet.err, '');
  });

  it('refuses a file that is not an rrweb recording (exit 6)', async () => {
    for (const content of ['{"not":"an array"}', 'not json', '[{"type":"x"}]']) {
      const file = path.join(tmp, 'bad.json');
      await writeFile(file, content);
      const r = await cli('import', file, '--data', data);
      assert.equal(r.code, ExitCode.INVALID_INPUT, `${content}: ${r.err}`);
      assert.match(r.err, /\[SENTIERO_CLI_INVALID_RECORDING\]/);
    }
  });

  it('reports a data folder held by another store as locked (exit 4), without a stack', async () => {
    const store = new LevelStore({ location: data });
    await store.open();
    try {
      for (const argv of [['sessions'], ['stats'], ['import', FIXTURE_PATH]]) {
        const r = await cli(...argv, '--data', data);
        assert.equal(r.code, ExitCode.STORE_LOCKED, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, /^sentiero: the data folder .* is in use by a running relay.*\[SENTIERO_CLI_STORE_LOCKED\]\n$/);
      }
      const doctor = JSON.parse((await cli('doctor', '--data', data, '--port', '0', '--json')).out);
      assert.equal(doctor.ok, false);
      assert.equal(doctor.checks.find((c: { name: string }) => c.name === 'store').ok, false);
    } finally {
      await store.close();
    }
  });

  it('doctor passes on a good setup and fails (exit 7) on a taken port', async () => {
    const ok = await cli('doctor', '--data', data, '--port', '0', '--json');
    assert.equal(ok.code, ExitCode.OK, ok.out);
    assert.deepEqual(JSON.parse(ok.out).checks.map((c: { name: string }) => c.name), ['node', 'data folder', 'port', 'store']);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as { port: number }).port);
      const r = await cli('doctor', '--data', data, '--port', port);
      assert.equal(r.code, ExitCode.CHECK_FAILED);
      assert.match(r.out, /FAIL +port +127\.0\.0\.1:\d+ is in use by another program/);
      const serve = await cli('serve', '--port', port, '--data', data);
      assert.equal(serve.code, ExitCode.PORT_IN_USE);
      assert.match(serve.err, /port \d+ of 127\.0\.0\.1 is in use \[SENTIERO_CLI_PORT_IN_USE\]/);
    } finally {
      taken.close();
    }
  });

  it('audit lists what the commands read and erased; audit verify passes a whole log and names an entry edited on disk', async () => {
    assert.equal((await cli('import', FIXTURE_PATH, '--data', data, '--session', 'cli-audit')).code, ExitCode.OK);
    assert.equal((await cli('sessions', '--data', data)).code, ExitCode.OK);
    assert.equal((await cli('erase', 'cli-audit', '--data', data)).code, ExitCode.OK);
    const listed = await cli('audit', '--data', data, '--json');
    assert.equal(listed.code, ExitCode.OK, listed.err);
    const actions = (JSON.parse(listed.out) as { entries: { action: string; target: string; token: string }[] }).entries.map((e) => `${e.action} ${e.target}`);
    assert.deepEqual(actions.filter((a) => !a.startsWith('token.use')).slice(0, 3), ['audit.read *', 'erase cli-audit', 'session.list *']);
    const whole = await cli('audit', 'verify', '--data', data);
    assert.equal(whole.code, ExitCode.OK, whole.err);
    assert.match(whole.out, /the audit log is whole: \d+ entries/);

    // An entry changed behind the relay's back, in LevelDB itself.
    const db = new Level<string, string>(data, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const audit = db.sublevel<string, string>('audit', { valueEncoding: 'utf8' });
    let edited = 0;
    for await (const [k, v] of audit.iterator()) {
      const e = JSON.parse(v) as { seq: number; action: string };
      if (e.action === 'erase') {
        edited = e.seq;
        await audit.put(k, JSON.stringify({ ...e, action: 'session.list' }));
      }
    }
    await db.close();
    assert.ok(edited > 0);
    const broken = await cli('audit', 'verify', '--data', data);
    assert.equal(broken.code, ExitCode.CHECK_FAILED);
    assert.match(broken.out, new RegExp(`entry ${edited} was edited`));
    assert.match(broken.err, /SENTIERO_CLI_AUDIT_BROKEN/);
    const json = JSON.parse((await cli('audit', 'verify', '--data', data, '--json')).out) as { ok: boolean; problems: { seq: number }[] };
    assert.deepEqual([json.ok, json.problems.map((p) => p.seq)], [false, [edited]]);
  });

  describe('serve (the real command, in its own process)', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child?.exitCode === null) child.kill('SIGKILL');
    });

    it('serves the relay and the dashboard, holds the folder, answers --relay, and stops cleanly on SIGTERM', async () => {
      child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(here, '..', 'src', 'cli.ts'),
        'serve', '--port', '0', '--json', '--allowed-origins', 'https://app.example', '--base', '/rec'],
      { env: { ...process.env, SENTIERO_DATA: data, SENTIERO_TOKEN: 'a-viewer-token-of-24-chars' }, stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child!.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
        });
        child!.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const info = JSON.parse(line);
      assert.equal(info.token, 'a-viewer-token-of-24-chars');
      assert.equal(info.dataDir, data);
      assert.equal((await fetch(`${info.url}health`)).status, 200);
      assert.equal((await fetch(info.recorder)).status, 200);
      assert.equal((await fetch(info.url)).status, 200);

      const locked = await cli('sessions', '--data', data);
      assert.equal(locked.code, ExitCode.STORE_LOCKED, locked.err);
      const remote = await cli('sessions', '--relay', info.url, '--token', info.token, '--live', '--json');
      assert.equal(remote.code, ExitCode.OK, remote.err);
      assert.deepEqual(JSON.parse(remote.out), []);
      const wrong = await cli('sessions', '--relay', info.url, '--token', 'wrong-token-wrong-token');
      assert.equal(wrong.code, ExitCode.FAILURE);
      assert.match(wrong.err, /\[SENTIERO_UNAUTHORIZED\]/);
      const exported = await cli('export', 'no-such-session-0001', '--relay', info.url, '--token', info.token, '-o', path.join(tmp, 'remote.html'));
      assert.equal(exported.code, ExitCode.NOT_FOUND, exported.err);
      const doctor = await cli('doctor', '--data', data, '--port', String(info.port), '--base', '/rec');
      assert.match(doctor.out, /in use by a Sentiero relay/);

      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child!.once('exit', resolve));
      assert.equal(code, 0);
    });
  });
});
