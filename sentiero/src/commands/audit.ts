/**
 * `sentiero audit`: the audit log, newest first, through the REST API's `GET <base>/api/audit`
 * (an admin token); `sentiero audit verify`: checks the hash chain in the data folder itself
 * and names every entry edited, removed or replaced.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, SentieroError } from '@sentiero/protocol';
import { LevelStore } from '@sentiero/relay';
import { CliError, ExitCode } from '../exit.ts';
import { printJson, printTable } from '../output.ts';
import { type Io, type SourceOptions, dataMissing, storeOpenError, withSource } from '../source.ts';

/** Options of `audit`. */
export interface AuditOptions extends SourceOptions {
  limit: number;
  json?: boolean;
}

/** Options of `audit verify`. */
export interface AuditVerifyOptions {
  data: string;
  json?: boolean;
}

interface Entry {
  at: number;
  action: string;
  target: string;
  token: string;
  address: string;
}

/** Runs `audit`. */
export async function auditCommand(o: AuditOptions, io: Io): Promise<void> {
  const entries: Entry[] = [];
  await withSource(o, io, async ({ baseUrl, token }) => {
    let before: string | undefined;
    while (entries.length < o.limit) {
      const q = new URLSearchParams({ limit: String(Math.min(1000, o.limit - entries.length)) });
      if (before) q.set('before', before);
      const res = await fetch(`${baseUrl}/api/audit?${q}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { entries: Entry[]; next?: string; code?: ErrorCode; message?: string };
      if (!res.ok) throw new SentieroError(body.code ?? ErrorCode.INTERNAL, body.message ?? `${res.status}`, { status: res.status });
      entries.push(...body.entries);
      before = body.next;
      if (!before) break;
    }
  });
  if (o.json) return printJson(io, { entries });
  printTable(io, ['WHEN', 'ACTION', 'TARGET', 'TOKEN', 'ADDRESS'], entries.map((e) => [new Date(e.at).toISOString(), e.action, e.target, e.token, e.address]));
}

/** Runs `audit verify`: exit 0 when the chain is whole, `CHECK_FAILED` (7) naming each problem otherwise. */
export async function auditVerifyCommand(o: AuditVerifyOptions, io: Io): Promise<void> {
  const dataDir = path.resolve(o.data);
  if (!existsSync(dataDir)) throw dataMissing(dataDir);
  const store = new LevelStore({ location: dataDir });
  try {
    await store.open();
  } catch (err) {
    throw storeOpenError(err, dataDir);
  }
  let verdict;
  try {
    verdict = await store.verifyAudit();
  } finally {
    await store.close();
  }
  if (o.json) printJson(io, verdict);
  else if (verdict.ok) io.stdout.write(`the audit log is whole: ${verdict.entries} entries\n`);
  else for (const p of verdict.problems) io.stdout.write(`${p.reason}\n`);
  if (!verdict.ok) {
    throw new CliError('SENTIERO_CLI_AUDIT_BROKEN', ExitCode.CHECK_FAILED, `the audit log was changed: ${verdict.problems.length} problem(s), first: ${verdict.problems[0]!.reason}`, { printed: Boolean(o.json) });
  }
}
