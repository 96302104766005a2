/**
 * The audit log's records and the tokens a store keeps: their types, their checks, how an
 * entry is chained to the one before it (SHA-256 over the previous hash and the entry's
 * canonical text), how it is stored as text, and how a whole chain is verified.
 */
import { createHash } from 'node:crypto';
import { StoreError, StoreErrorCode } from './errors.ts';
import { hex } from './list.ts';

/** What a caller appends to the audit log: who did what to which target, when and from where. */
export interface AuditInput {
  /** When it happened, ms since epoch. */
  at: number;
  /** What was done, e.g. `session.read`, `erase`, `login.failure` (at most 64 characters). */
  action: string;
  /** What it was done to, e.g. a session id, `*` for a list (at most 512 characters). */
  target: string;
  /** The name of the token (or `-` when none was accepted). */
  token: string;
  /** The client's address as the relay saw it. */
  address: string;
}

/** An entry as stored: the input, its place in the chain (`seq` from 1), the previous entry's hash and its own. */
export interface AuditEntry extends AuditInput {
  seq: number;
  /** The hash of entry `seq - 1` (`AUDIT_GENESIS` for the first). */
  prev: string;
  /** SHA-256 (hex) over `prev` and the entry's canonical text. */
  hash: string;
}

/** Options of `readAudit`. */
export interface AuditReadOptions {
  /** Only entries with a smaller `seq` (the `next` of the previous page). */
  before?: number;
  /** Page size; default 100, at most 1000. */
  limit?: number;
}

/** `AuditReadOptions` after checks: `limit` filled in. */
export interface AuditQuery {
  before: number | undefined;
  limit: number;
}

/** A page of the audit log, newest first; `next` is the `before` of the next page. */
export interface AuditPage {
  entries: AuditEntry[];
  next?: number;
}

/** Where the chain ends: the newest entry's seq and hash. */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** One thing wrong with the chain; `seq` names the entry when it is known. */
export interface AuditProblem {
  seq?: number;
  reason: string;
}

/** What `verifyAudit` found: `ok` when every entry from 1 to the head is there and unchanged. */
export interface AuditVerdict {
  ok: boolean;
  /** Entries read. */
  entries: number;
  problems: AuditProblem[];
}

/** A role: `viewer` reads; `admin` also erases, changes error status, manages tokens and reads the audit log. */
export type Role = 'viewer' | 'admin';

/** A token as a store keeps it: never the token itself, only its SHA-256. */
export interface TokenRecord {
  /** Unique name, shown in the audit log (1–64 of `A-Za-z0-9._-`). */
  name: string;
  role: Role;
  /** SHA-256 of the token, 64 lowercase hex digits. */
  hash: string;
  /** When it was created, ms since epoch. */
  createdAt: number;
}

/** The `prev` of the first entry. */
export const AUDIT_GENESIS = '0'.repeat(64);
/** Default page size of `readAudit`. */
export const DEFAULT_AUDIT_LIMIT = 100;
/** Largest page size of `readAudit`. */
export const MAX_AUDIT_LIMIT = 1000;

const TOKEN_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const HASH_RE = /^[0-9a-f]{64}$/;

function invalid(message: string): StoreError {
  return new StoreError(StoreErrorCode.INVALID_ARGUMENT, message);
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length > max) throw invalid(`${name} must be a string of at most ${max} characters`);
  return value;
}

/** Checks an `appendAudit` argument; a copy with only the known fields. */
export function checkAuditInput(entry: AuditInput): AuditInput {
  if (typeof entry !== 'object' || entry === null) throw invalid('the audit entry must be an object');
  if (!Number.isSafeInteger(entry.at) || entry.at < 0) throw invalid('entry.at must be a time in ms');
  const action = text(entry.action, 'entry.action', 64);
  if (action === '') throw invalid('entry.action must not be empty');
  return { at: entry.at, action, target: text(entry.target, 'entry.target', 512), token: text(entry.token, 'entry.token', 64), address: text(entry.address, 'entry.address', 128) };
}

/** Checks `readAudit` options. */
export function checkAuditReadOptions(options: AuditReadOptions | undefined): AuditQuery {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) throw invalid('the options must be an object');
  if (o.before !== undefined && (!Number.isSafeInteger(o.before) || o.before < 1)) throw invalid('options.before must be a positive integer');
  const limit = o.limit ?? DEFAULT_AUDIT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw invalid(`options.limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}`);
  return { before: o.before, limit };
}

/** Checks a token name. */
export function checkTokenName(name: string): string {
  if (typeof name !== 'string' || !TOKEN_NAME_RE.test(name)) throw invalid('the token name must be 1–64 of A-Z, a-z, 0-9, ".", "_", "-"');
  return name;
}

/** Checks a `putToken` argument; a copy with only the known fields. */
export function checkTokenRecord(record: TokenRecord): TokenRecord {
  if (typeof record !== 'object' || record === null) throw invalid('the token must be an object');
  const name = checkTokenName(record.name);
  if (record.role !== 'viewer' && record.role !== 'admin') throw invalid('token.role must be "viewer" or "admin"');
  if (typeof record.hash !== 'string' || !HASH_RE.test(record.hash)) throw invalid('token.hash must be a SHA-256 in lowercase hex');
  if (!Number.isSafeInteger(record.createdAt) || record.createdAt < 0) throw invalid('token.createdAt must be a time in ms');
  return { name, role: record.role, hash: record.hash, createdAt: record.createdAt };
}

