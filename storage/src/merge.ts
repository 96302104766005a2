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
 * with the earliest `batchTime`; ties go to the earlier source. The heads sit in a binary
 * heap, so a batch costs O(log windows) however many windows a session has. Holds one batch
 * per source in memory, and returns every source when it ends, early or not.
 */
export async function* mergeByTime<B>(sources: AsyncIterator<B>[], timeOf: (batch: B) => number): AsyncGenerator<B, void, undefined> {
  try {
    const firsts = await Promise.all(sources.map((s) => s.next()));
    const heap = new HeadHeap<B>();
    firsts.forEach((r, source) => { if (!r.done) heap.push({ batch: r.value, time: timeOf(r.value), source }); });
    for (;;) {
      const top = heap.peek();
      if (!top) return;
      const out = top.batch;
      const step = await sources[top.source].next();
      if (step.done) heap.pop();
      else heap.replaceTop({ batch: step.value, time: timeOf(step.value), source: top.source });
      yield out;
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.return?.()));
  }
}

interface Head<B> {
  batch: B;
  time: number;
  source: number;
}

/** A min-heap of the sources' heads by (time, source). */
class HeadHeap<B> {
  readonly #items: Head<B>[] = [];

  peek(): Head<B> | undefined {
    return this.#items[0];
  }

  push(head: Head<B>): void {
    const items = this.#items;
    items.push(head);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): void {
    const last = this.#items.pop();
    if (last && this.#items.length > 0) this.replaceTop(last);
  }

  replaceTop(head: Head<B>): void {
    const items = this.#items;
    items[0] = head;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < items.length && before(items[l], items[least])) least = l;
      if (r < items.length && before(items[r], items[least])) least = r;
      if (least === i) return;
      [items[i], items[least]] = [items[least], items[i]];
      i = least;
    }
  }
}

function before<B>(a: Head<B>, b: Head<B>): boolean {
  return a.time < b.time || (a.time === b.time && a.source < b.source);
}
