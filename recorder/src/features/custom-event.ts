/** The one shape of every event Sentiero writes itself: an rrweb custom event with a versioned tag. */
import { EventType, type RecordedEvent } from '@sentiero/protocol';

/** An rrweb custom event (type 5) `{ tag, payload }`, stamped now. */
export function customEvent(tag: string, payload: unknown): RecordedEvent {
  return { type: EventType.Custom, timestamp: Date.now(), data: { tag, payload } };
}
