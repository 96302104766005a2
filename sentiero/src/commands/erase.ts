/**
 * `sentiero erase`: erases a session (`<session>` or `--session`), every session and error
 * report of a user (`--user`), or the sessions active in a time range (`--from`, `--to`),
 * through the REST API's `POST <base>/api/erase`, and prints what went.
 */
import { ErrorCode, type EraseRequest, type ErasureReport, isValidId } from '@sentiero/protocol';
import { CliError, ExitCode } from '../exit.ts';
import { printJson } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';

/** Options of `erase`. */
export interface EraseOptions extends SourceOptions {
  session?: string;
  user?: string;
  /** ms since epoch (parsed by the program). */
  from?: number;
  to?: number;
  json?: boolean;
}

/** The one erasure the arguments ask for; anything else is `SENTIERO_CLI_USAGE`. */
export function eraseRequestOf(id: string | undefined, o: EraseOptions): EraseRequest {
  const session = id ?? o.session;
  const range = o.from !== undefined || o.to !== undefined;
  const asked = [session !== undefined, o.user !== undefined, range].filter(Boolean).length;
  if (asked !== 1 || (id !== undefined && o.session !== undefined)) {
    throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, 'say what to erase: a session (<session> or --session <id>), --user <id>, or --from <when> --to <when>');
  }
  if (session !== undefined) return { sessionId: session };
  if (o.user !== undefined) return { userId: o.user };
  if (o.from === undefined || o.to === undefined || o.from > o.to) {
    throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, '--from and --to go together, --from first');
  }
  return { from: o.from, to: o.to };
}

/** One line for people: what an erasure removed. */
export function describeErasure(r: ErasureReport): string {
  return `${r.sessions} session${r.sessions === 1 ? '' : 's'} (${r.batches} batches, ${r.events} events), ` +
    `${r.errorOccurrences} error occurrence${r.errorOccurrences === 1 ? '' : 's'}, ${r.groupsScrubbed} error group${r.groupsScrubbed === 1 ? '' : 's'} scrubbed`;
}

/** Runs `erase`. */
export async function eraseCommand(id: string | undefined, o: EraseOptions, io: Io): Promise<void> {
  const request = eraseRequestOf(id, o);
  const notFound = 'sessionId' in request ? new CliError(ErrorCode.NOT_FOUND, ExitCode.NOT_FOUND, `no session ${request.sessionId}`) : undefined;
  if (notFound && !isValidId((request as { sessionId: string }).sessionId)) throw notFound;
  const report = await withSource(o, io, ({ client }) => client.erase(request));
  if (notFound && report.sessions === 0) throw notFound;
  if (o.json) printJson(io, notFound ? { erased: (request as { sessionId: string }).sessionId, ...report } : report);
  else io.stdout.write(`erased ${describeErasure(report)}\n`);
}
