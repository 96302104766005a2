/** The `sentiero` command line: commander parses, the commands run, errors become a coded message and an exit code. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ErrorCode, SentieroError } from '@sentiero/protocol';
import { auditCommand, auditVerifyCommand } from './commands/audit.ts';
import { doctorCommand } from './commands/doctor.ts';
import { eraseCommand } from './commands/erase.ts';
import { exportCommand } from './commands/export.ts';
import { importCommand } from './commands/import.ts';
import { pruneCommand } from './commands/prune.ts';
import { serveCommand } from './commands/serve.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { statsCommand } from './commands/stats.ts';
import { CliError, ExitCode } from './exit.ts';
import { printJson } from './output.ts';
import type { Io } from './source.ts';

/** The version the tool reports (the package's). */
export const VERSION = '0.1.0';

/** The port `serve` and `doctor` use by default. */
export const DEFAULT_PORT = 3100;

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (`30m`, `2h`, `7d`) or a date (`2026-12-01`, ISO 8601); ms since epoch. */
export function parseSince(value: string, now: number = Date.now()): number {
  const m = /^(\d+)([smhdw])$/.exec(value.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!]!;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected a duration (30m, 2h, 7d) or a date (2026-12-01)');
  return t;
}

const dataOption = () => new Option('--data <dir>', 'the data folder (LevelDB)').env('SENTIERO_DATA').default('./.sentiero-data');
const relayOption = () => new Option('--relay <url>', "a running relay's base URL, instead of the data folder (e.g. http://localhost:3100/sentiero)").env('SENTIERO_RELAY');
const tokenOption = () => new Option('--token <token>', 'a token of --relay (erase and audit need an admin token)').env('SENTIERO_TOKEN');
const jsonOption = () => new Option('--json', 'print JSON for scripts');
const portOption = () => new Option('-p, --port <port>', 'the port').env('SENTIERO_PORT').default(DEFAULT_PORT).argParser(integer(0, 65535));
const hostOption = () => new Option('--host <host>', 'the address to listen on (0.0.0.0 in a container)').env('SENTIERO_HOST').default('127.0.0.1');
const baseOption = () => new Option('--base <path>', 'the base path of every route').env('SENTIERO_BASE').default('/sentiero');

