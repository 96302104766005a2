/** The disk quota's default: the store's size at start plus a fraction of the free space of its file system (fs.statfs). */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { Store } from '@sentiero/storage';

/** The share of the free space (at start) the store may grow into when `maxDiskBytes` is not given. */
export const DEFAULT_FREE_SPACE_FRACTION = 0.5;

/**
 * `maxDiskBytes` when not given: what the store takes now plus half the space free on its file
 * system at start (measured with `fs.statfs` on its folder), never unbounded; for a store with
 * no folder (`MemoryStore`), a quarter of the machine's memory.
 */
export async function defaultMaxDiskBytes(store: Store): Promise<number> {
  const location = (store as { location?: unknown }).location;
  if (typeof location !== 'string') return Math.floor(os.totalmem() / 4);
  const [fs, size] = await Promise.all([statfs(location), store.diskSize()]);
  return size + Math.floor(fs.bavail * fs.bsize * DEFAULT_FREE_SPACE_FRACTION);
}
