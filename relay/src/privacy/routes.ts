/**
 * The privacy routes: `POST <base>/api/erase` and `POST <base>/api/prune` (admin, audited),
 * `GET <base>/api/storage` (any token).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EraseRequest, ErrorCode, parseJson, validateEraseRequest } from '@sentiero/protocol';
import type { AuditAction } from '../audit.ts';
import { requireRole } from '../auth.ts';
import { readBodyBytes } from '../body.ts';
import { RelayError } from '../errors.ts';
import { sendJson } from '../respond.ts';
import { type PrivacyContext, erase } from './erase.ts';
import type { Pruner } from './retention.ts';

/** The largest erase request body. */
const MAX_ERASE_BODY = 4096;

/**
 * How an erasure is named in the audit log: a session by its id (random, pointing at nothing
 * once erased), a time range by its bounds, a user only by a SHA-256 prefix of the id (the
 * log is append-only, so it must not keep the identifier the erasure was asked to remove).
 */
export function erasureTarget(request: EraseRequest): string {
  if ('sessionId' in request) return request.sessionId;
  if ('userId' in request) return `user:sha256:${createHash('sha256').update(request.userId).digest('hex').slice(0, 16)}`;
  return `range:${request.from}-${request.to}`;
}

/** Creates the privacy routes; `api` returns false for any other path. */
export function createPrivacyRoutes(
  ctx: PrivacyContext, pruner: Pruner, audit: (req: IncomingMessage, action: AuditAction, target: string) => Promise<void>,
) {
  return {
    /** Answers `erase`, `prune` and `storage` under `<base>/api/`; false for any other path. */
    async api(req: IncomingMessage, res: ServerResponse, parts: string[], cors: Record<string, string>): Promise<boolean> {
      if (parts.length !== 1 || !['erase', 'prune', 'storage'].includes(parts[0]!)) return false;
      const method = req.method ?? 'GET';
      if (parts[0] === 'storage') {
        if (method !== 'GET') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, 'GET the storage figures');
        sendJson(res, 200, await pruner.status(), cors);
        return true;
      }
      if (method !== 'POST') throw new RelayError(ErrorCode.METHOD_NOT_ALLOWED, `POST to ${parts[0]}`);
      requireRole(req, 'admin');
      if (parts[0] === 'prune') {
        req.resume();
        await audit(req, 'prune', '*');
        sendJson(res, 200, await pruner.prune(), cors);
        return true;
      }
      const parsed = parseJson((await readBodyBytes(req, MAX_ERASE_BODY)).toString('utf8'));
      if (!parsed.ok) throw new RelayError(parsed.code, parsed.message);
      const checked = validateEraseRequest(parsed.value);
      if (!checked.ok) throw new RelayError(checked.code, checked.message);
      await audit(req, 'erase', erasureTarget(checked.value));
      sendJson(res, 200, await erase(ctx, checked.value), cors);
      return true;
    },
  };
}
