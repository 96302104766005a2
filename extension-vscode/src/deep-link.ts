/** Deep links: `vscode://sentiero.sentiero/open?session=<id>&t=<ms>` opens a replay at a moment (no `vscode` import). */

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A parsed deep link: which session, and `t` ms from its start. */
export interface OpenLink { sessionId: string; t?: number }

/** Parses a deep link's path and query; returns the problem as text when it is not one. */
export function parseOpenLink(path: string, query: string): OpenLink | { problem: string } {
  if (path.replace(/\/+$/, '') !== '/open') return { problem: `unknown link path "${path}" (expected /open)` };
  const q = new URLSearchParams(query);
  const sessionId = q.get('session') ?? '';
  if (!ID.test(sessionId)) return { problem: 'the link has no valid session id (?session=<id>)' };
  const raw = q.get('t');
  if (raw === null || raw === '') return { sessionId };
  const t = Number(raw);
  if (!Number.isFinite(t) || t < 0) return { problem: `"t" must be a number of ms from the session's start, not "${raw}"` };
  return { sessionId, t: Math.floor(t) };
}

/** The deep link to a session at a moment, for an extension id (`publisher.name`) and a URI scheme (`vscode`, `vscode-insiders`…). */
export function openLink(scheme: string, extensionId: string, sessionId: string, t?: number): string {
  const q = new URLSearchParams({ session: sessionId });
  if (t !== undefined) q.set('t', String(Math.max(0, Math.floor(t))));
  return `${scheme}://${extensionId}/open?${q}`;
}
