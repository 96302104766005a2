/**
 * The audit chain on disk: an entry edited, removed or replaced in LevelDB behind the store's
 * back is found by `verifyAudit`, which names it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelStore, auditHash } from '@sentiero/storage';
import { Level } from 'level';
import { auditKey } from '../src/audit-record.ts';

let root = '';
let n = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sentiero-audit-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A closed LevelDB folder holding a chain of `count` entries. */
async function chain(count: number): Promise<string> {
  const location = path.join(root, `db-${n++}`);
  const store = new LevelStore({ location });
  await store.open();
  for (let i = 1; i <= count; i++) await store.appendAudit({ at: 1_000 + i, action: 'session.read', target: `s${i}`, token: 'ci', address: '127.0.0.1' });
  await store.close();
  return location;
}

/** The raw audit sublevel of a folder. */
type RawAudit = ReturnType<typeof rawAudit>;
const rawAudit = (db: Level<string, string>) => db.sublevel<string, string>('audit', { valueEncoding: 'utf8' });

/** Changes the raw audit sublevel of a closed folder. */
async function tamper(location: string, fn: (audit: RawAudit) => Promise<void>): Promise<void> {
  const db = new Level<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  try {
    await fn(rawAudit(db));
  } finally {
    await db.close();
  }
}

async function verify(location: string) {
  const store = new LevelStore({ location });
  await store.open();
  try {
    return await store.verifyAudit();
  } finally {
    await store.close();
  }
}

describe('LevelStore audit chain verification', () => {
  it('passes an untouched chain', async () => {
    assert.deepEqual(await verify(await chain(5)), { ok: true, entries: 5, problems: [] });
  });

  it('names an entry whose content was edited', async () => {
    const location = await chain(5);
    await tamper(location, async (audit) => {
      const e = JSON.parse((await audit.get(auditKey(3)))!) as Record<string, unknown>;
      await audit.put(auditKey(3), JSON.stringify({ ...e, action: 'nothing' }));
    });
    const verdict = await verify(location);
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.problems.map((p) => p.seq), [3]);
    assert.match(verdict.problems[0]!.reason, /entry 3 was edited/);
  });

  it('names an entry edited with its hash recomputed (the next entry no longer follows it)', async () => {
    const location = await chain(5);
    await tamper(location, async (audit) => {
      const e = JSON.parse((await audit.get(auditKey(2)))!) as Parameters<typeof auditHash>[0];
      const edited = { ...e, target: 'someone-else' };
      await audit.put(auditKey(2), JSON.stringify({ ...edited, hash: auditHash(edited) }));
    });
    const verdict = await verify(location);
    assert.deepEqual(verdict.problems.map((p) => p.seq), [2]);
    assert.match(verdict.problems[0]!.reason, /entry 2 was replaced/);
  });

  it('names removed entries: in the middle, the newest, the first', async () => {
    const middle = await chain(5);
    await tamper(middle, (audit) => audit.del(auditKey(3)));
    assert.deepEqual((await verify(middle)).problems, [{ seq: 3, reason: 'entry 3 was removed' }]);

    const newest = await chain(5);
    await tamper(newest, async (audit) => { await audit.del(auditKey(5)); await audit.del(auditKey(4)); });
    assert.deepEqual((await verify(newest)).problems, [{ seq: 4, reason: 'entries 4 to 5 were removed' }]);

    const first = await chain(3);
    await tamper(first, (audit) => audit.del(auditKey(1)));
    assert.deepEqual((await verify(first)).problems, [{ seq: 1, reason: 'entry 1 was removed' }]);
  });

  it('after retention, names the oldest entry kept when it is removed or replaced behind the store\'s back', async () => {
    const location = await chain(6);
    const store = new LevelStore({ location });
    await store.open();
    assert.equal(await store.pruneAudit(1_000 + 3), 2, 'entries 1 and 2 were written before 1003');
    await store.close();
    assert.deepEqual(await verify(location), { ok: true, entries: 4, problems: [] });
    await tamper(location, (audit) => audit.del(auditKey(3)));
    assert.deepEqual((await verify(location)).problems, [{ seq: 3, reason: 'entry 3 was removed' }]);

    const replaced = await chain(4);
    const again = new LevelStore({ location: replaced });
    await again.open();
    await again.pruneAudit(1_000 + 2);
    await again.close();
    await tamper(replaced, async (audit) => {
      const e = JSON.parse((await audit.get(auditKey(2)))!) as Parameters<typeof auditHash>[0];
      const forged = { ...e, prev: '1'.repeat(64) };
      await audit.put(auditKey(2), JSON.stringify({ ...forged, hash: auditHash(forged) }));
    });
    const verdict = await verify(replaced);
    assert.equal(verdict.ok, false);
    assert.ok(verdict.problems.some((p) => p.seq === 2), JSON.stringify(verdict.problems));
  });

  it('reports an entry that cannot be decoded', async () => {
    const location = await chain(2);
    await tamper(location, (audit) => audit.put(auditKey(2), '{not json'));
    const verdict = await verify(location);
    assert.equal(verdict.ok, false);
    assert.match(verdict.problems[0]!.reason, /audit entry 2 cannot be decoded/);
  });
});
