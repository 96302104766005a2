/**
 * The live bus: how the live side of one relay process (newly stored batches, the sessions
 * feed, the errors feed) reaches the watchers of every other process sharing its store. The
 * default is in-process only (`LocalBus`: nothing to forward); `RedisBus` uses Redis pub/sub.
 *
 * Pub/sub, not streams: the store is the record and the bus only the live tail. A watcher
 * follows a session's channel before it reads the stored backlog, so a batch is either in
 * what it reads or arrives on the channel (or both: the watch side drops seqs it has), and a
 * batch is published only once stored. What the bus loses (a dropped subscriber connection)
 * is read again from the store (`resync`). Streams would keep a second copy of every event
 * in Redis memory, to be trimmed, for nothing the store does not already give; measured
 * (`BENCH_PARTS=bus npm run bench -- redis`, docs/performance.md), their delivery lag is no
 * better.
 *
 * A batch goes on the bus as a notice (session, window, seq: a few dozen bytes), not as its
 * events: the process that stored it pays nothing for a session nobody elsewhere watches,
 * which is nearly every session, and a process that follows it reads the batch from the
 * store, where it already is (`load`). Measured on the ingest bench, the events frame
 * published with every batch was about a seventh of a relay process's CPU.
 */
import { randomBytes } from 'node:crypto';
import type { ErrorGroup, ErrorOccurrence, SessionSummary } from '@sentiero/protocol';
import { Cluster, Redis } from 'ioredis';
import type { RedisNode } from '@sentiero/storage';

/** A feed message between relay processes. */
export type FeedMessage =
  | { t: 'session'; session: SessionSummary }
  | { t: 'deleted'; sessionId: string }
  | { t: 'error-group'; group: ErrorGroup }
  | { t: 'error-occurrence'; occurrence: ErrorOccurrence; group: ErrorGroup };

/** Which batch a process stored: what goes on the bus. */
export interface BusNotice {
  sessionId: string;
  windowId: string;
  seq: number;
}

/** A batch another process stored, with its `events` frame as this process read it from the store. */
export interface BusBatch extends BusNotice {
  frame: Buffer;
}

/** What a bus hands to the relay that opened it. */
export interface BusHandlers {
  /** A batch another process stored, of a session this process follows. */
  batch(b: BusBatch): void;
  /** A feed message from another process. */
  feed(m: FeedMessage): void;
  /** The bus may have lost messages (its connection dropped and came back): read what was missed from the store. */
  resync(): void;
}

/** How relay processes tell each other what is live. Never delivers a process its own messages. */
export interface LiveBus {
  /** Starts receiving; resolves once feed messages are being received. */
  open(handlers: BusHandlers): Promise<void>;
  /** Tells the processes that follow its session that a batch is stored. Never throws. */
  publishBatch(b: BusNotice): void;
  /** Sends a feed message to every process. Never throws. */
  publishFeed(m: FeedMessage): void;
  /** Starts receiving a session's batches; resolves once nothing published after it can be missed. Counted: as many `unfollow` as `follow`. */
  follow(sessionId: string): Promise<void>;
  /** Stops receiving a session's batches (once the follows are all undone). */
  unfollow(sessionId: string): void;
  /** Stops. */
  close(): Promise<void>;
}

/** The in-process bus: one relay process, nothing to forward (the default). */
export class LocalBus implements LiveBus {
  async open(): Promise<void> {}
  publishBatch(): void {}
  publishFeed(): void {}
  async follow(): Promise<void> {}
  unfollow(): void {}
  async close(): Promise<void> {}
}

/** Where the Redis bus connects: one server or a cluster's startup nodes, and the key prefix its channels share with the store. */
export interface RedisBusOptions {
  /** A Redis server URL (`redis://…`, `rediss://…`). */
  url?: string;
  /** Startup nodes of a Redis Cluster. */
  nodes?: RedisNode[];
  /** Put before every channel name. Default `sentiero:`. */
  prefix?: string;
  /** Called with what goes wrong on the bus (a lost connection, a message that is not ours). */
  onError?(message: string): void;
  /** Reads a stored batch's `events` frame (undefined when it is no longer stored): how a notice becomes a batch. */
  load(b: BusNotice): Promise<Buffer | undefined>;
}

type Client = Redis | Cluster;

/** The Redis pub/sub bus. One connection publishes, one subscribes: the feed channel always, a session's channel while someone here watches it. */
export class RedisBus implements LiveBus {
  /** This process's id on the bus, so that it skips its own messages. */
  readonly origin = randomBytes(8).toString('hex');
  readonly #options: RedisBusOptions;
  readonly #prefix: string;
  readonly #following = new Map<string, { count: number; ready: Promise<void> }>();
  /** Per session, the last batch being read: batches are handed on in the order their notices came. */
  readonly #loading = new Map<string, Promise<void>>();
  #pub: Client | undefined;
  #sub: Client | undefined;
  #handlers: BusHandlers | undefined;
  #opened = false;

