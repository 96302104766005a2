/**
 * Where a source file names a tracked event: each `data-sentiero-track="name"` attribute (the
 * recorder sends a custom event of that name when the element is clicked, submitted or shown;
 * also `data-sentiero-track-submit` and `-view`), with its name and position. Pure: no `vscode`.
 */

/** One attribute in a file. */
export interface TrackAttribute {
  /** The event's name. */
  name: string;
  /** 0-based line and column of the attribute. */
  line: number;
  column: number;
}

/** The attribute, with the value in double or single quotes, or in a JSX string expression (`={"name"}`). */
const ATTRIBUTE = /data-sentiero-track(?:-(?:click|submit|view))?\s*=\s*(?:\{\s*)?(["'`])([^"'`\n]{1,200})\1/g;

/** At most this many attributes are read in one file. */
export const MAX_ATTRIBUTES = 500;

/** The tracked events named in `text`, in order. */
export function findTrackAttributes(text: string): TrackAttribute[] {
  const out: TrackAttribute[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (const m of text.matchAll(ATTRIBUTE)) {
    if (out.length >= MAX_ATTRIBUTES) break;
    const line = lineOf(m.index);
    out.push({ name: m[2]!, line, column: m.index - lineStarts[line]! });
  }
  return out;
}

/** The lens's text for an event fired `count` times in the last `days` days (undefined while not known). */
export function trackLensTitle(name: string, count: number | undefined, days: number): string {
  if (count === undefined) return `Sentiero: "${name}" (no figures yet)`;
  if (count === 0) return `Sentiero: "${name}" not fired in the last ${days} days`;
  return `Sentiero: "${name}" fired ${count.toLocaleString('en-US')} time${count === 1 ? '' : 's'} in the last ${days} days`;
}
