/**
 * `sentiero import <file>`: an rrweb recording (a JSON array of events) becomes a session, sent
 * in batches through the relay's HTTP ingest (`POST <base>/ingest`), as a recorder would.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RECORDER_CONFIG, EventType, type IngestPost, type RecordedEvent, createId, isValidId } from '@sentiero/protocol';
import { CliError, ExitCode } from '../exit.ts';
import { printJson, progress } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';

/** Options of `import`. */
export interface ImportOptions extends SourceOptions {
  /** The session id to import into; default a new one. */
  session?: string;
  json?: boolean;
}

/** What `import` reports. */
export interface ImportResult {
  sessionId: string;
  events: number;
  batches: number;
}

/** The relay started for an import takes batches as fast as they come, and events up to 64 MiB. */
const IMPORT_LIMITS = { maxMessagesPerSecond: 1_000_000, maxPayloadBytes: 64 * 1024 * 1024 };

function invalid(file: string, why: string): CliError {
  return new CliError('SENTIERO_CLI_INVALID_RECORDING', ExitCode.INVALID_INPUT, `${file} is not an rrweb recording: ${why}`);
}

/** Reads the recording: a JSON array of events with a numeric `type` and `timestamp`, in time order. */
async function readRecording(file: string): Promise<RecordedEvent[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, `no file ${file}`);
    throw invalid(file, (err as Error).message);
  }
  if (!Array.isArray(value) || value.length === 0) throw invalid(file, 'expected a non-empty JSON array of events');
  return (value as RecordedEvent[]).slice().sort((a, b) => a.timestamp - b.timestamp);
}

/** Cuts the events into batches of the recorder's default size (events and bytes). */
function toBatches(events: RecordedEvent[]): RecordedEvent[][] {
  const out: RecordedEvent[][] = [];
  let batch: RecordedEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = JSON.stringify(e).length;
    if (batch.length && (batch.length >= DEFAULT_RECORDER_CONFIG.maxEventsPerBatch || bytes + size > DEFAULT_RECORDER_CONFIG.maxBatchBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}

/** Imports the recording in `file`. */
export async function importRecording(file: string, o: ImportOptions, io: Io): Promise<ImportResult> {
  if (o.session !== undefined && !isValidId(o.session)) throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, `--session ${o.session} is not a valid session id`);
  const events = await readRecording(file);
  if (events.some((e) => typeof e !== 'object' || e === null || typeof e.type !== 'number' || typeof e.timestamp !== 'number')) {
    throw invalid(file, 'every event needs a numeric "type" and "timestamp"');
  }
  const batches = toBatches(events);
  const startedAt = events[0]!.timestamp;
  const href = events.find((e) => e.type === EventType.Meta)?.data as { href?: unknown } | undefined;
  const meta = { url: typeof href?.href === 'string' ? href.href : '', userAgent: `sentiero import (${path.basename(file)})`, startedAt };
  const sessionId = o.session ?? createId(startedAt);
  const windowId = createId(startedAt);
  return withSource({ ...o, create: true, limits: IMPORT_LIMITS }, io, async ({ baseUrl }) => {
    const bar = progress(io, 'importing', batches.length, Boolean(o.json));
    for (const [i, batch] of batches.entries()) {
      const res = await fetch(`${baseUrl}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sessionId, windowId, seq: i + 1, events: batch, meta } satisfies IngestPost),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
        bar.finish();
        throw invalid(file, `batch ${i + 1} of ${batches.length} was refused: ${body.message ?? res.status} [${body.code ?? res.status}]`);
      }
      bar.update(i + 1);
    }
    bar.finish();
    return { sessionId, events: events.length, batches: batches.length };
  });
}

/** Runs `import`. */
export async function importCommand(file: string, o: ImportOptions, io: Io): Promise<void> {
  const r = await importRecording(file, o, io);
  if (o.json) printJson(io, r);
  else io.stdout.write(`imported ${r.events} events in ${r.batches} batches as session ${r.sessionId}\n`);
}
