/**
 * The in-memory analytics index: every stored digest, held as columns of typed arrays (one
 * row per session, and child tables for its page visits, clicks, custom events and their
 * properties, frustration clicks and form fields), with every string interned once. Built at
 * open from `store.scanDigests()` and updated as digests are written; queries (query.ts) scan
 * it instead of parsing JSON digests. A replaced digest leaves its old rows dead until a
 * compaction copies the live ones (when the dead outnumber the live).
 */
import { DIGEST_LIMITS, type SessionDigest, type VitalName } from '@sentiero/protocol';

type Typed = Float64Array | Float32Array | Int32Array | Uint8Array;
type Ctor = { new (n: number): Typed };

/** A table of typed columns that grows by doubling. */
export class Table<K extends string> {
  length = 0;
  cols: Record<K, Typed>;
  readonly #spec: Record<K, Ctor>;

  constructor(spec: Record<K, Ctor>, capacity = 1024) {
    this.#spec = spec;
    this.cols = Object.fromEntries(Object.entries(spec).map(([k, C]) => [k, new (C as Ctor)(capacity)])) as Record<K, Typed>;
  }

  /** Appends an empty row and returns its index. */
  push(): number {
    const first = Object.values(this.cols)[0] as Typed;
    if (this.length === first.length) {
      for (const k of Object.keys(this.cols) as K[]) {
        const next = new this.#spec[k](Math.max(1024, this.length * 2));
        next.set(this.cols[k] as never);
        this.cols[k] = next;
      }
    }
    return this.length++;
  }

  /** Copies rows [from, to) of `other` to its end; returns where they start. */
  copyFrom(other: Table<K>, from: number, to: number): number {
    const start = this.length;
    for (let i = from; i < to; i++) this.push();
    for (const k of Object.keys(this.cols) as K[]) (this.cols[k] as Float64Array).set((other.cols[k] as Float64Array).subarray(from, to), start);
    return start;
  }

  /** Bytes held by its columns (allocated capacity). */
  bytes(): number {
    return Object.values<Typed>(this.cols).reduce((n, c) => n + c.byteLength, 0);
  }

  /** An empty table of the same shape. */
  empty(capacity: number): Table<K> {
    return new Table(this.#spec, Math.max(1024, capacity));
  }
}

/** Interned strings: an id per distinct string. */
export class Dict {
  readonly values: string[] = [];
  readonly #ids = new Map<string, number>();
  #lower: string[] = [];

  /** The id of `s`, adding it. */
  id(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      this.#ids.set(s, id);
    }
    return id;
  }

  /** The id of `s`, or -1 when it was never added. */
  find(s: string): number {
    return this.#ids.get(s) ?? -1;
  }

