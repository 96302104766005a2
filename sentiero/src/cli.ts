#!/usr/bin/env node
/** The `sentiero` command (the package's `bin`): runs the program, stops `serve` on SIGINT or SIGTERM. */
import { main } from './program.ts';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, stop.signal);
