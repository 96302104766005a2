/** A token bucket: `rate` per second on average, bursts up to `rate × window`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(private readonly ratePerSecond: number, windowMs: number, now = Date.now()) {
    this.capacity = Math.max(1, (ratePerSecond * windowMs) / 1000);
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Takes one token; false when none is left. */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the bucket is full (so a map of buckets may forget it). */
  full(now = Date.now()): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.ratePerSecond >= this.capacity;
  }
}

/** Token buckets by key (e.g. client address), forgetting full ones now and then so the map cannot grow without bound. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweeps = 0;

  constructor(private readonly ratePerSecond: number, private readonly windowMs: number) {}

  /** Takes one token from `key`'s bucket. */
  take(key: string, now = Date.now()): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      b = new TokenBucket(this.ratePerSecond, this.windowMs, now);
      this.buckets.set(key, b);
    }
    if (++this.sweeps >= 1000) {
      this.sweeps = 0;
      for (const [k, v] of this.buckets) if (v.full(now)) this.buckets.delete(k);
    }
    return b.take(now);
  }
}
