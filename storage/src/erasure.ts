/**
 * What every backend shares for erasure: which occurrences an erasure removes, and the size
 * of a folder on disk (the quota's figure for file-based backends).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorOccurrence } from '@sentiero/protocol';
import type { OccurrenceErasure, OccurrenceFilter } from './types.ts';

/** Whether an erasure with `filter` removes the occurrence: it happened in the session, was received before the time, or its user's id, e-mail or username is the user's. */
export function occurrenceMatches(occ: ErrorOccurrence, filter: OccurrenceFilter): boolean {
  if ('sessionId' in filter) return occ.sessionId === filter.sessionId;
  if ('receivedBefore' in filter) return occ.receivedAt < filter.receivedBefore;
  const u = occ.user;
  return u !== undefined && (u.id === filter.userId || u.email === filter.userId || u.username === filter.userId);
}

/** Runs `remove` on each group in turn (it removes the group's matching occurrences and says how many) and tallies what went. */
export async function eraseFromGroups(groupIds: Iterable<string>, remove: (groupId: string) => Promise<number>): Promise<OccurrenceErasure> {
  const groups: string[] = [];
  let occurrences = 0;
  for (const groupId of groupIds) {
    const removed = await remove(groupId);
    if (removed === 0) continue;
    occurrences += removed;
    groups.push(groupId);
  }
  return { occurrences, groups };
}

/** The total size of the files under `dir` (0 for a folder that is gone). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else total += await stat(full).then((s) => s.size, () => 0);
  }
  return total;
}
