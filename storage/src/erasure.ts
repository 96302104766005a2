/**
 * What every backend shares for erasure: which occurrences an erasure removes, and the size
 * of a folder on disk (the quota's figure for file-based backends).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorOccurrence } from '@sentiero/protocol';
import type { OccurrenceFilter } from './types.ts';

/** Whether an erasure with `filter` removes the occurrence: it happened in the session, was received before the time, or its user's id, e-mail or username is the user's. */
export function occurrenceMatches(occ: ErrorOccurrence, filter: OccurrenceFilter): boolean {
  if ('sessionId' in filter) return occ.sessionId === filter.sessionId;
  if ('receivedBefore' in filter) return occ.receivedAt < filter.receivedBefore;
  const u = occ.user;
  return u !== undefined && (u.id === filter.userId || u.email === filter.userId || u.username === filter.userId);
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
