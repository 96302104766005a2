/** `sentiero erase <session>`: deletes a session and everything of it, through the REST API's `DELETE <base>/api/sessions/:id`. */
import { ErrorCode, SentieroError, isValidId } from '@sentiero/protocol';
import { CliError, ExitCode } from '../exit.ts';
import { printJson } from '../output.ts';
import { type Io, type SourceOptions, withSource } from '../source.ts';

/** Options of `erase`. */
export interface EraseOptions extends SourceOptions {
  json?: boolean;
}

/** Runs `erase`. */
export async function eraseCommand(id: string, o: EraseOptions, io: Io): Promise<void> {
  const notFound = new CliError(ErrorCode.NOT_FOUND, ExitCode.NOT_FOUND, `no session ${id}`);
  if (!isValidId(id)) throw notFound;
  await withSource(o, io, async ({ client }) => {
    try {
      await client.deleteSession(id);
    } catch (err) {
      throw err instanceof SentieroError && err.code === ErrorCode.NOT_FOUND ? notFound : err;
    }
  });
  if (o.json) printJson(io, { erased: id });
  else io.stdout.write(`erased ${id}\n`);
}
