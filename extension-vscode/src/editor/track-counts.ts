/**
 * How often each custom event fired in the last 7 days, from the relay's analytics overview
 * (`customEvents`), read again every few minutes and whenever asked. No `vscode` import: the
 * CodeLens provider listens to it.
 */
import type { AnalyticsApi } from '@sentiero/viewer/analytics-api';

/** The days counted. */
export const TRACK_DAYS = 7;
/** How often the counts are read again (ms). */
export const TRACK_REFRESH_MS = 5 * 60_000;

/** Custom event counts of one relay, kept current. */
export class TrackCounts {
  private counts: ReadonlyMap<string, number> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners = new Set<() => void>();
  private generation = 0;

  /** `api` is the relay's analytics API, or undefined while not connected. */
  constructor(private api: AnalyticsApi | undefined, private readonly now: () => number = Date.now, refreshMs = TRACK_REFRESH_MS) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    (this.timer as { unref?: () => void }).unref?.();
    void this.refresh();
  }

  /** How often `name` fired in the last `TRACK_DAYS` days; undefined until read (or without a relay). */
  count(name: string): number | undefined {
    return this.counts ? (this.counts.get(name) ?? 0) : undefined;
  }

  /** Calls `fn` whenever the counts change; returns the function that stops. */
  onDidChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Uses another relay (or none). */
  setApi(api: AnalyticsApi | undefined): void {
    this.api = api;
    this.counts = undefined;
    this.emit();
    void this.refresh();
  }

  /** Reads the counts again; never rejects (a failure keeps the last counts). */
  async refresh(): Promise<void> {
    const api = this.api;
    const generation = ++this.generation;
    if (!api) return;
    try {
      const to = this.now();
      const o = await api.overview({ from: to - TRACK_DAYS * 86_400_000, to });
      if (generation !== this.generation) return;
      this.counts = new Map(Object.entries(o.customEvents));
      this.emit();
    } catch { /* the relay is unreachable or refused: the status bar says so; keep what we had */ }
  }

  /** Stops reading. */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
