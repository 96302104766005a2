/** The entry "at this moment" of a time-ordered list, kept in view as playback moves (the Console and Network panes). */
import { type RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { indexAt } from '../capture-log.ts';

/**
 * The index of the last entry at or before the playback position, following `onTime`; after
 * each change the list `list` scrolls (itself only, never the page) to keep `.is-current` shown.
 */
export function useCurrent(entries: readonly { timestamp: number }[], onTime: (fn: (abs: number) => void) => () => void, list: RefObject<HTMLElement | null>): number {
  const [current, setCurrent] = useState(-1);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const lastAbs = useRef<number | undefined>(undefined);
  useEffect(() => onTime((abs) => {
    lastAbs.current = abs;
    setCurrent(indexAt(entriesRef.current, abs));
  }), [onTime]);
  useEffect(() => {
    if (lastAbs.current !== undefined) setCurrent(indexAt(entries, lastAbs.current));
  }, [entries]);
  useEffect(() => {
    const ol = list.current;
    const li = ol?.querySelector<HTMLElement>('.is-current');
    if (!ol || !li) return;
    const top = li.getBoundingClientRect().top - ol.getBoundingClientRect().top + ol.scrollTop;
    if (top < ol.scrollTop) ol.scrollTop = top;
    else if (top + li.offsetHeight > ol.scrollTop + ol.clientHeight) ol.scrollTop = top + li.offsetHeight - ol.clientHeight;
  }, [current]);
  return current;
}

/** Most rows a pane draws at once (around the current one) until asked for all. */
export const MAX_ROWS = 400;

/** The rows a long list draws: a window of `MAX_ROWS` around `current`, or all of them; `from` is the first row's index. */
export function visibleRows<T>(all: readonly T[], current: number, showAll: boolean): { rows: readonly T[]; from: number } {
  if (showAll || all.length <= MAX_ROWS) return { rows: all, from: 0 };
  const from = Math.max(0, Math.min(current - MAX_ROWS / 4, all.length - MAX_ROWS));
  return { rows: all.slice(from, from + MAX_ROWS), from };
}
