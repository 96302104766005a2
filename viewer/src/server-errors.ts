/**
 * The errors the app's server reported for a session (linked by the recorder's session header):
 * they are not in the session's events, so they are read from the relay's error routes and
 * become error markers of their own, in no tab.
 */
import { type Client, type ErrorFrame, type ErrorGroup, type ErrorOccurrence, frameFunction } from '@sentiero/protocol';
import { type Marker, MarkerKind } from './markers.ts';
import type { StackFrame } from './stack.ts';

/** Most occurrences asked for per group (the relay's limit). */
const MAX_OCCURRENCES = 100;

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function stackFrame(f: ErrorFrame): StackFrame | undefined {
  const o = f.original;
  const url = o?.file ?? f.file;
  const line = o?.line ?? f.line;
  if (!url || !line) return undefined;
  const frame: StackFrame = { url, line };
  const column = o ? o.column : f.column;
  if (column) frame.column = column;
  const fn = frameFunction(f);
  if (fn) frame.fn = fn;
  return frame;
}

/** An error marker for a server error of a group, at `timestamp`. */
export function serverErrorMarker(group: Pick<ErrorGroup, 'id' | 'name' | 'message'>, timestamp: number, frames: readonly ErrorFrame[] = []): Marker {
  const m: Marker = {
    kind: MarkerKind.ERROR, origin: 'server', timestamp, windowId: '', groupId: group.id,
    label: clip(squash(`${group.name || 'Error'}: ${group.message}`), 160),
  };
  const parsed = frames.map(stackFrame).filter((f): f is StackFrame => !!f).slice(0, 20);
  if (parsed.length) {
    m.frames = parsed;
    m.detail = parsed.map((f) => `at ${f.fn ?? '(anonymous)'} (${f.url}:${f.line}${f.column ? `:${f.column}` : ''})`).join('\n');
  }
  return m;
}

/** The marker of one occurrence, when it is a server error of `sessionId`. */
export function occurrenceMarker(o: ErrorOccurrence, sessionId: string): Marker | undefined {
  if (o.origin !== 'server' || o.sessionId !== sessionId) return undefined;
  const m = serverErrorMarker({ id: o.groupId, name: o.name, message: o.message }, o.timestamp, o.frames);
  if (o.url) m.url = o.url;
  return m;
}

/**
 * The markers of a session's server errors, one per occurrence, in time order: each server
 * group's occurrences in the session (its first time when they are older than the group's
 * newest MAX_OCCURRENCES).
 */
export async function loadServerErrorMarkers(client: Pick<Client, 'getSessionErrors' | 'getErrorGroup'>, sessionId: string): Promise<Marker[]> {
  const { errors } = await client.getSessionErrors(sessionId);
  const server = errors.filter((e) => e.group.origin === 'server');
  const lists = await Promise.all(server.map(async (e) => {
    const detail = await client.getErrorGroup(e.group.id, { occurrences: MAX_OCCURRENCES });
    const mine = detail.occurrences.map((o) => occurrenceMarker(o, sessionId)).filter((m): m is Marker => !!m);
    return mine.length ? mine : [serverErrorMarker(e.group, e.firstSeen, e.group.culprit ? [e.group.culprit] : [])];
  }));
  return lists.flat().sort((a, b) => a.timestamp - b.timestamp);
}
