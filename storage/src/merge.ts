/** The order in which `readBatches` interleaves a session's windows. */
import type { StoredBatch } from './types.ts';

/** A decoded batch (`StoredBatch`, `StoredBatchJson`, or a part of one) with where it was stored. */
export type Located<T> = T & { sessionId: string; windowId: string; seq: number };

/** The time a batch sorts by across windows: its first event's timestamp, or `receivedAt` when it has no events. */
export function batchTime(batch: StoredBatch): number {
  return batch.events.length > 0 ? batch.events[0].timestamp : batch.receivedAt;
}

/**
 * Merges per-window streams (each already in seq order) into one, always taking the head
 * with the earliest `batchTime`; ties go to the earlier source. A session has few windows,
 * so a linear scan over the heads beats a heap. Holds one batch per source in memory, and
 * returns every source when it ends, early or not.
 */
export async function* mergeByTime<B>(sources: AsyncIterator<B>[], timeOf: (batch: B) => number): AsyncGenerator<B, void, undefined> {
  try {
    const heads: (B | undefined)[] = (await Promise.all(sources.map((s) => s.next()))).map((r) => (r.done ? undefined : r.value));
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head !== undefined && (best < 0 || timeOf(head) < timeOf(heads[best] as B))) best = i;
      }
      if (best < 0) return;
      const out = heads[best] as B;
      const step = await sources[best].next();
      heads[best] = step.done ? undefined : step.value;
      yield out;
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.return?.()));
  }
}
