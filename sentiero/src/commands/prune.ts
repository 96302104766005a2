/** `sentiero prune`: applies retention and the disk quota now, through the REST API's `POST <base>/api/prune`, and prints what went. */
import { formatBytes, printJson } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';
import { describeErasure } from './erase.ts';

/** Options of `prune`. */
export interface PruneOptions extends SourceOptions {
  json?: boolean;
}

/** Runs `prune`. */
export async function pruneCommand(o: PruneOptions, io: Io): Promise<void> {
  const r = await withSource(o, io, ({ client }) => client.prune());
  if (o.json) return printJson(io, r);
  io.stdout.write(`retention (${r.retentionDays} days): erased ${describeErasure(r.retention)}\n`);
  io.stdout.write(`disk quota (${formatBytes(r.maxDiskBytes)}): erased ${describeErasure(r.quota)}\n`);
  io.stdout.write(`audit log (${r.auditRetentionDays} days): removed ${r.auditEntries} entries\n`);
  io.stdout.write(`on disk: ${formatBytes(r.diskBytesBefore)} before, ${formatBytes(r.diskBytesAfter)} after\n`);
}
