/**
 * What the relay writes to the audit log, and when: every read of a recording, watch,
 * export, erasure, status change, token change, sign-in and failed sign-in. Reads wait for
 * their entry (no entry, no read); a token's use is written once per token per hour.
 */
import type { IncomingMessage } from 'node:http';
import type { Store } from '@sentiero/storage';
import { type Principal, principalOf } from './auth.ts';
import type { Logger } from './options.ts';

/** The actions the relay writes; other routes may add their own names (`export`, `erase`, …). */
export const AuditAction = {
  /** `GET /api/sessions` (target `*`) or `GET /api/sessions/:id` (target the id). */
  SESSION_LIST: 'session.list',
  /** `GET /api/sessions/:id/events`. */
  SESSION_READ: 'session.read',
  /** A watch socket followed a session (target its id) or a feed (`feed:sessions`, `feed:errors`). */
  WATCH: 'watch',
  /** A session exported. */
  EXPORT: 'export',
  /** A session (or a user's sessions) erased. */
  ERASE: 'erase',
  /** An error group's status changed (target `<group>:<status>`). */
  ERROR_STATUS: 'error.status',
  /** A token used, at most once per token per hour (target the token's name). */
  TOKEN_USE: 'token.use',
  TOKEN_CREATE: 'token.create',
  TOKEN_REVOKE: 'token.revoke',
  /** A dashboard sign-in (target the token's name). */
  LOGIN: 'login',
  /** A sign-in with a wrong token, or an API call with one (at most once per address per minute). */
  LOGIN_FAILURE: 'login.failure',
  LOGOUT: 'logout',
  /** `GET /api/audit`. */
  AUDIT_READ: 'audit.read',
} as const;

/** An audit action: one of `AuditAction`, or a route's own. */
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction] | (string & {});

/** How often a token's use is written (and a failure from one address). */
const USE_EVERY_MS = 60 * 60 * 1000;
const FAILURE_EVERY_MS = 60 * 1000;
/** Most tokens and addresses remembered for throttling. */
const MAX_REMEMBERED = 10_000;

/** Writes audit entries for the relay. */
export class Auditor {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #inflight: Set<Promise<unknown>>;
  readonly #lastUse = new Map<string, number>();
  readonly #lastFailure = new Map<string, number>();

  constructor(options: { store: Store; logger: Logger; inflight: Set<Promise<unknown>> }) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#inflight = options.inflight;
  }

  /** Writes an entry; resolves once it is stored, rejects when it cannot be (the caller then refuses what it was about to do). */
  async write(action: AuditAction, target: string, who: Principal | undefined, address: string): Promise<void> {
    const work = this.#store.appendAudit({ at: Date.now(), action, target: target.slice(0, 512), token: who?.name ?? '-', address: address.slice(0, 128) });
    this.#inflight.add(work);
    try {
      await work;
    } finally {
      this.#inflight.delete(work);
    }
  }

  /** `write` for a request: who signed it in and its address. The one line a route needs: `await ctx.audit(req, 'erase', id)`. */
  request(req: IncomingMessage, action: AuditAction, target: string): Promise<void> {
    return this.write(action, target, principalOf(req), addressOf(req));
  }

  /** `write` that never rejects: a failure is logged (for events that refuse nothing: a failed sign-in, a socket's subscription). */
  note(action: AuditAction, target: string, who: Principal | undefined, address: string): void {
    this.write(action, target, who, address).catch((err: unknown) => this.#logger.error(`writing the audit entry ${action} failed`, err));
  }

  /** Notes a token's use, once per token per hour. */
  used(who: Principal, address: string): void {
    if (this.#due(this.#lastUse, who.name, USE_EVERY_MS)) this.note(AuditAction.TOKEN_USE, who.name, who, address);
  }

  /** Notes a refused credential, once per address per minute (so a flood of wrong tokens cannot fill the log). */
  failed(address: string, target: string): void {
    if (this.#due(this.#lastFailure, address, FAILURE_EVERY_MS)) this.note(AuditAction.LOGIN_FAILURE, target, undefined, address);
  }

  #due(seen: Map<string, number>, key: string, every: number): boolean {
    const now = Date.now();
    const last = seen.get(key);
    if (last !== undefined && now - last < every) return false;
    seen.delete(key);
    seen.set(key, now);
    if (seen.size > MAX_REMEMBERED) seen.delete(seen.keys().next().value as string);
    return true;
  }
}

/** The client's address as this server saw it (a proxy's address behind one: `X-Forwarded-For` is not trusted). */
export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}
