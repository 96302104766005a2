/** Limits of the v1 protocol and their defaults. A relay may lower or raise each through its options. */
export const DEFAULT_LIMITS = {
  /** Largest ingest frame or HTTP ingest body, in bytes (ws `maxPayload`). */
  maxPayloadBytes: 4 * 1024 * 1024,
  /** Most events in one batch. */
  maxEventsPerBatch: 5000,
  /** Most ingest messages one socket (or one IP over HTTP) may send per second, averaged over `rateWindowMs`. */
  maxMessagesPerSecond: 50,
  /** The window over which rates are counted, in milliseconds. */
  rateWindowMs: 10_000,
  /** Bytes a watcher socket may have buffered before it is cut off as a slow consumer. */
  maxWatcherBufferedBytes: 16 * 1024 * 1024,
  /** Time a watch socket has to send `auth`, in milliseconds. */
  authTimeoutMs: 10_000,
  /** A window is reported ended (`end`) when no batch arrived for this long after its socket closed, in milliseconds. */
  liveGraceMs: 15_000,
  /** Largest id (session or window), in characters. */
  maxIdLength: 64,
  /** Largest error report or Sentry envelope, in bytes, both as sent and after decompression (a gzip bomb stops here). */
  maxErrorBodyBytes: 16 * 1024 * 1024,
  /** Error reports and envelopes one client address may send per second, averaged over `rateWindowMs`. */
  maxErrorsPerSecond: 20,
  /** Largest uploaded source map, in bytes. */
  maxSourceMapBytes: 32 * 1024 * 1024,
  /** Deepest nesting of objects and arrays in one event (deeper input would overflow the stack of whoever serializes it). */
  maxEventDepth: 1000,
  /** Bytes of batches one ingest socket may have received but not yet acknowledged; past it the relay stops reading that socket. */
  maxUnackedBytesPerSocket: 4 * 1024 * 1024,
  /** Bytes of batches all ingest sockets together may have unacknowledged; past it the relay stops reading every socket that has any. */
  maxUnackedBytesTotal: 16 * 1024 * 1024,
  /** Ingest frames of this many bytes or more are parsed and stored a few at a time (`largeBatchesAtOnce`), so that small batches never wait behind them. */
  largeBatchBytes: 64 * 1024,
  /** Large ingest batches (`largeBatchBytes`) the relay works on at once; the others wait their turn, their sockets' later frames behind them. */
  largeBatchesAtOnce: 1,
  /** How far a batch's `seq` may run past its window's acknowledged one. */
  maxSeqAhead: 1000,
  /** Ingest sockets one client address may hold open (a WebSocket upgrade past it is answered 429). */
  maxSocketsPerAddress: 64,
  /** Time an ingest socket has to send `hello`, in milliseconds. */
  helloTimeoutMs: 10_000,
  /** Most windows (tabs, page loads) one session may have. */
  maxWindowsPerSession: 500,
  /** Most events one session may have. */
  maxEventsPerSession: 2_000_000,
  /** Most bytes of batches (as received) one session may send to this relay. */
  maxBytesPerSession: 512 * 1024 * 1024,
} as const;

/** The limits a relay runs with. */
export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

/** What the recorder is told in `welcome`: how to batch. */
export interface RecorderConfig {
  /** Flush a batch after this many milliseconds. */
  flushIntervalMs: number;
  /** Flush when a batch reaches this many serialized bytes (well below `maxPayloadBytes`). */
  maxBatchBytes: number;
  /** Flush when a batch reaches this many events. */
  maxEventsPerBatch: number;
}

/** Default batching, sent to recorders in `welcome`. */
export const DEFAULT_RECORDER_CONFIG: RecorderConfig = {
  // A quarter second keeps live watching under a second of lag at p99 (bench/viewer.ts).
  flushIntervalMs: 250,
  maxBatchBytes: 512 * 1024,
  maxEventsPerBatch: 500,
};
