/**
 * Scale-out: joins this relay process's live side to the others' through the bus. What the
 * hub and the feeds produce here goes out (a listener on each feed forwards it); what the
 * bus brings in is handed to this process's own listeners as if it had happened here.
 */
import { REDIS_STORE_DEFAULTS, RedisStore, type Store } from '@sentiero/storage';
import { type ErrorFeedListener, type FeedListener, type Hub, eventsFrame } from './hub.ts';
import { type BusNotice, type FeedMessage, type LiveBus, RedisBus } from './bus.ts';
import type { ResolvedOptions } from './options.ts';

/** The bus to other relay processes: on the `redis` option's Redis, or on a `RedisStore`'s own; none for a store of this process only. */
export function busFor(opts: ResolvedOptions, store: Store): LiveBus | undefined {
  const onError = (message: string) => opts.logger.warn(message);
  const load = (b: BusNotice) => storedFrame(store, b);
  if (opts.redis) return new RedisBus({ ...opts.redis, onError, load });
  if (store instanceof RedisStore && store.options.client === undefined) {
    const { url, nodes } = store.options;
    return new RedisBus({ url: nodes ? undefined : (url ?? REDIS_STORE_DEFAULTS.url), nodes, prefix: store.prefix, onError, load });
  }
  return undefined;
}

/** A stored batch's `events` frame, read from the store (undefined when it is not there: its session was deleted meanwhile). */
async function storedFrame(store: Store, { sessionId, windowId, seq }: BusNotice): Promise<Buffer | undefined> {
  for await (const b of store.readBatchesJson(sessionId, { windowId, after: { [windowId]: seq - 1 } })) {
    return b.seq === seq ? Buffer.from(eventsFrame(sessionId, windowId, seq, b.eventsJson)) : undefined;
  }
  return undefined;
}

/** What the link needs of the relay besides the hub. */
export interface ScaleOutContext {
  hub: Hub;
  bus: LiveBus;
  /** Another process deleted a session: forget what this one keeps of it. */
  forget(sessionId: string): void;
}

/** Forwards this process's feeds to the bus and opens it with the handlers of what it brings in; resolves once it is open. */
export function linkBus({ hub, bus, forget }: ScaleOutContext): Promise<void> {
  const forwarder: FeedListener & ErrorFeedListener = {
    session: (session) => bus.publishFeed({ t: 'session', session }),
    deleted: (sessionId) => bus.publishFeed({ t: 'deleted', sessionId }),
    group: (group) => bus.publishFeed({ t: 'error-group', group }),
    occurrence: (occurrence, group) => bus.publishFeed({ t: 'error-occurrence', occurrence, group }),
  };
  hub.feed.add(forwarder);
  hub.errorFeed.add(forwarder);
  const local = <T>(set: Set<T>): T[] => [...set].filter((l) => l !== (forwarder as unknown));
  return bus.open({
    batch: (b) => hub.receive(b),
    resync: () => hub.resync(),
    feed(m: FeedMessage) {
      switch (m.t) {
        case 'session':
          hub.remote(m.session.id, m.session.live);
          for (const l of local(hub.feed)) l.session(m.session);
          break;
        case 'deleted':
          forget(m.sessionId);
          hub.forget(m.sessionId);
          for (const l of local(hub.feed)) l.deleted(m.sessionId);
          break;
        case 'error-group':
          for (const l of local(hub.errorFeed)) l.group(m.group);
          break;
        case 'error-occurrence':
          for (const l of local(hub.errorFeed)) l.occurrence(m.occurrence, m.group);
          break;
      }
    },
  });
}
