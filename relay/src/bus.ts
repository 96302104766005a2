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
 * A batch goes on the bus as a notice (session, window, seq: a few dozen bytes) while no other
 * process follows its session, which is nearly always: the process that stored it then pays
 * nothing for it, and a process that starts following reads the batches of such notices from
 * the store, where they already are (`load`). Once a publish's reply says another process
 * follows the session, its next batches carry their `events` frame, so that the watchers
 * elsewhere get them without a read. Measured on the ingest bench, publishing every batch's
 * frame was about a seventh of a relay process's CPU.
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

/** Which batch a process stored. */
export interface BusNotice {
  sessionId: string;
  windowId: string;
  seq: number;
}

/** A newly stored batch to publish: its `events` frame is built only if another process follows the session. */
export interface BusPublished extends BusNotice {
  frame(): Buffer;
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
  publishBatch(b: BusPublished): void;
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

/** How many sessions followed by other processes a process remembers before it starts over. */
const MAX_WATCHED = 10_000;

/** The Redis pub/sub bus. One connection publishes, one subscribes: the feed channel always, a session's channel while someone here watches it. */
export class RedisBus implements LiveBus {
  /** This process's id on the bus, so that it skips its own messages. */
  readonly origin = randomBytes(8).toString('hex');
  readonly #options: RedisBusOptions;
  readonly #prefix: string;
  readonly #following = new Map<string, { count: number; ready: Promise<void> }>();
  /** Per session, the last batch being read: batches are handed on in the order their notices came. */
  readonly #loading = new Map<string, Promise<void>>();
  /** Sessions that another process followed at their last publish: their batches go with their frames. */
  readonly #watched = new Set<string>();
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
        const notice = { sessionId: channel.slice(this.#prefix.length + 7, -1), windowId: head[2]!, seq: Number(head[3]) };
        this.#batch(notice, newline < 0 ? undefined : message.subarray(newline + 1));
      } else if (head[0] === 'f') {
        handlers.feed(JSON.parse(message.subarray(newline + 1).toString()) as FeedMessage);
      }
    } catch (err) {
      this.#options.onError?.(`a bus message on ${channel} could not be read: ${(err as Error).message}`);
    }
  }

  /** Hands a batch on (its frame as it came, or read from the store for a notice) once the session's earlier ones are. */
  #batch(notice: BusNotice, frame: Buffer | undefined): void {
    const previous = this.#loading.get(notice.sessionId);
    if (!previous && frame) {
      this.#handlers?.batch({ ...notice, frame });
      return;
    }
    const read = frame ? Promise.resolve(frame) : this.#options.load(notice).catch((err: Error) => {
      this.#failed(err);
      return undefined;
    });
    const done = (previous ? previous.then(() => read) : read).then((loaded) => {
      if (loaded) this.#handlers?.batch({ ...notice, frame: loaded });
      if (this.#loading.get(notice.sessionId) === done) this.#loading.delete(notice.sessionId);
    });
    this.#loading.set(notice.sessionId, done);
  }

  /**
   * The connection a message is published on. On a Redis Cluster, `PUBLISH` names no key, so the
   * client would send each one to any node, and messages sent through different nodes can reach a
   * subscriber out of order (a batch before the one it follows, which the hub then takes as the
   * window's start). Through one node, always the same, they keep their order.
   */
  #publisher(): Redis | Cluster | undefined {
    const pub = this.#pub;
    if (!(pub instanceof Cluster)) return pub;
    const masters = pub.nodes('master');
    if (!masters.length) return pub;
    return masters.reduce((a, b) => (nodeName(a) <= nodeName(b) ? a : b));
  }

  publishBatch(b: BusPublished): void {
    const pub = this.#publisher();
    if (!pub) return;
    const head = `b ${this.origin} ${b.windowId} ${b.seq}`;
    const message = this.#watched.has(b.sessionId) ? Buffer.concat([Buffer.from(`${head}\n`), b.frame()]) : head;
    pub.publish(this.#sessionChannel(b.sessionId), message).then((receivers) => {
      // This process's own subscription counts too when someone here follows the session.
      if (receivers - (this.#following.has(b.sessionId) ? 1 : 0) > 0) {
        // A session that ends while watched stays in the set: the set starts over now and then (such a batch goes as a notice).
        if (this.#watched.size >= MAX_WATCHED) this.#watched.clear();
        this.#watched.add(b.sessionId);
      } else this.#watched.delete(b.sessionId);
    }, this.#failed);
  }

  publishFeed(m: FeedMessage): void {
    this.#publisher()?.publish(this.#feedChannel(), `f ${this.origin}\n${JSON.stringify(m)}`).catch(this.#failed);
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
    this.#watched.clear();
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

/** A cluster node's `host:port`, to pick the same node every time. */
function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}
