/** What the Sessions and Errors trees show, computed from relay data alone (no `vscode` import). */
import type { ErrorGroup, ErrorGroupSession, ErrorStatus, SessionSummary } from '@sentiero/protocol';
import { countsText, dayKey, dayLabel, duration, errorTitle, sessionLabel, shortId, when } from '../format.ts';

/** What a session's row shows, as one string: when it is unchanged, the row need not be redrawn. */
export function sessionRowKey(s: SessionSummary): string {
  return [s.url, s.pages?.length ?? 0, s.live, s.errorCount, s.windows.length, s.startedAt, ...(s.live ? [] : [s.eventCount, s.lastEventAt])].join('|');
}

/** The sessions of one local calendar day, newest first. */
export interface DayGroup {
  /** `YYYY-MM-DD` in local time. */
  key: string;
  /** `Today`, `Yesterday`, or `Mon 24 Nov` (with the year when it is not this year's). */
  label: string;
  sessions: SessionSummary[];
  /** How many of them are live. */
  live: number;
}

/** The text of one tree item. */
export interface ItemText {
  label: string;
  description: string;
  tooltip: string;
}

/** Sessions newest first (by start), ties broken by id so that the order is stable. */
export function sortSessions(sessions: Iterable<SessionSummary>): SessionSummary[] {
  return [...sessions].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Sessions grouped by the local day they started, days and sessions newest first. */
export function groupSessionsByDay(sessions: Iterable<SessionSummary>, now: number): DayGroup[] {
  const groups = new Map<string, DayGroup>();
  for (const s of sortSessions(sessions)) {
    const key = dayKey(s.startedAt);
    let g = groups.get(key);
    if (!g) {
      g = { key, label: dayLabel(s.startedAt, now), sessions: [], live: 0 };
      groups.set(key, g);
    }
    g.sessions.push(s);
    if (s.live) g.live++;
  }
  return [...groups.values()];
}

/** The text of a day's tree item. */
export function dayText(group: DayGroup): ItemText {
  const n = group.sessions.length;
  const description = `${n} ${n === 1 ? 'session' : 'sessions'}${group.live ? ` · ${group.live} live` : ''}`;
  return { label: group.label, description, tooltip: `${group.key}: ${description}` };
}

/**
 * The text of a session's tree item: when it started and its pages (every session is on the
 * same host, so the host would tell none apart), then how long and how much once it has ended.
 * A live session shows neither (they change every half second), so that its row stays still
 * under the pointer.
 */
export function sessionText(s: SessionSummary, now: number): ItemText {
  const parts = s.live ? ['live'] : [duration(s.lastEventAt - s.startedAt), `${s.eventCount} events`];
  if (s.errorCount) parts.push(`${s.errorCount} ${s.errorCount === 1 ? 'error' : 'errors'}`);
  if (s.windows.length > 1) parts.push(`${s.windows.length} tabs`);
  const tooltip = [
    `Session ${s.id}${s.live ? ' (live)' : ''}`,
    `Started ${new Date(s.startedAt).toLocaleString()} · last event ${when(s.lastEventAt, now)}`,
    ...(s.pages?.length ? [`Pages: ${s.pages.join(', ')}`] : s.url ? [`Page: ${s.url}`] : []),
    ...(s.userAgent ? [s.userAgent] : []),
  ].join('\n');
  return { label: sessionLabel(s), description: parts.join(' · '), tooltip };
}

/** Error groups most recently seen first, ties broken by id. */
export function sortErrorGroups(groups: Iterable<ErrorGroup>): ErrorGroup[] {
  return [...groups].sort((a, b) => b.lastSeen - a.lastSeen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The text of an error group's tree item: the error, its counts, when it was last seen and its status. */
export function errorGroupText(g: ErrorGroup, now: number): ItemText {
  const where = g.culprit?.original?.file ?? g.culprit?.file;
  const line = g.culprit?.original?.line ?? g.culprit?.line;
  const tooltip = [
    errorTitle(g, 500),
    `${countsText(g)} · ${g.origin} · ${g.status}`,
    `First seen ${when(g.firstSeen, now)} · last seen ${when(g.lastSeen, now)}`,
    ...(where ? [`at ${where}${line ? `:${line}` : ''}`] : []),
  ].join('\n');
  return { label: errorTitle(g, 80), description: `${countsText(g)} · last ${when(g.lastSeen, now)} · ${g.status}`, tooltip };
}

/** The text of one of an error group's sessions: the session as the Sessions view names it, when listed there. */
export function errorSessionText(s: ErrorGroupSession, now: number, session?: SessionSummary): ItemText {
  return {
    label: session ? sessionLabel(session) : `Session ${shortId(s.sessionId)}`,
    description: `${s.count}× · last ${when(s.lastSeen, now)}`,
    tooltip: `Session ${s.sessionId}\n${s.count}× between ${new Date(s.firstSeen).toLocaleString()} and ${new Date(s.lastSeen).toLocaleString()}`,
  };
}

/** The codicon of an error status. */
export function statusIcon(status: ErrorStatus): string {
  switch (status) {
    case 'unresolved': return 'error';
    case 'regressed': return 'warning';
    case 'resolved': return 'pass';
    case 'ignored': return 'circle-slash';
  }
}
