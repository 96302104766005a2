/**
 * Erasure: a session, every session a user was identified in (and that user's error
 * occurrences), or every session active in a time range, each with everything of it, through
 * the store's deletion hooks. Each removed session is also forgotten by the live side.
 */
import { type EraseRequest, type ErasureReport, emptyErasure } from '@sentiero/protocol';
import type { ListOptions, OccurrenceErasure, SessionErasure, Store } from '@sentiero/storage';
import type { Logger } from '../options.ts';

/** The most session ids a report lists (the count goes on). */
const MAX_LISTED_IDS = 1000;

/** What erasure needs of the relay. */
export interface PrivacyContext {
  store: Store;
  logger: Logger;
  /** A session is gone from the store: forget its counts and live state, and tell the sessions feed. */
  forgotten(sessionId: string): void;
  /** Whether a recorder is sending the session now. */
  isLive(sessionId: string): boolean;
  /** Whether the relay is closing (long runs stop between sessions). */
  isClosing(): boolean;
}

/** Adds what one store call removed to a report. */
export function addErasure(report: ErasureReport, groups: Set<string>, sessionId: string | undefined, erased: SessionErasure | OccurrenceErasure): void {
  if (sessionId !== undefined) {
    report.sessions++;
    if (report.sessionIds.length < MAX_LISTED_IDS) report.sessionIds.push(sessionId);
  }
  if ('batches' in erased) {
    report.batches += erased.batches;
    report.events += erased.events;
  }
  report.errorOccurrences += erased.occurrences;
  for (const g of erased.groups) groups.add(g);
  report.groupsScrubbed = groups.size;
}

/** Erases one session with everything of it and forgets it; resolves to what went, or undefined when there was no such session. */
export async function eraseOne(ctx: PrivacyContext, sessionId: string): Promise<SessionErasure | undefined> {
  const erased = await ctx.store.eraseSession(sessionId);
  if (erased) ctx.forgotten(sessionId);
  return erased;
}

/** Erases every session matching `filter` (paged newest first) for which `keep` is false, into `report`. */
export async function eraseMatching(
  ctx: PrivacyContext, filter: ListOptions, report: ErasureReport, groups: Set<string>, skip: (r: { id: string; lastReceivedAt: number }) => boolean = () => false,
): Promise<void> {
  let cursor: string | undefined;
  do {
    // The cursor names the last session of the page by its place in the order, so it holds after that session is gone.
    const page = await ctx.store.listSessions({ ...filter, limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    for (const r of page.sessions) {
      if (ctx.isClosing()) return;
      if (skip(r)) continue;
      const erased = await eraseOne(ctx, r.id);
      if (erased) addErasure(report, groups, r.id, erased);
    }
    cursor = page.next;
  } while (cursor !== undefined);
}

/** Carries out an erasure request; resolves to what went (a session that did not exist removes nothing). */
export async function erase(ctx: PrivacyContext, request: EraseRequest): Promise<ErasureReport> {
  const report = emptyErasure();
  const groups = new Set<string>();
  if ('sessionId' in request) {
    const erased = await eraseOne(ctx, request.sessionId);
    if (erased) addErasure(report, groups, request.sessionId, erased);
    return report;
  }
  if ('userId' in request) {
    await eraseMatching(ctx, { userId: request.userId }, report, groups);
    addErasure(report, groups, undefined, await ctx.store.eraseOccurrences({ userId: request.userId }));
  } else {
    await eraseMatching(ctx, { from: request.from, to: request.to }, report, groups);
  }
  await ctx.store.compact().catch((err: unknown) => ctx.logger.warn(`compacting the store after an erasure failed: ${(err as Error).message}`));
  return report;
}
