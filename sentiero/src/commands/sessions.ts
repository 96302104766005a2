/** `sentiero sessions`: the sessions, newest first, through the REST API's list (`GET <base>/api/sessions`). */
import type { SessionFilters, SessionSummary } from '@sentiero/protocol';
import { CliError, ExitCode } from '../exit.ts';
import { printJson, printTable } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';

/** Options of `sessions`. */
export interface SessionsOptions extends SourceOptions {
  since?: number;
  url?: string;
  live?: boolean;
  errors?: boolean;
  limit: number;
  json?: boolean;
}

/** The API's page size ceiling: longer lists are read page by page. */
const PAGE = 500;

/** Lists sessions with the API's filters, following `next` until `limit` are read. */
export async function listSessions(o: SessionsOptions, io: Io): Promise<SessionSummary[]> {
  if (o.live && o.relay === undefined) {
    throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, '--live needs a running relay (--relay <url>): only the relay knows which sessions are being recorded');
  }
  return withSource(o, io, async ({ client }) => {
    const out: SessionSummary[] = [];
    const filters: SessionFilters = {};
    if (o.since !== undefined) filters.from = o.since;
    if (o.url) filters.url = o.url;
    if (o.live) filters.live = true;
    if (o.errors !== undefined) filters.hasErrors = o.errors;
    let cursor: string | undefined;
    do {
      const page = await client.listSessions({ ...filters, limit: Math.min(PAGE, o.limit - out.length), ...(cursor ? { cursor } : {}) });
      out.push(...page.sessions);
      cursor = page.next;
    } while (cursor && out.length < o.limit);
    return out.slice(0, o.limit);
  });
}

/** Runs `sessions`. */
export async function sessionsCommand(o: SessionsOptions, io: Io): Promise<void> {
  const sessions = await listSessions(o, io);
  if (o.json) return printJson(io, sessions);
  if (!sessions.length) {
    io.stdout.write('no sessions\n');
    return;
  }
  printTable(io, ['ID', 'STARTED', 'DURATION', 'EVENTS', 'ERRORS', 'LIVE', 'URL'], sessions.map((s) => [
    s.id, new Date(s.startedAt).toISOString().replace(/\.\d+Z$/, 'Z'), `${Math.round((s.lastEventAt - s.startedAt) / 1000)}s`,
    String(s.eventCount), String(s.errorCount), s.live ? 'live' : '', s.pages[0] ?? s.url,
  ]));
}
