/** Text shown for sessions and error groups in views, CodeLens, hovers and diagnostics (no `vscode` import). */
import type { ErrorGroup, SessionSummary } from '@sentiero/protocol';

/** Cuts text to one line of at most `max` characters, with an ellipsis when cut. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/** `TypeError: x is undefined` (the group's type and message, on one line). */
export function errorTitle(group: Pick<ErrorGroup, 'name' | 'message'>, max = 120): string {
  return oneLine(group.message ? `${group.name}: ${group.message}` : group.name, max);
}

/** `12× in 5 sessions`. */
export function countsText(group: Pick<ErrorGroup, 'count' | 'sessionCount'>): string {
  return `${group.count}× in ${group.sessionCount} ${group.sessionCount === 1 ? 'session' : 'sessions'}`;
}

/** `3 s ago`, `5 min ago`, `2 h ago`, `4 d ago` (`now` passed in, so that the text is testable). */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

/** `1:05`, `12:40`, `1:02:03` for a duration in ms. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `14:05` in local time. */
export function clock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** A URL's path and query (`/cart?step=2`), or the URL itself when it is not one. */
export function pagePath(url: string): string {
  try {
    const u = new URL(url);
    return oneLine(`${u.pathname}${u.search}` || '/', 60);
  } catch {
    return oneLine(url, 60);
  }
}

/** The pages of a session, short: `/about`, `/about → /cart`, `/about +3 pages` (the host is the relay's app: the same for every session). */
export function sessionPages(session: Pick<SessionSummary, 'url' | 'pages'>): string {
  const pages = session.pages?.length ? session.pages : session.url ? [session.url] : [];
  if (!pages.length) return '(no page yet)';
  const first = pagePath(pages[0]!);
  if (pages.length === 1) return first;
  if (pages.length === 2) return `${first} → ${pagePath(pages[1]!)}`;
  return `${first} +${pages.length - 1} pages`;
}

/** A session as one short line: when it started and its pages, `14:05 /about → /cart`. */
export function sessionLabel(session: Pick<SessionSummary, 'url' | 'pages' | 'startedAt'>): string {
  return `${clock(session.startedAt)} ${sessionPages(session)}`;
}

/** A replay tab's title: the session's pages, start and length (`/about · 14:05 · 1:05`), or its id when not known yet. */
export function replayTitle(sessionId: string, session?: Pick<SessionSummary, 'url' | 'pages' | 'startedAt' | 'lastEventAt' | 'live'>): string {
  if (!session) return `Replay ${shortId(sessionId)}`;
  return `${sessionPages(session)} · ${clock(session.startedAt)} · ${session.live ? 'live' : duration(session.lastEventAt - session.startedAt)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The local calendar day of a time, as `YYYY-MM-DD`. */
export function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The day of a time relative to `now`: `Today`, `Yesterday`, or `Mon 24 Nov` (with the year when it is not this year's). */
export function dayLabel(at: number, now: number): string {
  const key = dayKey(at);
  if (key === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (key === dayKey(yesterday.getTime())) return 'Yesterday';
  const d = new Date(at);
  const base = `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]}`;
  return d.getFullYear() === new Date(now).getFullYear() ? base : `${base} ${d.getFullYear()}`;
}

/** An absolute time that does not go stale as minutes pass: `14:05` today, `Yesterday 14:05`, `Tue 25 Nov 14:05`. */
export function when(at: number, now: number): string {
  const day = dayLabel(at, now);
  return day === 'Today' ? clock(at) : `${day} ${clock(at)}`;
}

/** The first 8 characters of an id, enough to tell sessions apart. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The first CodeLens above a line that threw: `TypeError: x is undefined — 12× in 5 sessions`. */
export function lensTitle(group: Pick<ErrorGroup, 'name' | 'message' | 'count' | 'sessionCount'>): string {
  return `${errorTitle(group, 80)} — ${countsText(group)}`;
}

/** A diagnostic's message: the error and its counts. */
export function diagnosticMessage(group: Pick<ErrorGroup, 'name' | 'message' | 'count' | 'sessionCount' | 'status'>): string {
  return `${errorTitle(group, 300)} — ${countsText(group)}${group.status === 'regressed' ? ' (regressed)' : ''}`;
}

/**
 * What a hover on a line that threw says besides the diagnostic's message (VS Code shows that
 * message in the same hover): the status, the counts, first and last time, and the links' titles.
 */
export function hoverText(group: Pick<ErrorGroup, 'status' | 'origin' | 'count' | 'sessionCount' | 'firstSeen' | 'lastSeen'>, now: number): { head: string; counts: string; showAll: string } {
  return {
    head: `${group.status} ${group.origin} error`,
    counts: `${countsText(group)} · first ${when(group.firstSeen, now)} · last ${when(group.lastSeen, now)} (${ago(group.lastSeen, now)})`,
    showAll: group.sessionCount === 1 ? 'Show the session' : `Show all ${group.sessionCount} sessions`,
  };
}
