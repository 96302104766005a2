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

/** The page a session is on, short: the path of its URL (or the URL when it has none). */
export function sessionPlace(session: Pick<SessionSummary, 'url'>): string {
  if (!session.url) return '(no page yet)';
  try {
    const u = new URL(session.url);
    return `${u.host}${u.pathname}`;
  } catch {
    return oneLine(session.url, 80);
  }
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