  /** The ids of every string containing `part` (case-insensitive). */
  containing(part: string): Uint8Array {
    const p = part.toLowerCase();
    for (let i = this.#lower.length; i < this.values.length; i++) this.#lower.push(this.values[i].toLowerCase());
    const hit = new Uint8Array(this.values.length);
    for (let i = 0; i < hit.length; i++) if (this.#lower[i].includes(p)) hit[i] = 1;
    return hit;
  }

  /** An estimate of its bytes (2 per character, and ~64 per entry for the map and the array). */
  bytes(): number {
    return this.values.reduce((n, s) => n + s.length * 2 * 2 + 64, 0);
  }
}

/** The vitals in their column order. */
export const VITALS: readonly VitalName[] = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'];

/** Frustration kinds in the `frus.kind` column. */
export const FrustrationKind = { RAGE: 0, DEAD: 1, ERROR: 2 } as const;

const F64 = Float64Array;
const F32 = Float32Array;
const I32 = Int32Array;
const U8 = Uint8Array;

const sessionSpec = {
  start: F64, dur: F64, pv: I32, clicks: I32, errors: I32, frus: I32, eng: F32, browser: I32, os: I32, device: I32, user: I32, alive: U8,
  p0: I32, p1: I32, c0: I32, c1: I32, e0: I32, e1: I32, q0: I32, q1: I32, r0: I32, r1: I32, f0: I32, f1: I32,
};
const pageSpec = { url: I32, at: F64, dur: F32, scroll: F32, LCP: F32, INP: F32, CLS: F32, FCP: F32, TTFB: F32 };
const clickSpec = { url: I32, sel: I32, x: F32, y: F32, vw: F32, dh: F32 };
const eventSpec = { name: I32, at: F64 };
const propSpec = { name: I32, key: I32, val: I32 };
const frusSpec = { kind: U8, sel: I32, label: I32, url: I32, clicks: I32 };
const fieldSpec = { url: I32, form: I32, field: I32, focuses: I32, changes: I32, time: F32, abandoned: U8 };

/** Every digest of the store, as columns. Row numbers change on compaction: never keep one across calls. */
export class DigestIndex {
  readonly dict = new Dict();
  /** Session ids by row. */
  ids: string[] = [];
  sessions = new Table(sessionSpec);
  pages = new Table(pageSpec);
  clicks = new Table(clickSpec);
  events = new Table(eventSpec);
  props = new Table(propSpec);
  frus = new Table(frusSpec);
  fields = new Table(fieldSpec);
  readonly #rows = new Map<string, number>();
  #dead = 0;

  /** How many sessions it holds. */
  get size(): number {
    return this.#rows.size;
  }

  /** Adds a digest, replacing the session's previous one. */
  put(d: SessionDigest): void {
    const old = this.#rows.get(d.sessionId);
    if (old !== undefined) this.#kill(old);
    const dict = this.dict;
    const s = this.sessions;
    const r = s.push();
    const c = s.cols;
    this.ids[r] = d.sessionId;
    c.start[r] = d.startedAt;
    c.dur[r] = d.durationMs;
    c.pv[r] = d.counts.pages;
    c.clicks[r] = d.counts.clicks;
    c.errors[r] = d.counts.errors;
    c.frus[r] = d.counts.rageClicks + d.counts.deadClicks + d.counts.errorClicks;
    c.eng[r] = d.engagement;
    c.browser[r] = dict.id(d.browser);
    c.os[r] = dict.id(d.os);
    c.device[r] = dict.id(d.device);
    c.user[r] = d.userId === undefined ? -1 : dict.id(d.userId);
    c.alive[r] = 1;

    c.p0[r] = this.pages.length;
    for (const p of d.pages) {
      const i = this.pages.push();
      const pc = this.pages.cols;
      pc.url[i] = dict.id(p.url);
      pc.at[i] = p.at;
      pc.dur[i] = p.durationMs;
      pc.scroll[i] = p.scrollDepth;
      for (const v of VITALS) pc[v][i] = p.vitals[v] ?? Number.NaN;
    }
    c.p1[r] = this.pages.length;

    c.c0[r] = this.clicks.length;
    for (const k of d.clicks) {
      const i = this.clicks.push();
      const kc = this.clicks.cols;
      kc.url[i] = dict.id(k.url);
      kc.sel[i] = dict.id(k.selector);
      kc.x[i] = k.x;
      kc.y[i] = k.y;
      kc.vw[i] = k.vw;
      kc.dh[i] = k.dh;
    }
    c.c1[r] = this.clicks.length;

    c.e0[r] = this.events.length;
    c.q0[r] = this.props.length;
    for (const e of d.events) {
      const i = this.events.push();
      const name = dict.id(e.name);
      this.events.cols.name[i] = name;
      this.events.cols.at[i] = e.at;
      for (const [k, v] of Object.entries(e.props)) {
        const j = this.props.push();
        this.props.cols.name[j] = name;
        this.props.cols.key[j] = dict.id(k);
        this.props.cols.val[j] = dict.id(String(v).slice(0, DIGEST_LIMITS.text));
      }
    }
    c.e1[r] = this.events.length;
    c.q1[r] = this.props.length;

    c.r0[r] = this.frus.length;
    const kinds: [number, SessionDigest['rageClicks']][] = [[FrustrationKind.RAGE, d.rageClicks], [FrustrationKind.DEAD, d.deadClicks], [FrustrationKind.ERROR, d.errorClicks]];
    for (const [kind, list] of kinds) {
      for (const f of list) {
        const i = this.frus.push();
        const fc = this.frus.cols;
        fc.kind[i] = kind;
        fc.sel[i] = dict.id(f.selector);
        fc.label[i] = dict.id(f.label);
        fc.url[i] = dict.id(f.url);
        fc.clicks[i] = f.clicks;
      }
    }
    c.r1[r] = this.frus.length;

    c.f0[r] = this.fields.length;
    for (const f of d.fields) {
      const i = this.fields.push();
      const fc = this.fields.cols;
      fc.url[i] = dict.id(f.url);
      fc.form[i] = dict.id(f.form);
      fc.field[i] = dict.id(f.field);
      fc.focuses[i] = f.focuses;
      fc.changes[i] = f.changes;
      fc.time[i] = f.timeMs;
      fc.abandoned[i] = f.abandoned ? 1 : 0;
    }
    c.f1[r] = this.fields.length;
    this.#rows.set(d.sessionId, r);
  }

  /** Forgets a session (deleted). */
  remove(sessionId: string): void {
    const row = this.#rows.get(sessionId);
    if (row === undefined) return;
    this.#rows.delete(sessionId);
    this.#kill(row);
  }

  #kill(row: number): void {
    this.sessions.cols.alive[row] = 0;
    this.#dead++;
    if (this.#dead > 10_000 && this.#dead > this.#rows.size) this.compact();
  }

  /** Copies the live rows into new tables, dropping the dead ones. */
  compact(): void {
    const live = this.#rows.size;
    const next = {
      sessions: this.sessions.empty(live), pages: this.pages.empty(this.pages.length / 2), clicks: this.clicks.empty(this.clicks.length / 2),
      events: this.events.empty(this.events.length / 2), props: this.props.empty(this.props.length / 2), frus: this.frus.empty(this.frus.length / 2),
      fields: this.fields.empty(this.fields.length / 2),
    };
    const ids: string[] = [];
    const c = this.sessions.cols;
    const children: [keyof typeof next, 'p0' | 'c0' | 'e0' | 'q0' | 'r0' | 'f0', 'p1' | 'c1' | 'e1' | 'q1' | 'r1' | 'f1'][] = [
      ['pages', 'p0', 'p1'], ['clicks', 'c0', 'c1'], ['events', 'e0', 'e1'], ['props', 'q0', 'q1'], ['frus', 'r0', 'r1'], ['fields', 'f0', 'f1'],
    ];
    for (let r = 0; r < this.sessions.length; r++) {
      if (!c.alive[r]) continue;
      const n = next.sessions.copyFrom(this.sessions, r, r + 1);
      ids[n] = this.ids[r];
      this.#rows.set(this.ids[r], n);
      for (const [table, a, b] of children) {
        const from = c[a][r];
        const to = c[b][r];
        const start = (next[table] as Table<string>).copyFrom(this[table] as Table<string>, from, to);
        next.sessions.cols[a][n] = start;
        next.sessions.cols[b][n] = start + (to - from);
      }
    }
    Object.assign(this, next);
    this.ids = ids;
    this.#dead = 0;
  }

  /** Bytes held: the columns' capacity and an estimate of the interned strings and ids. */
  bytes(): number {
    const tables = [this.sessions, this.pages, this.clicks, this.events, this.props, this.frus, this.fields];
    return tables.reduce((n, t) => n + t.bytes(), 0) + this.dict.bytes() + this.ids.length * 100;
  }
}
