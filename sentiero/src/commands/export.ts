/**
 * `sentiero export <session> [-o file]`: the session as one self-contained HTML file that replays
 * offline, through the REST API's `GET <base>/api/sessions/:id/export.html`, streamed to the file
 * (written beside it first and renamed when complete, so a failure leaves no half file) or to
 * stdout with `-o -`.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ErrorCode, SentieroError, isValidId } from '@sentiero/protocol';
import { CliError, ExitCode } from '../exit.ts';
import { formatBytes, printJson } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';

/** Options of `export`. */
export interface ExportOptions extends SourceOptions {
  /** The file to write; `-` for stdout. Default: the name the relay suggests (`sentiero-<id>.html`) in the current folder. */
  output?: string;
  json?: boolean;
}

/** Counts the bytes that pass. */
function counter(): { stream: (source: AsyncIterable<Uint8Array>) => AsyncGenerator<Uint8Array>; bytes: () => number } {
  let bytes = 0;
  return {
    async *stream(source) {
      for await (const chunk of source) {
        bytes += chunk.length;
        yield chunk;
      }
    },
    bytes: () => bytes,
  };
}

/** Runs `export`. */
export async function exportCommand(id: string, o: ExportOptions, io: Io): Promise<void> {
  const notFound = new CliError(ErrorCode.NOT_FOUND, ExitCode.NOT_FOUND, `no session ${id}`);
  if (!isValidId(id)) throw notFound;
  const toStdout = o.output === '-';
  if (toStdout && o.json) throw new CliError('SENTIERO_CLI_USAGE', ExitCode.USAGE, '--json prints to stdout: give -o <file> with it');
  let file = '';
  const count = counter();
  await withSource(o, io, async ({ client }) => {
    let exported;
    try {
      exported = await client.exportHtml(id);
    } catch (err) {
      throw err instanceof SentieroError && err.code === ErrorCode.NOT_FOUND ? notFound : err;
    }
    const body = Readable.fromWeb(exported.body as unknown as WebReadableStream<Uint8Array>);
    if (toStdout) {
      const decoder = new TextDecoder();
      for await (const chunk of count.stream(body)) io.stdout.write(decoder.decode(chunk, { stream: true }));
      io.stdout.write(decoder.decode());
      return;
    }
    file = path.resolve(o.output ?? exported.filename);
    const partial = `${file}.part`;
    try {
      await pipeline(body, count.stream, createWriteStream(partial));
      await rename(partial, file);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  });
  if (toStdout) return;
  if (o.json) printJson(io, { exported: id, file, bytes: count.bytes() });
  else io.stdout.write(`exported ${id} to ${file} (${formatBytes(count.bytes())})\n`);
}
