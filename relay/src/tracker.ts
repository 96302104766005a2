/**
 * The one core of error tracking, whatever the way in (recorder events, `captureException`,
 * the framework middleware, `POST <base>/api/errors`, Sentry envelopes): frames parsed from the
 * stack when not given, mapped through source maps, fingerprinted into a group; then recorded
 * in the store and announced on the errors feed.
 */
import {
  CustomTag, EventType, createId, validateErrorEventPayload,
  type ErrorFrame, type ErrorGroup, type ErrorOccurrence, type ErrorOrigin, type ErrorReportAck, type ErrorContext, type ErrorVia,
  type RecordedEvent,
} from '@sentiero/protocol';
import type { RecordErrorResult, Store } from '@sentiero/storage';
import { fingerprint } from './fingerprint.ts';
import type { Hub } from './hub.ts';
import type { Logger } from './options.ts';
import type { SanitizerChain } from './sanitize.ts';
import type { SourceMaps } from './source-maps.ts';
import { isInApp, parseStack } from './stack.ts';

/** An error to record, from any way in. */
export interface ErrorInput extends ErrorContext {
  name: string;
  message: string;
  /** Parsed when `frames` is not given. */
  stack?: string;
  frames?: ErrorFrame[];
  /** Default: now. */
  timestamp?: number;
  origin: ErrorOrigin;
  via: ErrorVia;
}

/** What the tracker needs of the relay. */
export interface TrackerContext {
  store: Store;
  hub: Hub;
  sourceMaps: SourceMaps;
  logger: Logger;
  /** A session's record changed (its `errorCount`). */
  changed(sessionId: string): void;
  /** The sanitizers every report goes through before it is kept. */
  sanitize: SanitizerChain;
}

/** The page URL in effect at each event of a batch: rrweb's Meta events and Sentiero's page markers move it. */
function hrefOf(e: RecordedEvent): string | undefined {
  if (e.type === EventType.Meta) {
    const href = (e.data as { href?: unknown } | undefined)?.href;
    return typeof href === 'string' ? href : undefined;
  }
  if (e.type === EventType.Custom) {
    const data = e.data as { tag?: unknown; payload?: { href?: unknown } } | undefined;
    if (data?.tag === CustomTag.PAGE && typeof data.payload?.href === 'string') return data.payload.href;
  }
  return undefined;
}

/** Records and announces errors. */
export class ErrorTracker {
  constructor(private readonly ctx: TrackerContext) {}

  /** The occurrence of an error: its frames parsed, mapped and fingerprinted (nothing is stored yet). */
  async prepare(input: ErrorInput, receivedAt = Date.now()): Promise<ErrorOccurrence> {
    const parsed = input.frames ?? parseStack(input.stack);
    const frames = await this.ctx.sourceMaps.mapFrames(parsed).catch((err: unknown) => {
      this.ctx.logger.warn(`mapping stack frames failed: ${(err as Error).message}`);
      return parsed;
    });
    const occ: ErrorOccurrence = {
      id: createId(receivedAt), groupId: fingerprint(input.name, input.message, frames), timestamp: input.timestamp ?? receivedAt,
      receivedAt, origin: input.origin, via: input.via, name: input.name || 'Error', message: input.message, frames,
    };
    for (const key of ['sessionId', 'windowId', 'url', 'user', 'tags', 'release', 'environment'] as const) {
      if (input[key] !== undefined) (occ as unknown as Record<string, unknown>)[key] = input[key];
    }
    return occ;
  }

  /** Records an occurrence and announces it: `error-group` for a new or regressed group, `error-occurrence` always. */
  async record(occ: ErrorOccurrence): Promise<RecordErrorResult> {
    const result = await this.ctx.store.recordError(occ);
    if (result.created || result.regressed) this.announceGroup(result.group);
    for (const l of this.ctx.hub.errorFeed) l.occurrence(occ, result.group);
    if (occ.sessionId !== undefined) this.ctx.changed(occ.sessionId);
    return result;
  }

  /** Sanitizes, prepares and records an error; undefined when a sanitizer dropped it. */
  async report(input: ErrorInput): Promise<ErrorReportAck | undefined> {
    const clean = this.ctx.sanitize.error(input);
    if (!clean) return undefined;
    const occ = await this.prepare(clean);
    await this.record(occ);
    return { id: occ.id, groupId: occ.groupId };
  }

  /** Tells the errors feed that a group appeared or its status changed. */
  announceGroup(group: ErrorGroup): void {
    for (const l of this.ctx.hub.errorFeed) l.group(group);
  }

  /**
   * Completes the `sentiero/error@1` events of a batch before it is stored (frames parsed
   * when missing and mapped, `groupId` set, so the timeline links to the group) and returns
   * their occurrences, to be recorded once the batch is stored. Events with a payload that
   * is not an error are left as they are.
   */
  async prepareBatch(sessionId: string, windowId: string, events: RecordedEvent[], pageUrl: string | undefined): Promise<ErrorOccurrence[]> {
    const out: ErrorOccurrence[] = [];
    let url = pageUrl;
    const receivedAt = Date.now();
    for (const e of events) {
      url = hrefOf(e) ?? url;
      if (e.type !== EventType.Custom) continue;
      const data = e.data as { tag?: unknown; payload?: unknown } | undefined;
      if (data?.tag !== CustomTag.ERROR) continue;
      const checked = validateErrorEventPayload(data.payload);
      if (!checked.ok) continue;
      const p = checked.value;
      // One rule for what is in-app, whoever parsed the frames.
      const frames = p.frames?.map((f) => ({ ...f, inApp: isInApp(f.file) }));
      const input: ErrorInput = { name: p.name, message: p.message, stack: p.stack, timestamp: e.timestamp, origin: 'browser', via: 'recorder', sessionId, windowId };
      if (frames?.length) input.frames = frames;
      if (url) input.url = url.slice(0, 4096);
      const occ = await this.prepare(input, receivedAt);
      data.payload = { name: occ.name, message: occ.message, stack: p.stack, frames: occ.frames, groupId: occ.groupId };
      out.push(occ);
    }
    return out;
  }
}
