/** Where a replay tab goes (no `vscode` import): beside the code, every time, whichever command opened it. */

/** What placement knows of the editor layout: columns are VS Code's 1-based view columns. */
export interface Layout {
  /** The column of the code the user works in (the active text editor's, else a visible one's). */
  codeColumn?: number;
  /** The columns replay tabs are in now, most recently opened last. */
  replayColumns: number[];
}

/** A view column, or `active`: the active group (there is no code to be beside, so nothing to cover). */
export type Placement = number | 'active';

/**
 * The column for a new replay: with the replays already open, so that they stay together, unless
 * that is the code's column; else the column right of the code's; else the active group.
 */
export function replayColumn(layout: Layout): Placement {
  const others = layout.replayColumns.filter((c) => c !== layout.codeColumn);
  if (others.length) return others[others.length - 1]!;
  if (layout.codeColumn !== undefined) return layout.codeColumn + 1;
  return 'active';
}

/** The column to show an open replay in: where it is, unless it would cover the code (then beside it). */
export function revealColumn(current: number | undefined, layout: Layout): Placement | undefined {
  if (current === undefined || current !== layout.codeColumn) return current;
  return replayColumn({ ...layout, replayColumns: layout.replayColumns.filter((c) => c !== current) });
}
