/** `sentiero stats`: sessions, events and bytes on disk, in all and per day (UTC, by start), from the REST API's list. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, printJson, printTable } from '../output.ts';
import { type Io, type SourceOptions } from '../source.ts';
import { listSessions } from './sessions.ts';

/** Options of `stats`. */
export interface StatsOptions extends SourceOptions {
  json?: boolean;
}

/** What `stats` reports. */
export interface Stats {
  sessions: number;
  events: number;
  /** Bytes the data folder takes on disk; undefined when the source is a running relay. */
  bytesOnDisk: number | undefined;
  days: Array<{ day: string; sessions: number; events: number }>;
}

/** The total size of the files under `dir`. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(full) : (await stat(full)).size;
  }
  return total;
}

/** Counts every session of the source. */
export async function collectStats(o: StatsOptions, io: Io): Promise<Stats> {
  const sessions = await listSessions({ ...o, limit: Number.MAX_SAFE_INTEGER }, io);
  const days = new Map<string, { day: string; sessions: number; events: number }>();
  let events = 0;
  for (const s of sessions) {
    events += s.eventCount;
    const day = new Date(s.startedAt).toISOString().slice(0, 10);
    const d = days.get(day) ?? { day, sessions: 0, events: 0 };
    d.sessions++;
    d.events += s.eventCount;
    days.set(day, d);
  }
  const bytesOnDisk = o.relay === undefined ? await folderBytes(path.resolve(o.data)) : undefined;
  return { sessions: sessions.length, events, bytesOnDisk, days: [...days.values()].sort((a, b) => b.day.localeCompare(a.day)) };
}

/** Runs `stats`. */
export async function statsCommand(o: StatsOptions, io: Io): Promise<void> {
  const s = await collectStats(o, io);
  if (o.json) return printJson(io, s);
  const disk = s.bytesOnDisk === undefined ? '' : `, ${formatBytes(s.bytesOnDisk)} on disk`;
  io.stdout.write(`${s.sessions} sessions, ${s.events} events${disk}\n`);
  if (s.days.length) printTable(io, ['DAY', 'SESSIONS', 'EVENTS'], s.days.map((d) => [d.day, String(d.sessions), String(d.events)]));
}
