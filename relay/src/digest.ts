/** What the relay derives from a batch's events as they arrive, so the session record stays current without reading events back. */
import { CustomTag, EventType, type GapPayload, type RecordedEvent } from '@sentiero/protocol';
import type { BatchDigest } from '@sentiero/storage';

/**
 * Pages entered and events reported lost, in one pass over the batch. Errors are not counted
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
      }
    }
  }
  return digest;
}
