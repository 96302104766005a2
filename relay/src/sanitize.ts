/**
 * Server-side sanitizers: functions `(event, context) => event | null` that every recorded
 * event, every session meta and every error report goes through before anything is stored
 * or shown live. The built-ins (on by default) strip secret query parameters from every URL
 * and mask e-mail addresses and card numbers in every string; opt-in ones drop event types
 * or mask custom patterns. A sanitizer that throws, or returns something that is not an
 * event, drops that one item with a coded log line; the rest of the batch goes on.
 */
import { CustomTag, EventType, sessionMeta, type RecordedEvent, type SessionMeta } from '@sentiero/protocol';
import type { Logger } from './options.ts';
import type { ErrorInput } from './tracker.ts';

/** What a sanitizer is looking at: a recorded event, a window's meta (as a Meta event whose `data` is the meta), or an error report (as a `sentiero/error@1` custom event whose `payload` is the report). */
export type SanitizeKind = 'event' | 'meta' | 'error';

/** Where the item being sanitized comes from. */
export interface SanitizeContext {
  kind: SanitizeKind;
  /** The session, when known (always for events and meta). */
  sessionId?: string;
  windowId?: string;
  /** The batch's seq (events and meta). */
  seq?: number;
}

/**
 * A sanitizer: returns the event (changed in place or a new one) or `null` to drop it. It may
 * throw: the event is then dropped and the failure logged (`SENTIERO_SANITIZER_FAILED`).
 */
export type Sanitizer = (event: RecordedEvent, context: SanitizeContext) => RecordedEvent | null;

/** The code of the log line written when a sanitizer fails on an item (the item is dropped; nothing is answered to the sender). */
export const SANITIZER_FAILED = 'SENTIERO_SANITIZER_FAILED';

/** The query (and fragment) parameters whose values the default sanitizers remove from every URL. */
export const DEFAULT_STRIPPED_PARAMS: readonly string[] = Object.freeze([
  'token', 'password', 'passwd', 'secret', 'code', 'session', 'sessionid', 'auth', 'key', 'apikey', 'api_key',
  'access_token', 'refresh_token', 'id_token', 'jwt', 'signature', 'sig',
]);

/** What a stripped parameter's value, an e-mail address, a card number and a custom pattern become. */
export const Redacted = {
  PARAM: '[redacted]',
  EMAIL: '[email]',
  CARD: '[card]',
  PATTERN: '[masked]',
} as const;

/** Sanitizers the relay wrote: they only change strings in place, so their output needs no check. */
const BUILT_IN = new WeakSet<Sanitizer>();

/** How deep a sanitizer's walk goes; deeper input is dropped (the validator already refuses events deeper than `maxEventDepth`). */
export const MAX_SANITIZE_DEPTH = 1000;

/** Thrown by a walk over input nested deeper than `MAX_SANITIZE_DEPTH` (or circular). */
class TooDeep extends Error {}