  /** Nothing connects until `open()`. */
  constructor(options: RedisBusOptions) {
    if (!options.url === !options.nodes) throw new TypeError('RedisBus: give one of options.url and options.nodes');
    this.#options = options;
    this.#prefix = options.prefix ?? 'sentiero:';
  }

  /** A connection; `pipelined`: the commands of one tick go out in one write (the publishing side: a notice per stored batch). */
  #client(pipelined: boolean): Client {
    const { url, nodes } = this.#options;
    const options = { lazyConnect: true, enableAutoPipelining: pipelined };
    const client: Client = nodes ? new Cluster(nodes, options) : new Redis(url!, options);
    client.on('error', (err: Error) => this.#options.onError?.(`the Redis bus: ${err.message}`));
    return client;
  }

  #feedChannel(): string {
    return `${this.#prefix}bus:feed`;
  }

  #sessionChannel(sessionId: string): string {
    return `${this.#prefix}bus:s:{${sessionId}}`;
  }

  async open(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers;
    const pub = this.#client(true);
    const sub = this.#client(false);
    this.#pub = pub;
    this.#sub = sub;
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#receive(channel.toString(), message));
    sub.on('ready', () => {
      // ioredis subscribes again by itself after a reconnect; whatever was published meanwhile is in the store.
      if (this.#opened) this.#handlers?.resync();
    });
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(this.#feedChannel());
    this.#opened = true;
  }

  #receive(channel: string, message: Buffer): void {
    const handlers = this.#handlers;
    if (!handlers) return;
    const newline = message.indexOf(10);
    const head = message.subarray(0, newline < 0 ? message.length : newline).toString().split(' ');
    if (head[1] === this.origin) return;
    try {
      if (head[0] === 'b' && channel.startsWith(`${this.#prefix}bus:s:{`)) {
        this.#batch({ sessionId: channel.slice(this.#prefix.length + 7, -1), windowId: head[2]!, seq: Number(head[3]) });
      } else if (head[0] === 'f') {
        handlers.feed(JSON.parse(message.subarray(newline + 1).toString()) as FeedMessage);
      }
    } catch (err) {
      this.#options.onError?.(`a bus message on ${channel} could not be read: ${(err as Error).message}`);
    }
  }

  /** Reads the batch of a notice as soon as it comes, and hands it on once the session's earlier ones are. */
  #batch(notice: BusNotice): void {
    const read = this.#options.load(notice).catch((err: Error) => {
      this.#failed(err);
      return undefined;
    });
    const previous = this.#loading.get(notice.sessionId);
    const done = (previous ? previous.then(() => read) : read).then((frame) => {
      if (frame) this.#handlers?.batch({ ...notice, frame });
      if (this.#loading.get(notice.sessionId) === done) this.#loading.delete(notice.sessionId);
    });
    this.#loading.set(notice.sessionId, done);
  }

  publishBatch(b: BusNotice): void {
    this.#pub?.publish(this.#sessionChannel(b.sessionId), `b ${this.origin} ${b.windowId} ${b.seq}`).catch(this.#failed);
  }

  publishFeed(m: FeedMessage): void {
    this.#pub?.publish(this.#feedChannel(), `f ${this.origin}\n${JSON.stringify(m)}`).catch(this.#failed);
  }

  readonly #failed = (err: Error): void => this.#options.onError?.(`the Redis bus: ${err.message}`);

  follow(sessionId: string): Promise<void> {
    const known = this.#following.get(sessionId);
    if (known) {
      known.count++;
      return known.ready;
    }
    // A subscribe that fails (Redis away) is not the watcher's failure: the store has the backlog, and a reconnect resyncs.
    const ready = this.#sub ? this.#sub.subscribe(this.#sessionChannel(sessionId)).then(() => undefined, this.#failed) : Promise.resolve();
    this.#following.set(sessionId, { count: 1, ready });
    return ready;
  }

  unfollow(sessionId: string): void {
    const known = this.#following.get(sessionId);
    if (!known || --known.count > 0) return;
    this.#following.delete(sessionId);
    this.#sub?.unsubscribe(this.#sessionChannel(sessionId)).catch(this.#failed);
  }

  async close(): Promise<void> {
    this.#opened = false;
    this.#handlers = undefined;
    const clients = [this.#pub, this.#sub].filter((c): c is Client => c !== undefined);
    this.#pub = undefined;
    this.#sub = undefined;
    this.#following.clear();
    this.#loading.clear();
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
