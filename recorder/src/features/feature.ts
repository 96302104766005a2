/**
 * The shape of the recorder's optional features, after the Sentry SDK's integrations: a small
 * module with a versioned name whose `setup` wires it to the running recorder and returns the
 * function that undoes it. Features never throw into the page.
 */
import type { RecordedEvent } from '@sentiero/protocol';
import type { Report } from '../errors.ts';

/** What a feature may use of the running recorder. */
export interface FeatureHost {
  /** Adds an event to the current session's stream. */
  add(event: RecordedEvent): void;
  /** The current session id (it changes when the session rolls over). */
  sessionId(): string;
  /** The relay's base URL (http(s), no trailing slash). */
  relay: string;
  report: Report;
}

/** An optional feature of the recorder. */
export interface Feature {
  /** A versioned name, e.g. `sentiero/errors@1`. */
  name: string;
  /** Starts the feature; returns its teardown. */
  setup(host: FeatureHost): () => void;
}