/** The hash an entry must carry: SHA-256 over `prev` and its canonical text (seq and the input, in a fixed order). */
export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([entry.seq, entry.at, entry.action, entry.target, entry.token, entry.address]);
  return createHash('sha256').update(entry.prev).update('\n').update(canonical).digest('hex');
}

/** The entry that follows `head` (the first when there is none). */
export function chainEntry(head: AuditHead | undefined, input: AuditInput): AuditEntry {
  const unhashed = { seq: (head?.seq ?? 0) + 1, ...input, prev: head?.hash ?? AUDIT_GENESIS };
  return { ...unhashed, hash: auditHash(unhashed) };
}

/** The key of entry `seq`: sorts as the numbers do. */
export function auditKey(seq: number): string {
  return hex(seq);
}

/** An entry as stored text. */
export function encodeAudit(entry: AuditEntry): string {
  return JSON.stringify(entry);
}

/** Decodes a stored entry; anything that is not one is `STORE_CORRUPT` naming it. */
export function decodeAudit(key: string, value: string): AuditEntry {
  const seq = Number.parseInt(key, 16);
  let e: Partial<AuditEntry>;
  try {
    e = JSON.parse(value) as Partial<AuditEntry>;
  } catch (err) {
    throw new StoreError(StoreErrorCode.CORRUPT, `the audit entry ${seq} cannot be decoded`, { cause: err });
  }
  const ok = typeof e === 'object' && e !== null && e.seq === seq && typeof e.at === 'number' && typeof e.prev === 'string' && typeof e.hash === 'string'
    && typeof e.action === 'string' && typeof e.target === 'string' && typeof e.token === 'string' && typeof e.address === 'string';
  if (!ok) throw new StoreError(StoreErrorCode.CORRUPT, `the audit entry ${seq} cannot be decoded`);
  return e as AuditEntry;
}

/** The head as stored text. */
export function encodeHead(head: AuditHead): string {
  return JSON.stringify(head);
}

/** Decodes the stored head. */
export function decodeHead(value: string): AuditHead {
  try {
    const h = JSON.parse(value) as Partial<AuditHead>;
    if (Number.isSafeInteger(h.seq) && typeof h.hash === 'string') return { seq: h.seq!, hash: h.hash };
  } catch { /* reported below */ }
  throw new StoreError(StoreErrorCode.CORRUPT, 'the audit head cannot be decoded');
}

/** Decodes a stored token record. */
export function decodeToken(name: string, value: string): TokenRecord {
  try {
    return checkTokenRecord(JSON.parse(value) as TokenRecord);
  } catch (err) {
    throw new StoreError(StoreErrorCode.CORRUPT, `the token ${name} cannot be decoded`, { cause: err });
  }
}

/**
 * Walks the chain from the head down to the first entry kept (pages newest first from `read`)
 * and names every entry that was edited (its hash does not match its content), removed (a gap
 * in the seqs, a missing head or first entry) or replaced (it does not carry the hash of the
 * entry before it). `base` is the last entry retention removed (`pruneAudit`): the first entry
 * kept must carry its hash, as entry 1 carries `AUDIT_GENESIS`.
 */
export async function verifyChain(
  head: AuditHead | undefined, read: (before: number | undefined) => Promise<AuditEntry[]>, base?: AuditHead,
): Promise<AuditVerdict> {
  const floor = base?.seq ?? 0;
  const problems: AuditProblem[] = [];
  let entries = 0;
  let newer: AuditEntry | undefined;
  let before: number | undefined;
  const missing = (from: number, to: number) => problems.push({ seq: from, reason: from === to ? `entry ${from} was removed` : `entries ${from} to ${to} were removed` });
  for (;;) {
    let page: AuditEntry[];
    try {
      page = await read(before);
    } catch (err) {
      problems.push({ reason: (err as Error).message });
      break;
    }
    for (const e of page) {
      if (e.seq <= floor) break;
      entries++;
      if (auditHash(e) !== e.hash) problems.push({ seq: e.seq, reason: `entry ${e.seq} was edited: its hash does not match its content` });
      if (!newer) {
        if (!head) problems.push({ seq: e.seq, reason: `entry ${e.seq} is not in the chain: the log has no head` });
        else if (e.seq < head.seq) missing(e.seq + 1, head.seq);
        else if (e.seq > head.seq || e.hash !== head.hash) problems.push({ seq: e.seq, reason: `entry ${e.seq} is not the head the log recorded (${head.seq})` });
      } else {
        if (e.seq < newer.seq - 1) missing(e.seq + 1, newer.seq - 1);
        else if (newer.prev !== e.hash) problems.push({ seq: e.seq, reason: `entry ${e.seq} was replaced: entry ${newer.seq} names another hash before it` });
      }
      newer = e;
    }
    if (page.length === 0 || page[page.length - 1]!.seq <= floor + 1) break;
    before = page[page.length - 1]!.seq;
  }
  if (newer) {
    if (newer.seq > floor + 1) missing(floor + 1, newer.seq - 1);
    else if (newer.prev !== (base?.hash ?? AUDIT_GENESIS)) {
      problems.push({ seq: newer.seq, reason: base ? `entry ${newer.seq} does not follow the last entry retention removed (${floor})` : 'entry 1 does not start the chain' });
    }
  } else if (head && head.seq > floor) missing(floor + 1, head.seq);
  return { ok: problems.length === 0, entries, problems };
}
