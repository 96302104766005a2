/** The audit log and tokens of the in-memory backends: entries in an array (oldest first), tokens in a map. */
import type { AuditEntry, AuditHead, AuditQuery, TokenRecord } from './audit-record.ts';

/** Audit entries and tokens kept in memory, as copies. */
export class MemoryAudit {
  readonly #entries: AuditEntry[] = [];
  readonly #tokens = new Map<string, TokenRecord>();
  #base: AuditHead | undefined;

  /** The newest entry's seq and hash. */
  head(): AuditHead | undefined {
    const last = this.#entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : this.base();
  }

  /** Keeps an entry (the caller chained it to the head). */
  append(entry: AuditEntry): void {
    this.#entries.push({ ...entry });
  }

  /** Entries below `before`, newest first. */
  read(query: AuditQuery): AuditEntry[] {
    const below = query.before === undefined ? this.#entries : this.#entries.filter((e) => e.seq < query.before!);
    return below.slice(-query.limit).reverse().map((e) => ({ ...e }));
  }

  /** The `limit` oldest entries, oldest first. */
  first(limit: number): AuditEntry[] {
    return this.#entries.slice(0, limit).map((e) => ({ ...e }));
  }

  /** The last entry retention removed. */
  base(): AuditHead | undefined {
    return this.#base && { ...this.#base };
  }

  /** Removes the entries up to `upto.seq` and makes `upto` the base. */
  prune(upto: AuditHead): void {
    while (this.#entries.length && this.#entries[0]!.seq <= upto.seq) this.#entries.shift();
    this.#base = { ...upto };
  }

  /** Keeps a token unless its name is taken; whether it was kept. */
  putToken(record: TokenRecord): boolean {
    if (this.#tokens.has(record.name)) return false;
    this.#tokens.set(record.name, { ...record });
    return true;
  }

  /** Every token, by name. */
  tokens(): TokenRecord[] {
    return [...this.#tokens.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => ({ ...t }));
  }

  /** Forgets a token; whether there was one. */
  deleteToken(name: string): boolean {
    return this.#tokens.delete(name);
  }
}
