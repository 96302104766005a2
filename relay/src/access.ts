/**
 * Who may read and change what: the named tokens (the options' and those created through the
 * API, kept by the store as SHA-256 hashes), the dashboard's sign-in sessions (a random id in
 * an HttpOnly cookie, mapped here to a token's name and role, with a request token that every
 * API call of the dashboard carries), and revocation (a revoked token or ended session closes
 * the watch sockets it opened).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ErrorCode, createSecret } from '@sentiero/protocol';
import type { Role, Store, TokenRecord } from '@sentiero/storage';
import { type Principal, bearer, cookieOf, hashToken, isHttps, safeEqual, sameHash } from './auth.ts';
import { RelayError } from './errors.ts';
import type { HashedToken } from './options.ts';

/** The HttpOnly cookie that holds a sign-in session's id. */
export const SESSION_COOKIE = 'sentiero_session';
/** The cookie (readable by pages under the base path only) that holds the session's request token. */
export const REQUEST_TOKEN_COOKIE = 'sentiero_csrf';
/** Most sign-in sessions kept at once; the oldest goes first. */
const MAX_SESSIONS = 10_000;

/** A dashboard sign-in. */
export interface LoginSession {
  id: string;
  /** The request token: sent as the bearer (REST) and in `auth` (watch); worth nothing without the cookie. */
  csrf: string;
  name: string;
  role: Role;
  expires: number;
}

/** A token as the API lists it: never the token nor its hash. */
export interface TokenInfo {
  name: string;
  role: Role;
  /** `options`: from the relay's options (revoked by removing it there); `api`: created through `POST /api/tokens`. */
  source: 'options' | 'api';
  createdAt?: number;
}

/** What was revoked: every socket of a token's name, or of one sign-in session. */
export type Revoked = { name: string } | { session: string };

/** Options of `Access`. */
export interface AccessOptions {
  store: Store;
  tokens: HashedToken[];
  loginTtlMs: number;
  basePath: string;
}

/** The relay's tokens and sign-in sessions. */
export class Access {
  readonly #options: AccessOptions;
  /** The store's tokens, loaded by `load()` and kept in step by `createToken` and `revokeToken`. */
  #stored: TokenRecord[] = [];
  readonly #sessions = new Map<string, LoginSession>();
  readonly #listeners = new Set<(what: Revoked) => void>();

  constructor(options: AccessOptions) {
    this.#options = options;
  }

  /** Loads the store's tokens (once the store is open). */
  async load(): Promise<void> {
    this.#stored = await this.#options.store.listTokens();
  }

