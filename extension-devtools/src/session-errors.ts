/**
 * The errors of a session, read from its event stream: each `sentiero/error@1` custom event
 * (written by the recorder with `captureErrors`, its frames completed by the relay), kept in
 * time order across the session's windows. Reading the stream works whatever else the relay
 * offers, and shows an error the moment its batch arrives.
 */
import { CustomTag, EventType, type RecordedEvent, frameFunction, validateErrorEventPayload } from '@sentiero/protocol';
import { parseStack } from '@sentiero/viewer';
import type { SourceLocation } from './messages.ts';

/** A stack frame the panel can open in the Sources panel. Lines and columns are 1-based. */
export interface PanelErrorFrame {
  /** The running script's URL (what DevTools' Sources panel knows). */
  url: string;
  line: number;
  column?: number;
  fn?: string;
  /** Whether the relay judged it the app's own code. */
  inApp?: boolean;
  /** Where it is in the original source, when the relay mapped it through a source map (`file` as the map names it, e.g. `src/cart.ts`). */
  original?: { file: string; line: number; column: number };
}

/** One error of the session. */
export interface PanelError {
  /** Unique within the session: `<windowId>:<seq>:<index in the batch>`. */
  key: string;
  /** When it happened (ms since epoch, the page's clock, like every event of the session). */
  timestamp: number;
  windowId: string;
  name: string;
  message: string;
  frames: PanelErrorFrame[];
}

/** Most errors kept per session: older ones are dropped first. */
export const MAX_ERRORS = 200;

function framesOf(payload: ReturnType<typeof validateErrorEventPayload> & { ok: true }): PanelErrorFrame[] {
  const p = payload.value;
  if (p.frames?.length) {
    const out: PanelErrorFrame[] = [];
    for (const f of p.frames) {
      if (!f.file || !f.line) continue;
      const frame: PanelErrorFrame = { url: f.file, line: f.line, inApp: f.inApp };
      if (f.column) frame.column = f.column;
      const fn = frameFunction(f);
      if (fn) frame.fn = fn;
      if (f.original) frame.original = { file: f.original.file, line: f.original.line, column: f.original.column };
      out.push(frame);
    }
    if (out.length) return out;
  }
  return parseStack(p.stack).map((f) => {
    const frame: PanelErrorFrame = { url: f.url, line: f.line };
    if (f.column) frame.column = f.column;
    if (f.fn) frame.fn = f.fn;
    return frame;
  });
}

/** One stored batch of a window, as the watch socket and the events API give it. */
export interface BatchLike {
  windowId: string;
  seq: number;
  events: readonly RecordedEvent[];
}

/** The errors in one batch, in the order they came. */
export function errorsIn(batch: BatchLike): PanelError[] {
  const { windowId, seq, events } = batch;
  const out: PanelError[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== EventType.Custom) continue;
    const data = e.data as { tag?: unknown; payload?: unknown } | null;
    if (!data || data.tag !== CustomTag.ERROR) continue;
    const checked = validateErrorEventPayload(data.payload);
    if (!checked.ok) continue;
    out.push({
      key: `${windowId}:${seq}:${i}`,
      timestamp: e.timestamp,
      windowId,
      name: checked.value.name,
      message: checked.value.message,
      frames: framesOf(checked),
    });
  }
  return out;
}

/** `list` with `added` merged in time order (stable for equal times), at most `MAX_ERRORS`, newest kept. */
export function mergeErrors(list: readonly PanelError[], added: readonly PanelError[]): PanelError[] {
  if (!added.length) return list as PanelError[];
  const seen = new Set(list.map((e) => e.key));
  const merged = [...list];
  for (const e of added) {
    if (seen.has(e.key)) continue;
    seen.add(e.key);
    let i = merged.length;
    while (i > 0 && merged[i - 1]!.timestamp > e.timestamp) i--;
    merged.splice(i, 0, e);
  }
  return merged.length > MAX_ERRORS ? merged.slice(merged.length - MAX_ERRORS) : merged;
}

/**
 * Where the Sources panel may have a frame, best first: the original source (when mapped), at
 * the URLs a page would serve it from (its own URL, or the map's path resolved against the
 * script's folder and against the site's root), then the running (minified) script.
 */
export function sourceLocations(f: PanelErrorFrame): SourceLocation[] {
  const running: SourceLocation = { url: f.url, line: f.line, ...(f.column ? { column: f.column } : {}) };
  const o = f.original;
  if (!o) return [running];
  const urls = new Set<string>();
  for (const [path, base] of [[o.file, undefined], [o.file, f.url], [`/${o.file.replace(/^\/+/, '')}`, f.url]] as const) {
    try {
      const u = new URL(path, base);
      if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'webpack:' || u.protocol === 'file:') urls.add(u.href);
    } catch { /* not a URL on its own: the next way */ }
  }
  return [...[...urls].map((url) => ({ url, line: o.line, column: o.column })), running];
}
