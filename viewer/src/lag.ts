/** Live lag: how long after an event happened in the page the viewer rendered it. */

/** The `p`-th percentile (0–100) of the values, by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** A summary of recent lags, in ms. */
export interface LagStats {
  /** The lag of the most recently rendered event. */
  last: number;
  p50: number;
  p99: number;
  /** How many lags the percentiles are over. */
  count: number;
}

/** Keeps the lags of the last `size` rendered events. */
export class LagMeter {
  private readonly values: number[] = [];
  private lastLag = Number.NaN;

  constructor(private readonly size = 200) {}

  /** Records that an event stamped `eventTime` was rendered at `renderedAt` (both ms since epoch). */
  record(eventTime: number, renderedAt: number): number {
    const lag = Math.max(0, renderedAt - eventTime);
    this.values.push(lag);
    if (this.values.length > this.size) this.values.shift();
    this.lastLag = lag;
    return lag;
  }

  /** The current figures; `undefined` before the first event. */
  stats(): LagStats | undefined {
    if (!this.values.length) return undefined;
    return { last: this.lastLag, p50: percentile(this.values, 50), p99: percentile(this.values, 99), count: this.values.length };
  }

  /** Forgets everything (after a jump back to live, say). */
  reset(): void {
    this.values.length = 0;
    this.lastLag = Number.NaN;
  }
}
