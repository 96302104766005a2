/** The tool's output: JSON for scripts (`--json`), aligned columns for people, a progress bar on a terminal. */
import type { Io } from './source.ts';

/** Writes `value` as one line of JSON to stdout. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes rows as left-aligned columns under a header. */
export function printTable(io: Io, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  io.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/** A progress bar on stderr; silent when stderr is not a terminal or `quiet`. */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

/** Starts a progress bar counting up to `total`. */
export function progress(io: Io, label: string, total: number, quiet: boolean): Progress {
  if (quiet || !io.stderr.isTTY || total <= 0) return { update() {}, finish() {} };
  const width = 30;
  const render = (done: number) => {
    const filled = Math.round((done / total) * width);
    io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% ${done}/${total}`);
  };
  render(0);
  return { update: render, finish: () => io.stderr.write('\n') };
}

/** A size in bytes for people: `1.2 MB` (the protocol's, shared with the dashboard). */
export { formatBytes } from '@sentiero/protocol';
