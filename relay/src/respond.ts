/** What every HTTP route of the relay shares: its context, JSON answers, coded error answers and path decoding. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '@sentiero/protocol';
import type { Store } from '@sentiero/storage';
import type { Access } from './access.ts';
import type { AuditAction, Auditor } from './audit.ts';
import { RelayError } from './errors.ts';
import type { Hub } from './hub.ts';
import type { IngestContext } from './ingest.ts';
import type { ResolvedOptions } from './options.ts';
import type { PrivacyContext } from './privacy/erase.ts';
import type { Pruner } from './privacy/retention.ts';
import type { SourceMaps } from './source-maps.ts';

/** What the routes need of the relay. */
export interface HttpContext extends IngestContext {
  options: ResolvedOptions;
  store: Store;
  hub: Hub;
  /** Resolves when the store is open. */
  ready: Promise<void>;
  isClosing(): boolean;
  /** Deletes a session everywhere (store, live side, feed). */
  deleteSession(id: string): Promise<boolean>;
  /** Source maps for browser stack frames. */
  sourceMaps: SourceMaps;
  // Access (roles, sign-in, audit).
  /** The tokens and sign-in sessions. */
  access: Access;
  /** The audit log's writer. */
  auditor: Auditor;
  /** Writes an audit entry for a request (who signed it in, its address); rejects when it cannot be stored. `await ctx.audit(req, 'erase', id)`. */
  audit(req: IncomingMessage, action: AuditAction, target: string): Promise<void>;
  /** Erasure, retention and the quota. */
  privacy: PrivacyContext;
  pruner: Pruner;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** Answers with a JSON body (no-store). */
export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** Answers with the coded error body `{ code, message }`. */
export function sendError(res: ServerResponse, err: RelayError, extra: Record<string, string | string[]> = {}): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  sendJson(res, err.status ?? 500, { code: err.code, message: err.message }, extra);
}

/** One line of `GET <base>/api/sessions/:id/events` (and of an HTML export's data): a stored batch as NDJSON, its events as the store keeps them. */
export function batchLine(b: { windowId: string; seq: number; eventsJson: string }): string {
  return `{"windowId":${JSON.stringify(b.windowId)},"seq":${b.seq},"events":${b.eventsJson}}\n`;
}

/** Resolves when a response (or any writable stream) can take more data, or has closed (removing both listeners either way). */
export function drained(res: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A percent-decoded path segment; a malformed escape (`%E0%A4%A`) is `SENTIERO_INVALID_MESSAGE` (400), never a failure of the relay. */
export function pathSegment(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new RelayError(ErrorCode.INVALID_MESSAGE, 'the path has a malformed %-escape');
  }
}