/** Replaces every string under `value` with `fn(string)`, in place; returns the new value (a string root is returned changed). */
function mapStrings(value: unknown, fn: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return fn(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_SANITIZE_DEPTH) throw new TooDeep(`nested deeper than ${MAX_SANITIZE_DEPTH}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'string') value[i] = fn(v);
      else if (typeof v === 'object' && v !== null) mapStrings(v, fn, depth + 1);
    }
    return value;
  }
  const o = value as Record<string, unknown>;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (typeof v === 'string') o[k] = fn(v);
    else if (typeof v === 'object' && v !== null) mapStrings(v, fn, depth + 1);
  }
  return value;
}

/**
 * The identifier a page or an app gave for its user (identify's `userId`, an error's
 * `user.id`): kept as sent, so that erasure by user finds what it names.
 */
function userIdHolder(event: RecordedEvent): { user: Record<string, unknown>; key: string } | undefined {
  if (event.type !== EventType.Custom) return undefined;
  const data = event.data as { tag?: unknown; payload?: unknown } | undefined;
  const payload = data?.payload as Record<string, unknown> | undefined;
  if (typeof payload !== 'object' || payload === null) return undefined;
  if (data?.tag === CustomTag.IDENTIFY && typeof payload.userId === 'string') return { user: payload, key: 'userId' };
  const user = payload.user as Record<string, unknown> | undefined;
  if (data?.tag === CustomTag.ERROR && typeof user === 'object' && user !== null && typeof user.id === 'string') return { user, key: 'id' };
  return undefined;
}

/** Set when a built-in text sanitizer rewrites a string (`SanitizerChain.eventsAsSent` clears and reads it: the events then differ from their text as received). */
let rewrote = false;

/** A sanitizer that rewrites every string of the event with `fn` (user ids excepted), in place. */
export function textSanitizer(fn: (s: string) => string): Sanitizer {
  const tracked = (s: string): string => {
    const r = fn(s);
    if (r !== s) rewrote = true;
    return r;
  };
  const sanitizer: Sanitizer = (event) => {
    const holder = userIdHolder(event);
    const kept = holder?.user[holder.key];
    mapStrings(event, tracked);
    if (holder) holder.user[holder.key] = kept;
    return event;
  };
  BUILT_IN.add(sanitizer);
  return sanitizer;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The string rewrite of `stripQueryParams`: the values of the named parameters after `?`, `&`, `;` or `#` become `[redacted]`. */
export function paramStripper(names: readonly string[] = DEFAULT_STRIPPED_PARAMS): (s: string) => string {
  if (names.length === 0) return (s) => s;
  const re = new RegExp(`(?<=[?&;#])(${names.map(escapeRegExp).join('|')})=[^&#;\\s"'<>\\\\]*`, 'gi');
  return (s) => (s.includes('=') ? s.replace(re, (_m, name: string) => `${name}=${Redacted.PARAM}`) : s);
}

/** E-mail addresses: a local part of at most 64 characters that starts at a boundary (so a long run without `@` costs one pass), `@`, a dotted domain. */
const EMAIL_RE = /(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+/g;

/** The string rewrite of `maskEmails`. */
export function emailMasker(s: string): string {
  if (!s.includes('@')) return s;
  return s.replace(EMAIL_RE, (m) => (/\.[A-Za-z]{2,}$/.test(m) ? Redacted.EMAIL : m));
}

/**
 * Card-like numbers: 13 to 19 digits starting 2–6 (the card networks), single spaces or dashes
 * between, not inside a longer run of letters or digits (a hash, a hex id or a token is no card).
 */
const CARD_RE = /(?<![\dA-Za-z])[2-6]\d(?:[ -]?\d){11,17}(?![\dA-Za-z])/g;

/** Whether the digits pass the Luhn check. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The string rewrite of `maskCardNumbers`: card-like numbers that pass the Luhn check. */
export function cardMasker(s: string): string {
  if (s.length < 13) return s;
  return s.replace(CARD_RE, (m) => (luhn(m.replace(/[ -]/g, '')) ? Redacted.CARD : m));
}

/** Strips the values of the named query and fragment parameters from every URL (and every other string) of an event. */
export function stripQueryParams(names: readonly string[] = DEFAULT_STRIPPED_PARAMS): Sanitizer {
  return textSanitizer(paramStripper(names));
}

/** Masks e-mail addresses in every string of an event. */
export function maskEmails(): Sanitizer {
  return textSanitizer(emailMasker);
}

/** Masks card-like numbers that pass the Luhn check in every string of an event. */
export function maskCardNumbers(): Sanitizer {
  return textSanitizer(cardMasker);
}

/** Opt-in: masks every match of the given patterns (made global) in every string of an event. */
export function maskPatterns(patterns: readonly RegExp[], replacement: string = Redacted.PATTERN): Sanitizer {
  const global = patterns.map((p) => {
    if (!(p instanceof RegExp)) throw new TypeError('maskPatterns takes regular expressions');
    return new RegExp(p.source, p.flags.includes('g') ? p.flags : `${p.flags}g`);
  });
  return textSanitizer((s) => global.reduce((text, re) => text.replace(re, replacement), s));
}

/** Opt-in: drops events of the given rrweb types (numbers, e.g. `EventType.Plugin`) or custom tags (e.g. `CustomTag.CONSOLE`). */
export function dropEvents(kinds: ReadonlyArray<number | string>): Sanitizer {
  const types = new Set(kinds.filter((k): k is number => typeof k === 'number'));
  const tags = new Set(kinds.filter((k): k is string => typeof k === 'string'));
  const sanitizer: Sanitizer = (event) => {
    if (types.has(event.type)) return null;
    if (event.type === EventType.Custom && tags.has((event.data as { tag?: unknown } | undefined)?.tag as string)) return null;
    return event;
  };
  BUILT_IN.add(sanitizer);
  return sanitizer;
}

/** Options of `defaultSanitizers`. */
export interface DefaultSanitizerOptions {
  /** Parameters stripped besides `DEFAULT_STRIPPED_PARAMS`. */
  params?: readonly string[];
  /** Strip `DEFAULT_STRIPPED_PARAMS` (default true; `params` are stripped either way). */
  defaultParams?: boolean;
  /** Mask e-mail addresses (default true). */
  emails?: boolean;
  /** Mask card numbers (default true). */
  cards?: boolean;
}

/** The sanitizers the relay runs when the `sanitizers` option is not given: one pass over each event's strings. */
export function defaultSanitizers(options: DefaultSanitizerOptions = {}): Sanitizer[] {
  const names = [...(options.defaultParams === false ? [] : DEFAULT_STRIPPED_PARAMS), ...(options.params ?? [])];
  const steps = [paramStripper(names)];
  if (options.emails !== false) steps.push(emailMasker);
  if (options.cards !== false) steps.push(cardMasker);
  return [textSanitizer((s) => steps.reduce((text, step) => step(text), s))];
}

function nameOf(sanitizer: Sanitizer, index: number): string {
  return sanitizer.name ? `"${sanitizer.name}"` : `#${index + 1}`;
}

function isEvent(v: unknown): v is RecordedEvent {
  return typeof v === 'object' && v !== null && typeof (v as RecordedEvent).type === 'number' && typeof (v as RecordedEvent).timestamp === 'number';
}

/** Runs the relay's sanitizers over events, metas and error reports; never throws. */
export class SanitizerChain {
  readonly #custom: boolean;

  constructor(private readonly sanitizers: readonly Sanitizer[], private readonly logger: Logger) {
    this.#custom = sanitizers.some((s) => !BUILT_IN.has(s));
  }

  /** Whether any sanitizer runs at all. */
  get active(): boolean {
    return this.sanitizers.length > 0;
  }

  /**
   * One item through every sanitizer: the result, `null` when one dropped it, or a failure
   * (the sanitizer threw, returned something that is not an event, or an event that cannot be stored).
   */
  #run(event: RecordedEvent, context: SanitizeContext): RecordedEvent | null | { failed: string } {
    let current: RecordedEvent = event;
    for (let i = 0; i < this.sanitizers.length; i++) {
      const sanitizer = this.sanitizers[i]!;
      let out: unknown;
      try {
        out = sanitizer(current, context);
      } catch (err) {
        return { failed: `sanitizer ${nameOf(sanitizer, i)} threw: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
      }
      if (out === null) return null;
      if (!isEvent(out)) return { failed: `sanitizer ${nameOf(sanitizer, i)} returned ${out === undefined ? 'undefined' : typeof out}, not an event or null` };
      current = out;
    }
    if (this.#custom) {
      // What a sanitizer of the app's returns must still be storable JSON (no cycle, no BigInt, not too deep).
      try {
        JSON.stringify(current);
      } catch (err) {
        return { failed: `a sanitizer returned an event that cannot be stored: ${(err as Error).message}`.slice(0, 300) };
      }
    }
    return current;
  }

  #log(what: string, failures: number, first: string): void {
    this.logger.warn(`${SANITIZER_FAILED}: ${what}: ${failures} dropped (${first})`);
  }

  /** The events that pass, in order; the dropped ones are left out (an empty list stores as an empty batch, so acks and resume go on). */
  events(events: readonly RecordedEvent[], context: SanitizeContext): RecordedEvent[] {
    return this.eventsAsSent(events, context).events;
  }

  /**
   * `events()`, and whether the events came out exactly as they went in: no string rewritten, no
   * event dropped or replaced. Only the built-in sanitizers can tell; with one of the app's own
   * the answer is always false.
   */
  eventsAsSent(events: readonly RecordedEvent[], context: SanitizeContext): { events: RecordedEvent[]; unchanged: boolean } {
    if (!this.active) return { events: [...events], unchanged: true };
    rewrote = false;
    const out: RecordedEvent[] = [];
    let failures = 0;
    let first = '';
    let same = !this.#custom;
    for (const e of events) {
      const r = this.#run(e, context);
      if (r === null) continue;
      if ('failed' in r) {
        if (failures++ === 0) first = r.failed;
        continue;
      }
      if (r !== e) same = false;
      out.push(r);
    }
    if (failures) this.#log(`events of batch ${context.seq ?? '?'} of ${context.sessionId ?? '?'}/${context.windowId ?? '?'}`, failures, first);
    return { events: out, unchanged: same && !rewrote && out.length === events.length };
  }

  /**
   * Metas already sanitized by the built-in sanitizers alone (plain string rewrites: the same
   * meta always gives the same result), by the meta object: a socket's batches all carry its
   * `hello` meta, which is then sanitized once per socket instead of once per batch.
   */
  readonly #metas = new WeakMap<SessionMeta, SessionMeta>();

  /** A window's meta, sanitized as a Meta event whose `data` is the meta; one that is dropped or spoiled becomes an empty placeholder. */
  meta(meta: SessionMeta, context: Omit<SanitizeContext, 'kind'>): SessionMeta {
    if (!this.active) return meta;
    if (this.#custom) return this.#meta(meta, context);
    let done = this.#metas.get(meta);
    if (!done) {
      done = this.#meta(meta, context);
      this.#metas.set(meta, done);
    }
    return done;
  }

  #meta(meta: SessionMeta, context: Omit<SanitizeContext, 'kind'>): SessionMeta {
    const placeholder: SessionMeta = { url: '', userAgent: '', startedAt: meta.startedAt };
    const r = this.#run({ type: EventType.Meta, timestamp: meta.startedAt, data: structuredClone(meta) }, { ...context, kind: 'meta' });
    if (r === null) return placeholder;
    if ('failed' in r) {
      this.#log(`the meta of ${context.sessionId ?? '?'}/${context.windowId ?? '?'}`, 1, r.failed);
      return placeholder;
    }
    try {
      const data = r.data as Record<string, unknown>;
      for (const [key, max] of [['url', 4096], ['referrer', 4096], ['userAgent', 1024]] as const) {
        if (typeof data[key] === 'string') data[key] = (data[key] as string).slice(0, max);
      }
      return sessionMeta(data);
    } catch (err) {
      this.#log(`the meta of ${context.sessionId ?? '?'}/${context.windowId ?? '?'}`, 1, `a sanitizer left it invalid: ${(err as Error).message}`);
      return placeholder;
    }
  }

  /** An error report, sanitized as a `sentiero/error@1` event whose `payload` is the report; undefined when a sanitizer dropped it. */
  error(input: ErrorInput): ErrorInput | undefined {
    if (!this.active) return input;
    const event: RecordedEvent = { type: EventType.Custom, timestamp: input.timestamp ?? Date.now(), data: { tag: CustomTag.ERROR, payload: input } };
    const r = this.#run(event, { kind: 'error', sessionId: input.sessionId, windowId: input.windowId });
    if (r === null) return undefined;
    const payload = 'failed' in r ? undefined : (r.data as { payload?: Partial<ErrorInput> } | undefined)?.payload;
    if (!payload || typeof payload.name !== 'string' || typeof payload.message !== 'string') {
      this.#log(`an error report${input.sessionId ? ` of ${input.sessionId}` : ''}`, 1, 'failed' in r ? r.failed : 'a sanitizer left it without a name and message');
      return undefined;
    }
    return payload as ErrorInput;
  }
}