/** Builds the program; `signal` stops `serve`. */
export function createProgram(io: Io, signal: AbortSignal): Command {
  const program = new Command('sentiero')
    .description('Sentiero: a standalone relay and dashboard, and tools for its data folder.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(add --help for the usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program.command('serve')
    .description('run the relay and the dashboard on their own port, beside an app whose backend is not Node')
    .addOption(portOption()).addOption(hostOption()).addOption(dataOption()).addOption(baseOption())
    .addOption(new Option('--allowed-origins <origins>', 'page origins that may send recordings: comma-separated, or * (default: the relay\'s own origin)').env('SENTIERO_ALLOWED_ORIGINS'))
    .addOption(new Option('--token <token>', 'the admin token "default" (default: a new random one, printed)').env('SENTIERO_TOKEN'))
    .addOption(new Option('--ingest-key <key>', 'the ingest key for server error reports (default: a new random one)').env('SENTIERO_INGEST_KEY'))
    .addOption(new Option('--redis <url>', 'share the store and the live bus with other relays on this Redis (redis://…) instead of --data').env('SENTIERO_REDIS_URL'))
    .addOption(jsonOption())
    .action((o) => serveCommand(o, io, signal));

  program.command('import')
    .description('import an rrweb recording (a JSON array of events) as a session')
    .argument('<file>', 'the recording, e.g. recording.rrweb.json')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(new Option('--session <id>', 'the session id (default: a new one)'))
    .addOption(jsonOption())
    .action((file, o) => importCommand(file, o, io));

  program.command('sessions')
    .description('list sessions, newest first')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(new Option('--since <when>', 'only sessions active since: a duration (30m, 2h, 7d) or a date').argParser((v) => parseSince(v)))
    .addOption(new Option('--url <text>', 'only sessions one of whose pages contains this text'))
    .addOption(new Option('--errors', 'only sessions with errors'))
    .addOption(new Option('--live', 'only sessions being recorded now (needs --relay)'))
    .addOption(new Option('--limit <n>', 'at most this many').default(50).argParser(integer(1, Number.MAX_SAFE_INTEGER)))
    .addOption(jsonOption())
    .action((o) => sessionsCommand(o, io));

  program.command('erase')
    .description('erase a session, a user (every session it was identified in, and its error reports), or the sessions of a time range, with everything of them')
    .argument('[session]', 'the session id (or --session)')
    .addOption(new Option('--session <id>', 'the session to erase'))
    .addOption(new Option('--user <id>', 'erase every session this user was identified in, and the error reports about it'))
    .addOption(new Option('--from <when>', 'erase the sessions active from: a duration back from now (30m, 2h, 7d) or a date').argParser((v) => parseSince(v)))
    .addOption(new Option('--to <when>', 'erase the sessions active until: a duration back from now or a date').argParser((v) => parseSince(v)))
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(jsonOption())
    .action((id, o) => eraseCommand(id, o, io));

  program.command('prune')
    .description('apply retention and the disk quota now: remove sessions past retention, then the oldest until the store fits')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(new Option('--retention-days <days>', 'with --data: keep sessions this many days after their last batch').default(30).argParser(integer(1, 36_500)))
    .addOption(new Option('--max-disk-bytes <bytes>', 'with --data: the most bytes the store may take (default: its size plus half the free space)').argParser(integer(1, Number.MAX_SAFE_INTEGER)))
    .addOption(jsonOption())
    .action((o) => pruneCommand({ ...o, relayOptions: { retentionDays: o.retentionDays, maxDiskBytes: o.maxDiskBytes } }, io));
  program.command('export')
    .description('save a session as one HTML file that replays offline, with no relay and no token')
    .argument('<session>', 'the session id')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(new Option('-o, --output <file>', 'the file to write, or - for stdout (default: sentiero-<session>.html here)'))
    .addOption(jsonOption())
    .action((id, o) => exportCommand(id, o, io));

  program.command('stats')
    .description('sessions, events and bytes on disk, in all and per day')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(jsonOption())
    .action((o) => statsCommand(o, io));

  const audit = program.command('audit')
    .description('the audit log, newest first: who read, watched, exported or erased what (--relay needs an admin token)')
    .addOption(dataOption()).addOption(relayOption()).addOption(tokenOption())
    .addOption(new Option('--limit <n>', 'at most this many').default(100).argParser(integer(1, Number.MAX_SAFE_INTEGER)))
    .addOption(jsonOption())
    .action((o) => auditCommand(o, io));
  // `--data` and `--json` are the parent's (commander gives them to `audit` wherever they stand).
  audit.command('verify')
    .description('check the audit log\'s hash chain in the data folder (--data); names every entry edited, removed or replaced (exit 7)')
    .action((_o, cmd: Command) => auditVerifyCommand(cmd.optsWithGlobals(), io));

  program.command('doctor')
    .description('check the Node version, the data folder, the port and the store')
    .addOption(dataOption()).addOption(portOption()).addOption(hostOption()).addOption(baseOption())
    .addOption(jsonOption())
    .action((o) => doctorCommand(o, io));

  return program;
}

/** The tool's error for anything a command threw. */
function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof SentieroError) {
    return new CliError(err.code, err.code === ErrorCode.NOT_FOUND ? ExitCode.NOT_FOUND : ExitCode.FAILURE, `the relay answered: ${err.message}`);
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    return new CliError('SENTIERO_CLI_UNREACHABLE', ExitCode.FAILURE, `the relay cannot be reached: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  }
  return new CliError('SENTIERO_CLI_FAILED', ExitCode.FAILURE, (err as Error)?.message ?? String(err));
}

/** Runs the tool with `argv` (the arguments after `sentiero`) and resolves to its exit code. */
export async function main(argv: string[], io: Io, signal: AbortSignal = new AbortController().signal): Promise<number> {
  try {
    await createProgram(io, signal).parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK;
      return ExitCode.USAGE;
    }
    const e = toCliError(err);
    if (argv.includes('--json') && !e.printed) printJson(io, { error: { code: e.code, message: e.message } });
    io.stderr.write(`sentiero: ${e.message} [${e.code}]\n`);
    return e.exit;
  }
}
