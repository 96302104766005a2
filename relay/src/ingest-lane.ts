/**
 * The large-batch lane: batches of `largeBatchBytes` or more are parsed, validated and stored
 * at most `largeBatchesAtOnce` at a time over the whole relay, in the order they arrived;
 * smaller batches never wait for it. A batch of a few megabytes holds the one event loop for
 * tens of milliseconds (parse, validate, encode) and a thread of libuv's pool of four for as
 * long again (brotli, the LevelDB write); without the lane, a few sockets pipelining such
 * batches fill the loop's queue and the pool, and a recorder's small batch waits seconds
 * behind them for its inflate, its brotli and its write. A socket's own frames keep their
 * order: behind a large one that waits, its small ones wait too (ingest.ts).
 */

/** The longest rest between two large batches, in ms. */
const MAX_REST_MS = 1000;

/** Runs large batches' work a few at a time, first come first served. */
export class BatchLane {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly largeBytes: number, private readonly atOnce: number) {}

  /** Whether a frame of `bytes` goes through the lane. */
  isLarge(bytes: number): boolean {
    return bytes >= this.largeBytes;
  }

  /** Large batches being worked on now (at most `largeBatchesAtOnce`). */
  get active(): number {
    return this.running;
  }

  /** Large batches waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `work` once a place is free and keeps the place until what it returns settles, then,
   * when other large batches wait, for as long again (at most `MAX_REST_MS`) before the next
   * one starts: large batches get at most about half of the event loop, whatever their
   * number. Settles as `work` does, never later.
   */
  async run<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.running < this.atOnce) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    const started = performance.now();
    try {
      return await work();
    } finally {
      const rest = Math.min(performance.now() - started, MAX_REST_MS);
      if (this.waiting.length > 0 && rest >= 1) setTimeout(() => this.next(), rest).unref?.();
      else this.next();
    }
  }

  /** Passes the place straight to the next in line, so that a new arrival cannot overtake it. */
  private next(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
