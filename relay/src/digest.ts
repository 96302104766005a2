/** What the relay derives from a batch's events as they arrive, so the session record stays current without reading events back. */
import { CustomTag, EventType, type GapPayload, type RecordedEvent } from '@sentiero/protocol';
import type { BatchDigest } from '@sentiero/storage';

/** The longest user id kept on a session record (the store's limit). */
const MAX_USER_ID_LENGTH = 256;

/**
 * Pages entered, events reported lost and users identified, in one pass over the batch. Errors are not counted
 * here: each becomes an occurrence (`recordError`), which counts it in the session's `errorCount`.
 */
export function digestBatch(events: readonly RecordedEvent[]): BatchDigest {
  const digest: BatchDigest = {};
  for (const e of events) {
    if (e.type === EventType.Meta) {
      const href = (e.data as { href?: unknown } | undefined)?.href;
      if (typeof href === 'string') (digest.pages ??= []).push(href.slice(0, 2048));
    } else if (e.type === EventType.Custom) {
      const data = e.data as { tag?: unknown; payload?: Partial<GapPayload> } | undefined;
      if (data?.tag === CustomTag.GAP && typeof data.payload?.dropped === 'number') {
        digest.dropped = (digest.dropped ?? 0) + data.payload.dropped;
      } else if (data?.tag === CustomTag.IDENTIFY) {
        const userId = (data.payload as { userId?: unknown } | undefined)?.userId;
        if (typeof userId === 'string' && userId !== '') (digest.userIds ??= []).push(userId.slice(0, MAX_USER_ID_LENGTH));
      }
    }
  }
  return digest;
}