  /** Who a token is, compared by hash in constant time with every token known; undefined for none. */
  byToken(token: string): Principal | undefined {
    const hash = hashToken(token);
    let found: Principal | undefined;
    for (const t of [...this.#options.tokens, ...this.#stored]) {
      if (sameHash(hash, t.hash) && !found) found = { name: t.name, role: t.role, via: 'bearer' };
    }
    return found;
  }

  /**
   * Who signed a request in: a token as `Authorization: Bearer`, or the session cookie with
   * its request token as the bearer. A session cookie without the request token is
   * `SENTIERO_CSRF_REQUIRED`; anything else missing or wrong is `SENTIERO_UNAUTHORIZED`.
   */
  authenticate(req: IncomingMessage): Principal {
    const token = bearer(req);
    const session = this.sessionOf(req);
    // A session cookie the relay no longer knows: the sign-in expired, was ended, or the relay restarted.
    const stale = !session && cookieOf(req, SESSION_COOKIE) !== undefined;
    if (token !== undefined) {
      if (session && safeEqual(token, session.csrf)) return { name: session.name, role: session.role, via: 'cookie' };
      const who = this.byToken(token);
      if (who) return who;
    } else if (session) {
      throw new RelayError(ErrorCode.CSRF_REQUIRED, 'a request signed in by the session cookie must carry its request token');
    }
    if (stale) throw new RelayError(ErrorCode.UNAUTHORIZED, 'the sign-in has expired or ended; sign in again');
    throw new RelayError(ErrorCode.UNAUTHORIZED, token === undefined ? 'send a token as "Authorization: Bearer <token>"' : 'wrong or revoked token');
  }

  /** Who a watch socket's `auth` is: a token, or the request token of the session whose cookie came with the upgrade. */
  watchPrincipal(token: string, session: LoginSession | undefined): Principal | undefined {
    if (session && this.#sessions.get(session.id) === session && session.expires > Date.now() && safeEqual(token, session.csrf)) {
      return { name: session.name, role: session.role, via: 'cookie' };
    }
    return this.byToken(token);
  }

  /** The live sign-in session whose cookie a request carries, if any. */
  sessionOf(req: IncomingMessage): LoginSession | undefined {
    const id = cookieOf(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expires <= Date.now()) {
      this.#sessions.delete(session.id);
      return undefined;
    }
    return session;
  }

  /** Starts a sign-in session for a token's holder. */
  login(who: Principal): LoginSession {
    const now = Date.now();
    for (const s of this.#sessions.values()) if (s.expires <= now) this.#sessions.delete(s.id);
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    const session: LoginSession = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), name: who.name, role: who.role, expires: now + this.#options.loginTtlMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** Ends the session a request's cookie names; its watch sockets close. */
  logout(req: IncomingMessage): void {
    const session = this.sessionOf(req);
    if (!session) return;
    this.#sessions.delete(session.id);
    this.#emit({ session: session.id });
  }

  /** The `Set-Cookie` values that sign a browser in: the session id (HttpOnly) and its request token, both SameSite=Strict, under the base path only. */
  cookies(req: IncomingMessage, session: LoginSession): string[] {
    const maxAge = Math.floor(this.#options.loginTtlMs / 1000);
    return [
      `${SESSION_COOKIE}=${session.id}; ${this.#attributes(req, maxAge)}; HttpOnly`,
      `${REQUEST_TOKEN_COOKIE}=${session.csrf}; ${this.#attributes(req, maxAge)}`,
    ];
  }

  /** The `Set-Cookie` values that sign a browser out. */
  clearCookies(req: IncomingMessage): string[] {
    return [`${SESSION_COOKIE}=; ${this.#attributes(req, 0)}; HttpOnly`, `${REQUEST_TOKEN_COOKIE}=; ${this.#attributes(req, 0)}`];
  }

  #attributes(req: IncomingMessage, maxAge: number): string {
    return `Path=${this.#options.basePath || '/'}; Max-Age=${maxAge}; SameSite=Strict${isHttps(req) ? '; Secure' : ''}`;
  }

  /** Every token: the options' and the store's, by source then name. */
  tokens(): TokenInfo[] {
    return [
      ...this.#options.tokens.map((t): TokenInfo => ({ name: t.name, role: t.role, source: 'options' })),
      ...this.#stored.map((t): TokenInfo => ({ name: t.name, role: t.role, source: 'api', createdAt: t.createdAt })),
    ];
  }

  /** Creates a token and keeps its hash; resolves to the token, which is never shown again. `SENTIERO_CONFLICT` when the name is taken. */
  async createToken(name: string, role: Role): Promise<string> {
    if (this.#options.tokens.some((t) => t.name === name)) throw new RelayError(ErrorCode.CONFLICT, `the relay's options already have a token named "${name}"`);
    const token = createSecret();
    const record: TokenRecord = { name, role, hash: hashToken(token), createdAt: Date.now() };
    if (!(await this.#options.store.putToken(record))) throw new RelayError(ErrorCode.CONFLICT, `a token named "${name}" exists`);
    this.#stored = [...this.#stored, record].sort((a, b) => (a.name < b.name ? -1 : 1));
    return token;
  }

  /** Revokes a token created through the API: it is forgotten, its sessions end and its watch sockets close. Resolves to whether there was one. */
  async revokeToken(name: string): Promise<boolean> {
    if (this.#options.tokens.some((t) => t.name === name)) {
      throw new RelayError(ErrorCode.CONFLICT, `"${name}" comes from the relay's options: remove it there (or change SENTIERO_TOKEN) and restart`);
    }
    const existed = await this.#options.store.deleteToken(name);
    this.#stored = this.#stored.filter((t) => t.name !== name);
    for (const s of this.#sessions.values()) if (s.name === name) this.#sessions.delete(s.id);
    this.#emit({ name });
    return existed;
  }

  /** Calls `fn` with every revocation; returns the function that stops. */
  onRevoke(fn: (what: Revoked) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(what: Revoked): void {
    for (const fn of this.#listeners) fn(what);
  }
}
